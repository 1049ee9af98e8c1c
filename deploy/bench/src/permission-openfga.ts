import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer, loadSync } from '@grpc/proto-loader';
import { freePort } from '@tagguard/testing';
import { GHZ_VERSION, ghz, ghzBinary, interleavedGhz, placement } from './grpc-load';
import { round } from './measure';
import { departmentChain } from '@tagguard/permission-engine';
import type { BenchRequest, PermissionTenant } from './permission-tenant';

/**
 * OpenFGA (built through the Go module proxy: `go install github.com/openfga/openfga/cmd/openfga@v1.22.1`,
 * binary at OPENFGA_BIN or ~/.cache/tagguard/openfga/v1.22.1/openfga) in memory mode on loopback, loaded
 * with the conflict-free bench tenant as an equivalent model, answering Check over gRPC at a fixed offered
 * rate, beside the same server's grpc.health.v1 Check on the same channel as the plain gRPC baseline.
 *
 * The model (starred rules only, as in the bench tenant): department `member` = the employees of the
 * department or of any department below it, written as the closure (one tuple per employee and department
 * of its chain, as the engine's departmentChain computes it) rather than as a recursive `member from child`:
 * that userset makes every Check walk the whole sub-tree below a department (2,000 departments here) and hit
 * OpenFGA's request deadline, while the closure makes each department membership one tuple read. Tags keep
 * the `parent` relation, OpenFGA's hierarchy pattern (`x from parent`), which walks up at most the 5 tag
 * levels. Role membership is a closure as well (employee → role, through its departments' assignments): a
 * `department#member` userset on a role makes Check visit every department assigned to it. A tag is
 * `blocked_<a>` for action a by a deny rule on it, on a permission group containing it, or on any tag group above it;
 * `can_<a>` = the role scope for a (from the tenant object, reached through the root tag group) but not
 * `blocked_<a>`, and not `not_listed` (a restricted tag — `restricted: employee:*` — whose listed
 * departments and members do not include the caller). Grant rules never change a decision in a
 * conflict-free set (no rule applies → pass), so they are not written.
 */
export const OPENFGA_VERSION = 'v1.22.1';
/**
 * The distinct requests sent (and checked against the engine), as many as permission-service's ghz run
 * cycles through; the timed calls cycle through them. Every employee they name is written with its
 * department and role memberships (the others could not change these answers).
 */
const SAMPLE = Number(process.env['BENCH_OPENFGA_SAMPLE'] ?? 2_000);
/**
 * The tuples per Write: OpenFGA's default --max-tuples-per-write (passed explicitly, so each batch is the
 * server's maximum). 1,000 per Write on PostgreSQL overran the 3 s request deadline on the loaded machine.
 */
const MAX_TUPLES_PER_WRITE = 100;
const BUILD = `go install github.com/openfga/openfga/cmd/openfga@${OPENFGA_VERSION} (~7 min through the Go module proxy), then copy ~/go/bin/openfga to ~/.cache/tagguard/openfga/${OPENFGA_VERSION}/openfga or set OPENFGA_BIN`;

const ACTION_KEYS: Record<string, string> = { 'customer_tags.view': 'view', 'customer_tags.edit': 'edit' };

function openfgaBinary(): string | null {
  const bin =
    process.env['OPENFGA_BIN'] ?? join(homedir(), '.cache/tagguard/openfga', OPENFGA_VERSION, 'openfga');
  return existsSync(bin) ? bin : null;
}

type Unary = (
  request: unknown,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: unknown) => void,
) => void;
type DynamicClient = grpc.Client & Record<string, Unary>;
type ClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => DynamicClient;
type ReflectionResponse = {
  error_response?: { error_message: string };
  file_descriptor_response?: { file_descriptor_proto: Uint8Array[] };
};

/** The client constructor of a fully qualified service in a loaded package definition. */
function serviceClient(definition: grpc.GrpcObject, service: string): ClientConstructor {
  let node: unknown = definition;
  for (const part of service.split('.')) node = (node as Record<string, unknown>)[part];
  if (typeof node !== 'function') throw new Error(`no service ${service}`);
  return node as ClientConstructor;
}

