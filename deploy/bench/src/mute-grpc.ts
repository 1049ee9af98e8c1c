import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { Pool } from 'pg';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { protoRoot } from '@tagguard/grpc-runtime';
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
import type { BenchContext } from './registry';

const RATE = Number(process.env['BENCH_MUTE_GRPC_RATE'] ?? 1_000);
const SECONDS = Number(process.env['BENCH_MUTE_GRPC_SECONDS'] ?? 10);
const RULES = Number(process.env['BENCH_MUTE_GRPC_RULES'] ?? 200);
const EMPLOYEES = 3_000;
const DEPARTMENTS = 300;
const PARTNERS = 2_000;
const WARMUP = Number(process.env['BENCH_MUTE_GRPC_WARMUP'] ?? 2_000);

type Unary = (
  request: object,
  metadata: grpc.Metadata,
  callback: (e: grpc.ServiceError | null, v: never) => void,
) => void;

function call<T>(client: grpc.Client, method: string, request: object, metadata: grpc.Metadata): Promise<T> {
  const fn = (client as unknown as Record<string, Unary>)[method]!;
  return new Promise((resolve, reject) =>
    fn.call(client, request, metadata, (e, v) => (e ? reject(e) : resolve(v as T))),
  );
}

/**
 * mute-service's Decide over gRPC: the service as its own OS process on the bench's PostgreSQL (no Kafka),
 * RULES rules written through RuleService (partner mutes with nested department rules, a green channel), the
 * copies seeded as its consumers write them; at RATE req/s for SECONDS: GetServiceInfo (the raw baseline, the
 * same server doing no work), Decide with dry_run (the decision alone) and recorded Decide (one append each).
 */
