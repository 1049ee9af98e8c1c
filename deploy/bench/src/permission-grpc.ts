import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { Pool } from 'pg';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { PostgresEventStore, streamName, tenantScopedId, type EventEnvelope } from '@tagguard/event-store';
import { protoRoot } from '@tagguard/grpc-runtime';
import { check } from '@tagguard/permission-engine';
import { freePort, startServiceProcess, tagguardClient } from '@tagguard/testing';
import {
  GHZ_VERSION,
  ghz,
  FloorServers,
  ghzBinary,
  placements,
  ServerProbe,
  underEachPlacement,
  type Placement,
} from './grpc-load';
import { offered, round } from './measure';
import type { BenchRequest, PermissionTenant } from './permission-tenant';
import type { BenchContext } from './registry';

const RATE = Number(process.env['BENCH_PERMISSION_GRPC_RATE'] ?? 1_000);
const SECONDS = Number(process.env['BENCH_PERMISSION_GRPC_SECONDS'] ?? 10);
const AGREEMENT = 2_000;

type Unary = (
  request: object,
  metadata: grpc.Metadata,
  callback: (e: grpc.ServiceError | null, v: never) => void,
) => void;
type Decided = { decision: { allowed: boolean } };

// The bench writes permission-service's own events and copy rows as its consumers would (the same stream
// names, event types and rows as services/permission-service/src/policy/streams.ts, the deciders and
// copies/local-copies.ts): a 5,000-rule tree through 5,000 AddRule calls would store the whole order
// 5,000 times, which is the write path's concern, not the check's.
const stream = (category: string, tenantId: string, id?: string) =>
  streamName(category, id === undefined ? tenantId : tenantScopedId(tenantId, id));

function envelope(tenantId: string, type: string, data: unknown): EventEnvelope {
  return {
    id: randomUUID(),
    type,
    schemaVersion: 1,
    data,
    metadata: {
      tenantId,
      actorId: 'bench',
      correlationId: randomUUID(),
      occurredAt: new Date().toISOString(),
    },
  };
}

/** The tenant's policy as permission-service's events; resolves to the last append's position (a token). */
async function seedPolicy(store: PostgresEventStore, tenant: PermissionTenant): Promise<string> {
  const policy = tenant.world.snapshot().policy;
  const t = policy.tenantId;
  const appends: [string, EventEnvelope[]][] = [
    ...[...policy.roles.values()].map((r): [string, EventEnvelope[]] => [
      stream('permissionRole', t, r.roleId),
      [envelope(t, 'RoleDefined', r)],
    ]),
    ...[...policy.assignments.values()].map((a): [string, EventEnvelope[]] => [
      stream('permissionAssignment', t, a.assignmentId),
      [envelope(t, 'RoleAssigned', a)],
    ]),
    ...[...policy.groups.values()].map((g): [string, EventEnvelope[]] => [
      stream('permissionGroup', t, g.groupId),
      [envelope(t, 'PermissionGroupDefined', g)],
    ]),
    ...[...policy.words.values()].map((w): [string, EventEnvelope[]] => [
      stream('permissionWord', t, w.wordId),
      [envelope(t, 'SensitiveWordUpserted', w)],
    ]),
  ];
  for (let i = 0; i < appends.length; i += 50)
    await Promise.all(appends.slice(i, i + 50).map(([s, events]) => store.append(s, events, 'no_stream')));
  const rules = [...policy.rules.values()];
  const order = policy.order.length > 0 ? [...policy.order] : rules.map((r) => r.ruleId);
  const tree = await store.append(
    stream('permissionTree', t),
    [
      ...rules.map((r) => envelope(t, 'RuleChanged', r)),
      envelope(t, 'RulesReordered', { ruleIds: order, by: 'bench' }),
    ],
    'no_stream',
  );
  return ((tree.position.commit << 64n) + tree.position.prepare).toString();
}