/** The descriptors of a service, read through gRPC server reflection (OpenFGA ships no .proto files). */
async function reflect(address: string, symbol: string): Promise<Buffer> {
  const reflectionProto =
    require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto');
  const def = grpc.loadPackageDefinition(loadSync(reflectionProto, { keepCase: true }));
  const client = new (serviceClient(def, 'grpc.reflection.v1alpha.ServerReflection'))(
    address,
    grpc.credentials.createInsecure(),
  ) as unknown as grpc.Client & {
    ServerReflectionInfo(): grpc.ClientDuplexStream<object, ReflectionResponse>;
  };
  const files = new Map<string, Buffer>();
  const call = client.ServerReflectionInfo();
  const pending = new Set<string>();
  const ask = (req: Record<string, string>) => call.write({ host: '', ...req });
  const done = new Promise<void>((resolve, reject) => {
    call.on('data', (res: ReflectionResponse) => {
      if (res.error_response) return reject(new Error(`reflection: ${res.error_response.error_message}`));
      for (const bytes of res.file_descriptor_response?.file_descriptor_proto ?? []) {
        const buf = Buffer.from(bytes);
        const name = readFileName(buf);
        if (!files.has(name)) files.set(name, buf);
        for (const dep of readDependencies(buf)) {
          if (!files.has(dep) && !pending.has(dep)) {
            pending.add(dep);
            ask({ file_by_filename: dep });
          }
        }
      }
      const answered = [...pending].filter((p) => files.has(p));
      for (const p of answered) pending.delete(p);
      if (pending.size === 0) call.end();
    });
    call.on('end', resolve);
    call.on('error', reject);
  });
  ask({ file_containing_symbol: symbol });
  await done;
  client.close();
  // A FileDescriptorSet is field 1 (bytes) repeated.
  return Buffer.concat([...files.values()].flatMap((f) => [Buffer.from([0x0a]), varint(f.length), f]));
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** Fields 1 (name) and 3 (dependency) of a FileDescriptorProto, read straight off the wire. */
function fields(buf: Buffer, wanted: number): string[] {
  const out: string[] = [];
  let i = 0;
  const readVarint = () => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = buf[i++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
    }
  };
  while (i < buf.length) {
    const key = readVarint();
    const field = Math.floor(key / 8);
    const type = key & 7;
    if (type === 2) {
      const len = readVarint();
      if (field === wanted) out.push(buf.toString('utf8', i, i + len));
      i += len;
    } else if (type === 0) readVarint();
    else if (type === 1) i += 8;
    else if (type === 5) i += 4;
    else throw new Error(`descriptor: wire type ${type}`);
  }
  return out;
}
const readFileName = (buf: Buffer) => fields(buf, 1)[0]!;
const readDependencies = (buf: Buffer) => fields(buf, 3);

const direct = (...types: (string | { type: string; relation?: string; wildcard?: boolean })[]) => ({
  directly_related_user_types: types.map((t) =>
    typeof t === 'string'
      ? { type: t }
      : t.wildcard
        ? { type: t.type, wildcard: {} }
        : { type: t.type, relation: t.relation },
  ),
});
const THIS = { this: {} };
const computed = (relation: string) => ({ computed_userset: { object: '', relation } });
const from = (tupleset: string, relation: string) => ({
  tuple_to_userset: {
    tupleset: { object: '', relation: tupleset },
    computed_userset: { object: '', relation },
  },
});
const union = (...child: unknown[]) => ({ union: { child } });