export async function muteGrpcDecide({ postgresUrl }: BenchContext): Promise<Record<string, unknown>> {
  const port = await freePort();
  const schema = `bench_mute_${port}`;
  const probe = new ServerProbe();
  let floors: FloorServers | undefined;
  const service = await startServiceProcess(
    'mute-service',
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
  const address = `127.0.0.1:${port}`;
  const client = (file: string, path: string[]) =>
    tagguardClient<grpc.Client>(address, file, protoRoot(), path);
  const rules = client('tagguard/mute/v1/rule_service.proto', ['tagguard', 'mute', 'v1', 'RuleService']);
  const decide = client('tagguard/mute/v1/decide_service.proto', ['tagguard', 'mute', 'v1', 'DecideService']);
  const info = client('tagguard/runtime/v1/service_info.proto', [
    'tagguard',
    'runtime',
    'v1',
    'ServiceInfoService',
  ]);
  const pool = new Pool({ connectionString: postgresUrl, max: 2 });
  const tenantId = 'bench-mute';
  const metadata = new grpc.Metadata();
  metadata.set(
    'authorization',
    `Bearer ${signToken({ tenantId, actorId: 'bench', roles: ['tenant_admin'] }, loadDevPrivateKey())}`,
  );
  try {
    const seeded = performance.now();
    const q = (name: string) => `"${schema}"."${name}"`;
    const deps = Array.from({ length: DEPARTMENTS }, (_, i) => `d${i}`);
    await pool.query(
      `INSERT INTO ${q('directory_copy')} (tenant_id, kind, object_id, revision, removed, parent_id, department_ids, name, seq)
       SELECT $1, k, id, 0, false, p, d::jsonb, '', nextval('${q('copy_seq')}') FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS x(k, id, p, d)`,
      [
        tenantId,
        [...deps.map(() => 'department'), ...Array.from({ length: EMPLOYEES }, () => 'employee')],
        [...deps, ...Array.from({ length: EMPLOYEES }, (_, i) => `e${i}`)],
        [
          ...deps.map((_, i) => (i < 10 ? null : `d${i % 10}`)),
          ...Array.from({ length: EMPLOYEES }, () => null),
        ],
        [
          ...deps.map(() => null),
          ...Array.from({ length: EMPLOYEES }, (_, i) => JSON.stringify([`d${i % DEPARTMENTS}`])),
        ],
      ],
    );
    await pool.query(
      `INSERT INTO ${q('tag_copy')} (tenant_id, tag_id, revision, members_revision, parent_id, is_group, deleted, seq)
       VALUES ($1, 'g-vip', 0, -1, null, true, false, nextval('${q('copy_seq')}')), ($1, 'vip', 1, 0, 'g-vip', false, false, nextval('${q('copy_seq')}'))`,
      [tenantId],
    );
    await pool.query(
      `INSERT INTO ${q('tag_member_copy')} (tenant_id, tag_id, member_kind, member_id, present, seq)
       SELECT $1, 'vip', 'partner', 'p' || i, true, nextval('${q('copy_seq')}') FROM generate_series(0, 99) AS i`,
      [tenantId],
    );
    for (let i = 0; i < RULES / 2; i++) {
      await call(
        rules,
        'CreateRule',
        {
          rule: {
            ruleId: `mute-${i}`,
            name: `mute ${i}`,
            scope: { senderCorpIds: [`p${i}`] },
            effect: 'RULE_EFFECT_SILENT',
          },
        },
        metadata,
      );
      await call(
        rules,
        'CreateRule',
        {
          rule: {
            ruleId: `dep-${i}`,
            parentId: `mute-${i}`,
            name: `dep ${i}`,
            scope: { recipientDepartmentIds: [`d${i % DEPARTMENTS}`] },
            effect: 'RULE_EFFECT_NOTIFY',
          },
        },
        metadata,
      );
    }
    await call(
      rules,
      'CreateGreenChannel',
      { channel: { channelId: 'a-grade', name: 'A', tagGroupId: 'g-vip' } },
      metadata,
    );
    const seedSeconds = round((performance.now() - seeded) / 1000);
    const message = (i: number, id: string) => ({
      messageId: id,
      recipientId: `e${i % EMPLOYEES}`,
      sender: { partnerStaff: { corpId: `p${i % PARTNERS}`, staffId: 's' } },
      sentAt: '2026-12-01T03:00:00Z',
    });
    // Warm: the first decision loads the tenant's copies and compiles the rule index.
    const warmed = performance.now();
    const first = await call<{ decision: { outcome: string } }>(
      decide,
      'Decide',
      { message: message(0, 'warm'), dryRun: true },
      metadata,
    );
    const firstDecideMs = round(performance.now() - warmed);
    // Warm-up, not timed: the first runs otherwise carried the JIT and first-use work of the decision path
    // (a 450 ms stall in the first measured run at 200 req/s).
    for (let i = 0; i < WARMUP; i++)
      await call(decide, 'Decide', { message: message(i, `warm-${i}`), dryRun: i % 4 !== 0 }, metadata);
    const total = RATE * SECONDS;
    const bin = ghzBinary();
    const authorization = metadata.get('authorization')[0] as string;
    const ghzDecide = (where: Placement, dryRun: boolean, prefix: string) => () =>
      ghz(
        bin!,
        {
          address,
          protoFile: 'tagguard/mute/v1/decide_service.proto',
          call: 'tagguard.mute.v1.DecideService/Decide',
          // ghz fills {{.RequestNumber}} per call: every recorded decision is a new message.
          data: Array.from({ length: 500 }, (_, i) => ({
            message: message(i, `${prefix}-${i}-{{.RequestNumber}}`),
            dryRun,
          })),
          authorization,
          rate: RATE,
          total: total / 2,
        },
        where,
      );
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
            decideDryRun: ghzDecide(where, true, 'ghz-dry'),
            decideRecorded: ghzDecide(where, false, 'ghz-rec'),
          }))),
        }
      : { status: `not measured: no ghz binary (go install github.com/bojand/ghz/cmd/ghz@${GHZ_VERSION})` };
    // The bench's own Node client as the load generator (it shares the cores with the server).
    const nodeDriver =
      process.env['BENCH_GRPC_NODE_DRIVER'] === '0'
        ? { status: 'not measured: BENCH_GRPC_NODE_DRIVER=0' }
        : {
            baselineGetServiceInfo: await offered(total, RATE, () =>
              call(info, 'GetServiceInfo', {}, metadata),
            ),
            decideDryRun: await offered(total, RATE, (i) =>
              call(decide, 'Decide', { message: message(i, `dry-${i}`), dryRun: true }, metadata),
            ),
            decideRecorded: await offered(total, RATE, (i) =>
              call(decide, 'Decide', { message: message(i, `rec-${i}`) }, metadata),
            ),
          };
    type Worse = { worse: { p50: number; p99: number } };
    type Sides = {
      sides: {
        decideDryRun: Worse;
        decideRecorded: Worse;
        baselineGetServiceInfo: Worse;
        floorBareGrpcJs?: Worse;
        floorBareNodeHttp2?: Worse;
      };
    };
    const verdict = Object.fromEntries(
      Object.entries(byGhz as Record<string, unknown>)
        .filter((e): e is [string, Sides] => typeof e[1] === 'object' && e[1] !== null)
        .map(([name, { sides }]) => [
          name,
          {
            dryRunP99Ms: sides.decideDryRun.worse.p99,
            recordedP99Ms: sides.decideRecorded.worse.p99,
            noOpP99Ms: sides.baselineGetServiceInfo.worse.p99,
            dryRunP99ToTarget2ms: round(sides.decideDryRun.worse.p99 / 2),
            // What Node.js itself gives for a no-op call on this machine under the same load (grpc-floor.cjs).
            floorBareGrpcJsP99Ms: sides.floorBareGrpcJs?.worse.p99,
            floorBareNodeHttp2P99Ms: sides.floorBareNodeHttp2?.worse.p99,
          },
        ]),
    );
    return {
      status: 'measured',
      offeredRate: RATE,
      seconds: SECONDS,
      rules: RULES,
      placements: placements().map((p) => p.name),
      seedSeconds,
      firstDecideMs,
      warmupCalls: WARMUP,
      firstOutcome: first.decision.outcome,
      verdict,
      loadGeneratedByGhz: byGhz,
      loadGeneratedByNodeClient: nodeDriver,
    };
  } finally {
    floors?.close();
    rules.close();
    decide.close();
    info.close();
    await service.stop('SIGTERM');
    probe.close();
    await pool.end();
  }
}