/** The directory and tag copies as permission-service's consumers write them (one statement per table). */
async function seedCopies(pool: Pool, schema: string, tenant: PermissionTenant): Promise<void> {
  const q = (name: string) => `"${schema}"."${name}"`;
  const world = tenant.world;
  const t = world.tenantId;
  const departments = [...world.departments.entries()];
  const employees = [...world.employees.entries()];
  await pool.query(
    `INSERT INTO ${q('directory_copy')} (tenant_id, kind, object_id, revision, removed, parent_id, department_ids, status, seq)
     SELECT $1, k, id, 0, false, p, d::jsonb, s, nextval('${q('copy_seq')}')
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS x(k, id, p, d, s)`,
    [
      t,
      [...departments.map(() => 'department'), ...employees.map(() => 'employee')],
      [...departments.map(([id]) => id), ...employees.map(([id]) => id)],
      [...departments.map(([, parent]) => parent), ...employees.map(() => null)],
      [...departments.map(() => null), ...employees.map(([, e]) => JSON.stringify(e.departmentIds))],
      [...departments.map(() => null), ...employees.map(([, e]) => e.status)],
    ],
  );
  const tags = [...world.tags.values()];
  await pool.query(
    `INSERT INTO ${q('tag_copy')} (tenant_id, tag_id, revision, kind, is_group, parent_id, visibility, sensitive, deleted, seq)
     SELECT $1, id, 0, k, g, p, v::jsonb, s, false, nextval('${q('copy_seq')}')
       FROM unnest($2::text[], $3::text[], $4::boolean[], $5::text[], $6::text[], $7::boolean[]) AS x(id, k, g, p, v, s)`,
    [
      t,
      tags.map((f) => f.tagId),
      tags.map((f) => f.kind),
      tags.map((f) => f.isGroup),
      tags.map((f) => f.parentId),
      tags.map((f) => JSON.stringify(f.visibility)),
      tags.map((f) => f.sensitive),
    ],
  );
}

function call<T>(client: grpc.Client, method: string, request: object, metadata: grpc.Metadata): Promise<T> {
  const fn = (client as unknown as Record<string, Unary>)[method]!;
  return new Promise((resolve, reject) =>
    fn.call(client, request, metadata, (e, v) => (e ? reject(e) : resolve(v as T))),
  );
}

/**
 * permission-service's Check over gRPC (its own OS process on real PostgreSQL) on the issue-12 tenant at an
 * offered RATE req/s for SECONDS, beside the raw floor: the same service's GetServiceInfo (a gRPC round trip
 * with no work) at the same rate, same run. Decisions are compared with the in-process engine first.
 */