function model() {
  const subjects = [
    'employee',
    { type: 'department', relation: 'member' },
    { type: 'role', relation: 'member' },
  ];
  const actions = Object.values(ACTION_KEYS);
  const tagRelations: Record<string, unknown> = {
    parent: THIS,
    group: THIS,
    tenant: THIS,
    restricted: THIS,
    listed: THIS,
    not_listed: { difference: { base: computed('restricted'), subtract: computed('listed') } },
  };
  const tagMeta: Record<string, unknown> = {
    parent: direct('tag'),
    group: direct('permission_group'),
    tenant: direct('tenant'),
    restricted: direct({ type: 'employee', wildcard: true }),
    listed: direct('employee', { type: 'department', relation: 'member' }),
    not_listed: direct(),
  };
  for (const a of actions) {
    tagRelations[`denied_${a}`] = THIS;
    tagMeta[`denied_${a}`] = direct(...subjects);
    tagRelations[`blocked_${a}`] = union(
      computed(`denied_${a}`),
      from('parent', `blocked_${a}`),
      from('group', `denied_${a}`),
    );
    tagMeta[`blocked_${a}`] = { directly_related_user_types: [] };
    tagRelations[`scoped_${a}`] = union(from('tenant', `scope_${a}`), from('parent', `scoped_${a}`));
    tagMeta[`scoped_${a}`] = direct();
    tagRelations[`can_${a}`] = {
      difference: {
        base: { difference: { base: computed(`scoped_${a}`), subtract: computed(`blocked_${a}`) } },
        subtract: computed('not_listed'),
      },
    };
    tagMeta[`can_${a}`] = { directly_related_user_types: [] };
  }
  const tenantRelations = Object.fromEntries(actions.map((a) => [`scope_${a}`, THIS]));
  const tenantMeta = Object.fromEntries(
    actions.map((a) => [`scope_${a}`, direct({ type: 'role', relation: 'member' })]),
  );
  const groupRelations = Object.fromEntries(actions.map((a) => [`denied_${a}`, THIS]));
  const groupMeta = Object.fromEntries(actions.map((a) => [`denied_${a}`, direct(...subjects)]));
  // Descriptors from reflection carry map fields as their repeated entry messages.
  const entries = (m: Record<string, unknown>) => Object.entries(m).map(([key, value]) => ({ key, value }));
  const typeDefinition = (t: {
    type: string;
    relations: Record<string, unknown>;
    metadata: { relations: Record<string, unknown> } | null;
  }) => ({
    type: t.type,
    relations: entries(t.relations),
    metadata: t.metadata ? { relations: entries(t.metadata.relations) } : null,
  });
  return {
    schema_version: '1.1',
    type_definitions: (
      [
        { type: 'employee', relations: {}, metadata: null },
        {
          type: 'department',
          relations: { member: THIS },
          metadata: { relations: { member: direct('employee') } },
        },
        {
          type: 'role',
          relations: { member: THIS },
          metadata: { relations: { member: direct('employee') } },
        },
        { type: 'tenant', relations: tenantRelations, metadata: { relations: tenantMeta } },
        { type: 'permission_group', relations: groupRelations, metadata: { relations: groupMeta } },
        { type: 'tag', relations: tagRelations, metadata: { relations: tagMeta } },
      ] as Parameters<typeof typeDefinition>[0][]
    ).map(typeDefinition),
  };
}

type Tuple = { user: string; relation: string; object: string };

