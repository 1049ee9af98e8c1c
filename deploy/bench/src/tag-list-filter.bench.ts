import { createHash, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { permissionEventKeyV1, type PermissionIntegrationEventV1 } from '@tagguard/contracts';
import { PostgresEventStore } from '@tagguard/event-store';
import { applyPolicyEvent, check, emptyPolicy, type Snapshot } from '@tagguard/permission-engine';
import { freePort, startServiceProcess, type ServiceProcess } from '@tagguard/testing';
import { measureInterleaved, round } from './measure';
import type { BenchContext } from './registry';
import { TagServiceClient } from './tag-service-client';

const TAGS = Number(process.env['BENCH_TAG_LIST_TAGS'] ?? 10_000);
const LISTINGS = Number(process.env['BENCH_TAG_LIST_LISTINGS'] ?? 30);
const RULES = Number(process.env['BENCH_TAG_LIST_RULES'] ?? 200);
const PAGE = 500;
/** Every tenth tag is visible to the whole tenant; the rest are restricted to the sales department. */
const restricted = (i: number) => i % 10 !== 0;

/**
 * ListTags of a whole 10,000-tag tenant (every page of 500) over gRPC, for callers the engine filters
 * and for the tenant admin who sees every tag (the unfiltered answer), interleaved in one run, beside
 * the raw page queries on PostgreSQL (the floor: the same keyset SQL without gRPC, engine or mapping).
 * The policy (roles, assignments, RULES rules, a sensitive word) and the directory are written into
 * tag-service's own copies, as its consumers would; the tags are bulk-inserted catalogue events that
 * tag-service's projection then reads.
 */
export async function tagListFilter({ postgresUrl }: BenchContext) {
  const run = randomUUID().replace(/-/g, '').slice(0, 8);
  const es = `bench_tlf_es_${run}`;
  const rm = `bench_tlf_rm_${run}`;
  const tenant = `tlf-${run}`;
  const pool = new Pool({ connectionString: postgresUrl, max: 4 });
  let service: ServiceProcess | undefined;
  const clients: TagServiceClient[] = [];
  try {
    // Opened first, so its tables exist before the service subscribes and the bulk insert lands.
    const store = await PostgresEventStore.connect({
      connectionString: postgresUrl,
      schema: es,
      listen: false,
    });
    await store.close();
    const port = await freePort();
    service = await startServiceProcess(
      'tag-service',
      { GRPC_PORT: String(port), DATABASE_URL: postgresUrl, DATABASE_SCHEMA: rm, EVENTSTORE_SCHEMA: es },
      120_000,
    );
    const generated = await generateTags(pool, es, tenant);
    const policy = policyEvents(tenant);
    await seedCopies(pool, rm, tenant, policy);
    const projected = Date.now();
    for (;;) {
      const [{ n }] = (
        await pool.query(`SELECT count(*)::int AS n FROM "${rm}".tag_nodes WHERE tenant_id = $1`, [tenant])
      ).rows;
      if (n >= TAGS) break;
      if (Date.now() - projected > 300_000) throw new Error(`projection stuck at ${n} of ${TAGS} tags`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const projectionSeconds = round((Date.now() - projected) / 1000);

    const client = (actor: string, roles: string[]) => {
      const c = new TagServiceClient(`127.0.0.1:${port}`, tenant, actor, roles);
      clients.push(c);
      return c;
    };
    const callers = {
      admin: client('bench-admin', ['tenant_admin']),
      seller: client('seller', []),
      guest: client('guest', []),
    };
    const counts: Record<string, number> = {};
    const listAll = (c: TagServiceClient, name: string) => async () => {
      let token = '';
      let n = 0;
      do {
        const page = await c.unary<{ tags: unknown[]; nextPageToken: string }>('TagService', 'ListTags', {
          pageSize: PAGE,
          pageToken: token,
        });
        n += page.tags.length;
        token = page.nextPageToken;
      } while (token);
      counts[name] = n;
    };
    const raw = async () => {
      let after = '';
      let n = 0;
      for (;;) {
        const { rows } = await pool.query(
          `SELECT * FROM "${rm}".tag_nodes WHERE tenant_id = $1 AND node_id > $2 AND status = 'active' ORDER BY node_id LIMIT $3`,
          [tenant, after, PAGE + 1],
        );
        n += Math.min(rows.length, PAGE);
        if (rows.length <= PAGE) break;
        after = rows[PAGE - 1].node_id;
      }
      counts['rawSql'] = n;
    };
    const sides = await measureInterleaved(
      {
        unfilteredAdmin: listAll(callers.admin, 'unfilteredAdmin'),
        filteredSeller: listAll(callers.seller, 'filteredSeller'),
        filteredGuest: listAll(callers.guest, 'filteredGuest'),
        rawSql: raw,
      },
      { total: LISTINGS, rounds: 6, warmup: 2, concurrency: 1 },
    );
    const inProcess = engineOnly(tenant, policy);
    const ratio = (side: keyof typeof sides) =>
      round(sides[side].latencyMs.p50 / sides.unfilteredAdmin.latencyMs.p50);
    const ratioP99 = (side: keyof typeof sides) =>
      round(sides[side].latencyMs.p99 / sides.unfilteredAdmin.latencyMs.p99);
    return {
      description:
        'ListTags of a whole 10,000-tag tenant (pages of 500) over gRPC: filtered by the engine for restricted callers vs the tenant admin (unfiltered answer), interleaved in one run, beside the raw keyset SQL',
      tenant: {
        tags: TAGS,
        restrictedToSales: TAGS - Math.ceil(TAGS / 10),
        rules: RULES,
        bulkInsertSeconds: generated.seconds,
        projectionSeconds,
      },
      tagsListed: counts,
      listingsPerSide: LISTINGS,
      wholeListingMs: Object.fromEntries(Object.entries(sides).map(([k, v]) => [k, v.latencyMs])),
      sides,
      ratioToUnfiltered: {
        p50: {
          filteredSeller: ratio('filteredSeller'),
          filteredGuest: ratio('filteredGuest'),
          rawSql: ratio('rawSql'),
        },
        p99: {
          filteredSeller: ratioP99('filteredSeller'),
          filteredGuest: ratioP99('filteredGuest'),
          rawSql: ratioP99('rawSql'),
        },
      },
      engineInProcess: inProcess,
      goal: "a restricted caller's filtered ListTags within 2× of the unfiltered call",
      met: ratioP99('filteredSeller') <= 2 && ratioP99('filteredGuest') <= 2,
    };
  } finally {
    for (const c of clients) c.close();
    await service?.stop('SIGTERM').catch(() => undefined);
    for (const s of [es, rm]) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

/** TAGS NodeCreated events in the tenant's catalogue, then VisibilityConfigured for the restricted ones. */
async function generateTags(pool: Pool, es: string, tenant: string) {
  const started = Date.now();
  const meta = `jsonb_build_object('tenantId', $1::text, 'actorId', 'bench', 'correlationId', gen_random_uuid()::text, 'occurredAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`;
  const tagId = `md5($1::text || ':' || t)::uuid::text`;
  await pool.query(
    `INSERT INTO "${es}".events (event_id, stream_id, category, stream_revision, event_type, schema_version, data, metadata)
     SELECT gen_random_uuid(), 'tagCatalog-' || $1, 'tagCatalog', t, 'NodeCreated', 1,
            jsonb_build_object('nodeId', ${tagId}, 'nodeType', 'tag', 'kind', 'customer', 'name', CASE WHEN t % 7 = 0 THEN 'VIP客户-' ELSE '客户-' END || t,
                               'parentId', null, 'order', t, 'description', ''), ${meta}
       FROM generate_series(0, $2::int - 1) t`,
    [tenant, TAGS],
  );
  const { rowCount } = await pool.query(
    `INSERT INTO "${es}".events (event_id, stream_id, category, stream_revision, event_type, schema_version, data, metadata)
     SELECT gen_random_uuid(), 'tagCatalog-' || $1, 'tagCatalog', $2::int + row_number() OVER (ORDER BY t) - 1, 'VisibilityConfigured', 1,
            jsonb_build_object('nodeId', ${tagId}, 'sensitive', true, 'visibility', jsonb_build_object(
              'scope', 'restricted', 'departments', jsonb_build_array(jsonb_build_object('departmentId', 'sales', 'includeSubDepartments', true)),
              'roles', '[]'::jsonb, 'members', '[]'::jsonb)), ${meta}
       FROM generate_series(0, $2::int - 1) t WHERE t % 10 <> 0`,
    [tenant, TAGS],
  );
  await pool.query(
    `INSERT INTO "${es}".streams (stream_id, category, revision, deleted) VALUES ('tagCatalog-' || $1, 'tagCatalog', $2::int - 1, false)`,
    [tenant, TAGS + (rowCount ?? 0)],
  );
  await pool.query(`NOTIFY "${es}_appended"`).catch(() => undefined);
  return { events: TAGS + (rowCount ?? 0), seconds: round((Date.now() - started) / 1000) };
}

function policyEvents(tenant: string): PermissionIntegrationEventV1[] {
  let position = 0;
  const base = () => ({ tenantId: tenant, revision: '0', position: String(++position) });
  const events: PermissionIntegrationEventV1[] = [
    {
      type: 'permission.role_changed.v1',
      data: { ...base(), roleId: 'viewer', name: 'viewer', scopes: ['customer_tags.view'], removed: false },
    },
    {
      type: 'permission.role_assignment_changed.v1',
      data: {
        ...base(),
        assignmentId: 'a-hq',
        roleId: 'viewer',
        subject: { kind: 'department', id: 'hq', includeSubDepartments: true },
        expiresAt: null,
        removed: false,
      },
    },
    {
      type: 'permission.sensitive_word_changed.v1',
      data: {
        ...base(),
        wordId: 'w-vip',
        word: 'vip',
        category: 'customer',
        fields: ['name'],
        removed: false,
      },
    },
  ];
  const ruleIds: string[] = [];
  for (let r = 0; r < RULES; r++) {
    const ruleId = `r${r}`;
    ruleIds.push(ruleId);
    events.push({
      type: 'permission.rule_changed.v1',
      data: {
        ...base(),
        ruleId,
        effect: r % 2 ? 'grant' : 'deny',
        subject: { kind: 'department', id: r % 3 ? 'ops' : 'sales', includeSubDepartments: false },
        resource: { kind: 'tag', id: uuid(tenant, (r * 37) % TAGS) },
        actions: ['customer_tags.view'],
        starred: false,
        description: '',
        removed: false,
      },
    });
  }
  events.push({ type: 'permission.rules_reordered.v1', data: { ...base(), ruleIds, by: 'bench' } });
  return events;
}

/** The directory and policy rows tag-service's consumers would have written. */
async function seedCopies(pool: Pool, rm: string, tenant: string, policy: PermissionIntegrationEventV1[]) {
  const dir = (kind: string, id: string, data: object, status: string | null) =>
    pool.query(
      `INSERT INTO "${rm}".directory_objects (tenant_id, kind, object_id, revision, removed, status, partial, data, updated_at)
       VALUES ($1, $2, $3, 0, false, $4, false, $5::jsonb, now())`,
      [tenant, kind, id, status, JSON.stringify(data)],
    );
  await dir('department', 'hq', { departmentId: 'hq', parentId: null }, null);
  await dir('department', 'sales', { departmentId: 'sales', parentId: 'hq' }, null);
  await dir('department', 'ops', { departmentId: 'ops', parentId: 'hq' }, null);
  await dir('employee', 'seller', { employeeId: 'seller', departmentIds: ['sales'] }, 'active');
  await dir('employee', 'guest', { employeeId: 'guest', departmentIds: ['ops'] }, 'active');
  for (const e of policy)
    await pool.query(
      `INSERT INTO "${rm}".policy_objects (tenant_id, object_key, revision, position, type, data, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, now())`,
      [
        tenant,
        permissionEventKeyV1(e).slice(tenant.length + 1),
        e.data.revision,
        e.data.position,
        e.type,
        JSON.stringify(e.data),
      ],
    );
}

/** The engine alone on the same policy: one check per tag for the guest, in this process (no I/O). */
function engineOnly(tenant: string, events: PermissionIntegrationEventV1[]) {
  let state = emptyPolicy(tenant);
  const revisions = new Map<string, bigint>();
  for (const e of events) state = applyPolicyEvent(state, e, revisions);
  const tags = new Map(
    Array.from({ length: TAGS }, (_, i) => {
      const id = uuid(tenant, i);
      return [
        id,
        {
          tagId: id,
          kind: 'customer' as const,
          isGroup: false,
          parentId: null,
          visibility: {
            restricted: restricted(i),
            departments: restricted(i) ? [{ departmentId: 'sales', includeSubDepartments: true }] : [],
            roles: [],
            memberIds: [],
          },
          sensitive: restricted(i),
        },
      ];
    }),
  );
  const parents = new Map<string, string | null>([
    ['ops', 'hq'],
    ['hq', null],
  ]);
  const snapshot: Snapshot = {
    policy: state,
    tags: { tag: (id) => tags.get(id) },
    directory: {
      mirrored: true,
      parentOf: (d) => parents.get(d),
      employee: (id) => (id === 'guest' ? { departmentIds: ['ops'], status: 'active' } : undefined),
    },
  };
  const ids = [...tags.keys()];
  const pass = () => {
    let visible = 0;
    for (const [i, id] of ids.entries())
      if (
        check(snapshot, {
          subject: { employeeId: 'guest', tokenRoles: [] },
          action: 'customer_tags.view',
          tagId: id,
          fields: { name: `客户-${i}`, description: '' },
          at: Date.now(),
        }).allowed
      )
        visible++;
    return visible;
  };
  pass();
  const t = process.hrtime.bigint();
  const passes = 5;
  let visible = 0;
  for (let p = 0; p < passes; p++) visible = pass();
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  return {
    checksPerPass: TAGS,
    visibleToGuest: visible,
    msPerPass: round((seconds * 1000) / passes),
    microsPerCheck: round((seconds * 1e6) / (passes * TAGS)),
  };
}

/** The same uuid PostgreSQL's md5(text)::uuid gives. */
function uuid(tenant: string, i: number): string {
  const hex = createHash('md5').update(`${tenant}:${i}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