export async function permissionServiceGrpc(
  { postgresUrl }: BenchContext,
  tenant: PermissionTenant,
  requests: BenchRequest[],
): Promise<Record<string, unknown>> {
  const port = await freePort();
  const schema = `bench_perm_${port}`;
  const store = await PostgresEventStore.connect({ connectionString: postgresUrl, schema: `${schema}_es` });
  const pool = new Pool({ connectionString: postgresUrl, max: 2 });
  const seeded = performance.now();
  const token = await seedPolicy(store, tenant);
  const probe = new ServerProbe();
  let floors: FloorServers | undefined;
  const service = await startServiceProcess(
    'permission-service',
    {
      GRPC_PORT: String(port),
      DATABASE_URL: postgresUrl,
      DATABASE_SCHEMA: schema,
      EVENTSTORE_SCHEMA: `${schema}_es`,
      ...probe.env(),
    },
    120_000,
  );
  probe.attach(service);
  const check$ = tagguardClient<grpc.Client>(
    `127.0.0.1:${port}`,
    'tagguard/permission/v1/check_service.proto',
    protoRoot(),
    ['tagguard', 'permission', 'v1', 'CheckService'],
  );
  const info = tagguardClient<grpc.Client>(
    `127.0.0.1:${port}`,
    'tagguard/runtime/v1/service_info.proto',
    protoRoot(),
    ['tagguard', 'runtime', 'v1', 'ServiceInfoService'],
  );
  try {
    await seedCopies(pool, schema, tenant);
    const seedSeconds = round((performance.now() - seeded) / 1000);
    const metadata = new grpc.Metadata();
    const t = tenant.world.tenantId;
    metadata.set(
      'authorization',
      `Bearer ${signToken({ tenantId: t, actorId: 'bench', roles: ['tenant_admin'] }, loadDevPrivateKey())}`,
    );
    const request = (r: BenchRequest, atLeastAsFresh = '') => ({
      subject: { employeeId: r.employeeId, roles: [] },
      action: r.action,
      tagId: r.tagId,
      atLeastAsFresh,
    });
    // The first check waits for the seeded policy (its token) and loads the tenant's copies.
    const loaded = performance.now();
    await call(check$, 'Check', request(requests[0]!, token), metadata);
    const firstCheckMs = round(performance.now() - loaded);

    const snapshot = tenant.world.snapshot();
    let agree = 0;
    let allowed = 0;
    for (let i = 0; i < AGREEMENT; i++) {
      const r = requests[i % requests.length]!;
      const { decision } = await call<Decided>(check$, 'Check', request(r), metadata);
      const local = check(snapshot, {
        subject: { employeeId: r.employeeId, tokenRoles: [] },
        action: r.action,
        tagId: r.tagId,
        at: Date.now(),
      });
      if (decision.allowed === local.allowed) agree++;
      if (local.allowed) allowed++;
    }

    const total = RATE * SECONDS;
    const bin = ghzBinary();
    const authorization = metadata.get('authorization')[0] as string;
    const address = `127.0.0.1:${port}`;
    // The runtime's floors for the same call, in the same run (grpc-floor.cjs).
    floors = bin ? await FloorServers.start(bin, RATE, 2_000) : undefined;
    const byGhz = bin
      ? {
          status: 'measured',
          version: GHZ_VERSION,
          ...(await underEachPlacement(service.child.pid!, probe, (where: Placement) => ({
            ...floors!.sides(bin, where, RATE, total / 2),
            baselineGetServiceInfo: () =>
              ghz(
                bin,
                {
                  address,
                  protoFile: 'tagguard/runtime/v1/service_info.proto',
                  call: 'tagguard.runtime.v1.ServiceInfoService/GetServiceInfo',
                  data: [{}],
                  authorization,
                  rate: RATE,
                  total: total / 2,
                },
                where,
              ),
            check: () =>
              ghz(
                bin,
                {
                  address,
                  protoFile: 'tagguard/permission/v1/check_service.proto',
                  call: 'tagguard.permission.v1.CheckService/Check',
                  data: requests.slice(0, 2_000).map((r) => ({
                    subject: { employee_id: r.employeeId },
                    action: r.action,
                    tag_id: r.tagId,
                  })),
                  authorization,
                  rate: RATE,
                  total: total / 2,
                },
                where,
              ),
          }))),
        }
      : { status: `not measured: no ghz binary (go install github.com/bojand/ghz/cmd/ghz@${GHZ_VERSION})` };
    // The bench's own Node client as the load generator: it shares the cores (and this process's heap of
    // two 100,000-employee tenants) with the server, so its tail is the driver's as much as the server's.
    const nodeDriver =
      process.env['BENCH_GRPC_NODE_DRIVER'] === '0'
        ? { status: 'not measured: BENCH_GRPC_NODE_DRIVER=0' }
        : {
            baselineGetServiceInfo: await offered(total, RATE, () =>
              call(info, 'GetServiceInfo', {}, metadata),
            ),
            check: await offered(total, RATE, (i) =>
              call(check$, 'Check', request(requests[i % requests.length]!), metadata),
            ),
          };
    return {
      status: 'measured',
      offeredRate: RATE,
      seconds: SECONDS,
      placements: placements().map((p) => p.name),
      loadGeneratedByGhz: byGhz,
      loadGeneratedByNodeClient: nodeDriver,
      seedSeconds,
      firstCheckWithTokenMs: firstCheckMs,
      agreementWithInProcessEngine: { requests: AGREEMENT, agree, allowedShare: round(allowed / AGREEMENT) },
    };
  } finally {
    floors?.close();
    check$.close();
    info.close();
    await service.stop('SIGTERM');
    probe.close();
    await pool.end();
    await store.close();
  }
}