function tuples(tenant: PermissionTenant, employees: ReadonlySet<string>): Tuple[] {
  const out: Tuple[] = [];
  const dept = (id: string) => `department:${id}`;
  // The closures from the engine's own directory view: each department of the employee and its ancestors,
  // and each role assigned to the employee or (with sub-departments) to one of those departments.
  const directory = tenant.world.snapshot().directory;
  for (const e of employees) {
    const chain = new Set(
      (directory.employee(e)?.departmentIds ?? []).flatMap((d) => departmentChain(directory, d)),
    );
    for (const d of chain) out.push({ user: `employee:${e}`, relation: 'member', object: dept(d) });
    const roles = new Set([
      ...(tenant.employeeRoles.get(e) ?? []),
      ...[...chain].flatMap((d) => tenant.departmentRoles.get(d) ?? []),
    ]);
    for (const r of roles) out.push({ user: `employee:${e}`, relation: 'member', object: `role:${r}` });
  }
  const covers = (scope: string, action: string) =>
    scope === '*' || scope === action || (scope.endsWith('.*') && action.startsWith(scope.slice(0, -1)));
  for (const [role, scopes] of tenant.roleScopes)
    for (const [action, key] of Object.entries(ACTION_KEYS))
      if (scopes.some((s) => covers(s, action)))
        out.push({ user: `role:${role}#member`, relation: `scope_${key}`, object: 'tenant:bench' });
  for (const t of tenant.tags) {
    const tag = `tag:${t.id}`;
    if (t.parent) out.push({ user: `tag:${t.parent}`, relation: 'parent', object: tag });
    else out.push({ user: 'tenant:bench', relation: 'tenant', object: tag });
    const v = tenant.visibility.get(t.id);
    if (v) {
      out.push({ user: 'employee:*', relation: 'restricted', object: tag });
      for (const d of new Set(v.departments))
        out.push({ user: `${dept(d)}#member`, relation: 'listed', object: tag });
      for (const m of new Set(v.memberIds))
        out.push({ user: `employee:${m}`, relation: 'listed', object: tag });
    }
  }
  for (const g of tenant.groups)
    for (const id of new Set([...g.tagIds, ...g.tagGroupIds]))
      out.push({ user: `permission_group:${g.id}`, relation: 'group', object: `tag:${id}` });
  const seen = new Set<string>();
  for (const rule of tenant.rules) {
    if (rule.effect !== 'deny') continue;
    const s = rule.subject;
    const user =
      s.kind === 'employee'
        ? `employee:${s.id}`
        : s.kind === 'department'
          ? `${dept(s.id)}#member`
          : `role:${s.id}#member`;
    const object =
      rule.resource.kind === 'permission_group'
        ? `permission_group:${rule.resource.id}`
        : `tag:${rule.resource.id}`;
    const keys =
      rule.actions.length === 0 || rule.actions.includes('customer_tags.*') ? ['view', 'edit'] : ['view'];
    for (const k of keys) {
      const key = `${user}|${k}|${object}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ user, relation: `denied_${k}`, object });
    }
  }
  return out;
}

const unary = <T>(client: DynamicClient, method: string, request: unknown, deadlineMs = 30_000): Promise<T> =>
  new Promise((resolve, reject) =>
    client[method]!(request, { deadline: Date.now() + deadlineMs }, (error, response) =>
      error ? reject(error) : resolve(response as T),
    ),
  );

async function waitServing(health: DynamicClient): Promise<void> {
  for (let waited = 0; ; waited += 200) {
    try {
      const r = await unary<{ status: string }>(health, 'Check', { service: '' }, 1000);
      if (r.status === 'SERVING') return;
    } catch (error) {
      if (waited > 30_000) throw error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function openfgaSection(
  tenant: PermissionTenant,
  requests: BenchRequest[],
  answers: boolean[],
  { rate, total, postgresUrl }: { rate: number; total: number; postgresUrl?: string },
): Promise<Record<string, unknown>> {
  // On by default when the binary is there; BENCH_OPENFGA=0 skips it. A missing binary never fails the bench.
  if (process.env['BENCH_OPENFGA'] === '0') return { status: 'not measured: BENCH_OPENFGA=0' };
  const bin = openfgaBinary();
  if (!bin) return { status: `not measured: no openfga binary; build it: ${BUILD}` };
  // OpenFGA's memory datastore scans every tuple of the store on each read (pkg/storage/memory read()), so
  // with ~25,000 tuples a Check costs tens of ms there: a test double, not how OpenFGA is run. By default the
  // bench's own PostgreSQL (a fresh database, migrated by `openfga migrate`) is the datastore, as in
  // production; BENCH_OPENFGA_DATASTORE=memory measures the memory one.
  const engine = process.env['BENCH_OPENFGA_DATASTORE'] ?? (postgresUrl ? 'postgres' : 'memory');
  let datastore: string[] = ['--datastore-engine', 'memory'];
  let dropDatabase: (() => Promise<void>) | null = null;
  if (engine === 'postgres') {
    if (!postgresUrl) return { status: 'not measured: BENCH_OPENFGA_DATASTORE=postgres without PostgreSQL' };
    const name = `openfga_bench_${Date.now()}`;
    const admin = new Pool({ connectionString: postgresUrl, max: 1 });
    await admin.query(`CREATE DATABASE ${name}`);
    dropDatabase = async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    };
    const url = new URL(postgresUrl);
    url.pathname = `/${name}`;
    datastore = ['--datastore-engine', 'postgres', '--datastore-uri', url.toString()];
    try {
      await promisify(execFile)(bin, ['migrate', ...datastore], { timeout: 120_000 });
    } catch (error) {
      await dropDatabase();
      return { status: `not measured: openfga migrate failed: ${(error as Error).message}` };
    }
  }
  // OpenFGA's own caches (Check results and datastore iterators) on by default: permission-service answers
  // from memory too, and OpenFGA's documentation recommends them for read-heavy loads. Sized and timed so
  // that the sample's sub-problems fit and none expires during the run (the defaults, 10,000 entries and
  // 10 s, evicted and expired them mid-run: every such Check went back to the datastore). The TTL is
  // OpenFGA's staleness bound: a longer one answers from older data. BENCH_OPENFGA_CACHE=0: no caches.
  const cacheLimit = process.env['BENCH_OPENFGA_CACHE_LIMIT'] ?? '1000000';
  const cacheTtl = process.env['BENCH_OPENFGA_CACHE_TTL'] ?? '10m';
  const caches =
    process.env['BENCH_OPENFGA_CACHE'] === '0'
      ? []
      : [
          '--check-query-cache-enabled',
          '--check-iterator-cache-enabled',
          '--check-cache-limit',
          cacheLimit,
          '--check-query-cache-ttl',
          cacheTtl,
          '--check-iterator-cache-ttl',
          cacheTtl,
        ];
  const grpcPort = await freePort();
  const httpPort = await freePort();
  // On the server's CPU, as permission-service (Go sizes GOMAXPROCS from the affinity it starts with).
  const where = placement();
  const [command, prefix] = where.pinned ? ['taskset', ['-c', where.serverCpus, bin]] : [bin, []];
  const child: ChildProcess = spawn(
    command,
    [
      ...prefix,
      'run',
      ...datastore,
      ...caches,
      '--grpc-addr',
      `127.0.0.1:${grpcPort}`,
      '--http-addr',
      `127.0.0.1:${httpPort}`,
      '--metrics-enabled=false',
      '--playground-enabled=false',
      '--log-level',
      'warn',
      '--max-tuples-per-write',
      String(MAX_TUPLES_PER_WRITE),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const address = `127.0.0.1:${grpcPort}`;
  let stage = 'start';
  try {
    const healthDef = grpc.loadPackageDefinition(await reflectionPackage(address, 'grpc.health.v1.Health'));
    const health = new (serviceClient(healthDef, 'grpc.health.v1.Health'))(
      address,
      grpc.credentials.createInsecure(),
    );
    await waitServing(health);
    const fgaDef = grpc.loadPackageDefinition(await reflectionPackage(address, 'openfga.v1.OpenFGAService'));
    const fga = new (serviceClient(fgaDef, 'openfga.v1.OpenFGAService'))(
      address,
      grpc.credentials.createInsecure(),
      {
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
      },
    );
    stage = 'load';
    process.stderr.write(`[openfga] ${stage} ${new Date().toISOString()}\n`);
    const loadStarted = performance.now();
    const store = await unary<{ id: string }>(fga, 'CreateStore', { name: 'bench' });
    const written = await unary<{ authorization_model_id: string }>(fga, 'WriteAuthorizationModel', {
      store_id: store.id,
      ...model(),
    });
    // OpenFGA's memory store slows down with every tuple written (the load did not finish in 4 minutes
    // with all 100,000 employees), so only the department memberships of the employees the requests name
    // are written; the others could not change these answers, only OpenFGA's load time.
    const employees = new Set(requests.slice(0, SAMPLE).map((r) => r.employeeId));
    const all = tuples(tenant, employees);
    const loadLimit = Number(process.env['BENCH_OPENFGA_LOAD_SECONDS'] ?? 240) * 1000;
    for (let i = 0; i < all.length; i += MAX_TUPLES_PER_WRITE) {
      if (performance.now() - loadStarted > loadLimit)
        throw new Error(
          `${i} of ${all.length} tuples written in ${loadLimit / 1000} s: the load was abandoned`,
        );
      if (i % (5 * MAX_TUPLES_PER_WRITE) === 0)
        process.stderr.write(`[openfga] ${i}/${all.length} tuples ${new Date().toISOString()}\n`);
      await unary(fga, 'Write', {
        store_id: store.id,
        authorization_model_id: written.authorization_model_id,
        writes: { tuple_keys: all.slice(i, i + MAX_TUPLES_PER_WRITE) },
      });
    }
    const loadSeconds = round((performance.now() - loadStarted) / 1000);
    const checkOf = (r: BenchRequest) => ({
      store_id: store.id,
      authorization_model_id: written.authorization_model_id,
      tuple_key: {
        user: `employee:${r.employeeId}`,
        relation: `can_${ACTION_KEYS[r.action]}`,
        object: `tag:${r.tagId}`,
      },
    });
    const sample = requests.slice(0, SAMPLE);
    stage = 'agreement';
    process.stderr.write(`[openfga] ${stage} ${new Date().toISOString()}\n`);
    let agree = 0;
    const disagreements: unknown[] = [];
    const checkErrors = new Map<string, number>();
    // One call at a time over the whole sample, twice: the unqueued cost of a Check with cold caches, then
    // with the caches filled by the first pass (the state the timed runs start from).
    const pass = async (compare: boolean) => {
      const started = performance.now();
      for (let i = 0; i < sample.length; i++) {
        try {
          const r = await unary<{ allowed?: boolean }>(fga, 'Check', checkOf(sample[i]!));
          // Loaded with `defaults: false`: a false `allowed` is absent from the decoded answer.
          if (!compare) continue;
          if ((r.allowed === true) === answers[i]) agree++;
          else if (disagreements.length < 5) disagreements.push({ request: sample[i], engine: answers[i] });
        } catch (error) {
          const m = (error as Error).message;
          checkErrors.set(m, (checkErrors.get(m) ?? 0) + 1);
        }
      }
      return round((performance.now() - started) / sample.length);
    };
    const serialMeanMs = await pass(true);
    const serialMeanWarmMs = await pass(false);
    fga.close();
    health.close();
    stage = 'measure';
    process.stderr.write(`[openfga] ${stage} ${new Date().toISOString()}\n`);
    const bin = ghzBinary();
    if (!bin) throw new Error(`no ghz binary (go install github.com/bojand/ghz/cmd/ghz@${GHZ_VERSION})`);
    // The same load generator, placement and A B B A order as permission-service's section.
    const measured = await interleavedGhz(null, {
      check: () =>
        ghz(
          bin,
          {
            address,
            call: 'openfga.v1.OpenFGAService/Check',
            data: sample.map(checkOf),
            rate,
            total: Math.floor(total / 2),
          },
          where,
        ),
      grpcHealthBaseline: () =>
        ghz(
          bin,
          {
            address,
            call: 'grpc.health.v1.Health/Check',
            data: [{ service: '' }],
            rate,
            total: Math.floor(total / 2),
          },
          where,
        ),
    });
    const checkSummary = measured.check.worse;
    const healthSummary = measured.grpcHealthBaseline.worse;
    return {
      status: 'measured',
      version: OPENFGA_VERSION,
      datastore: engine,
      datastoreWhy:
        engine === 'postgres'
          ? 'PostgreSQL with OpenFGA caches sized to hold the sample: OpenFGA as run in production, answering repeated checks from its caches as permission-service answers from its in-memory copies; the memory datastore is a test double that scans every tuple on each read'
          : 'memory datastore (BENCH_OPENFGA_DATASTORE=memory): a test double that scans every tuple on each read',
      serverFlags: [...caches, '--max-tuples-per-write', String(MAX_TUPLES_PER_WRITE)],
      placement: where,
      placementNote: "the first placement of permission-service's section only",
      offeredPerSecond: rate,
      loadGenerator: `ghz ${GHZ_VERSION}`,
      // The worse of the two runs of each side (max p50/p90/p99), OK answers of all requests.
      summary: { check: checkSummary, grpcHealthBaseline: healthSummary },
      checkP99ToBaselineP99: round(checkSummary.p99 / Math.max(healthSummary.p99, 0.01)),
      maxTuplesPerWrite: MAX_TUPLES_PER_WRITE,
      tuples: all.length,
      employeesWritten: employees.size,
      distinctEmployeesInRequests: employees.size,
      loadSeconds,
      agreementWithEngine: `${agree}/${sample.length}`,
      agreementErrors: Object.fromEntries(checkErrors),
      serialMeanCheckMsColdCaches: serialMeanMs,
      serialMeanCheckMsWarmCaches: serialMeanWarmMs,
      allowedInSample: answers.slice(0, sample.length).filter(Boolean).length,
      disagreements,
      runs: { check: measured.check.runs, grpcHealthBaseline: measured.grpcHealthBaseline.runs },
    };
  } catch (error) {
    return { status: `failed at ${stage}: ${(error as Error).message}`, stderr };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    await dropDatabase?.().catch(() => undefined);
  }
}

async function reflectionPackage(address: string, symbol: string) {
  for (let waited = 0; ; waited += 250) {
    try {
      return loadFileDescriptorSetFromBuffer(await reflect(address, symbol), {
        keepCase: true,
        defaults: false,
        enums: String,
        longs: String,
      });
    } catch (error) {
      if (waited > 30_000) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
