import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { protoRoot } from '@tagguard/grpc-runtime';
import { listServicesByReflection, testInfra } from '@tagguard/testing';
import fc from 'fast-check';
import { Client } from 'pg';
import * as protobuf from 'protobufjs';
import { TagServiceHarness, type Caller } from './testing/tag-service-harness';

// Random and hostile requests to EVERY rpc of every tag-service gRPC service, enumerated from the .proto
// files (a new rpc is fuzzed without touching this file), over real gRPC to tag-service as a process on
// real PostgreSQL and Kafka. Properties:
//  - no call ends INTERNAL or UNKNOWN;
//  - a call that fails writes nothing: no event by a caller (not a system:* process) lands in the event
//    store while it runs, and no event carries the trace id the call was sent with;
//  - a request with one control character in a string field, or one enum number outside its enum, is
//    INVALID_ARGUMENT with that field's proto path in tg-field.

const PACKAGE = 'tagguard.tag.v1';
const PROTO_DIR = join(protoRoot(), ...PACKAGE.split('.'));
const FILES = readdirSync(PROTO_DIR)
  .filter((f) => f.endsWith('.proto'))
  .map((f) => `${PACKAGE.split('.').join('/')}/${f}`);
const RUNS_PER_RPC = Number(process.env['FUZZ_RUNS_PER_RPC'] ?? 20);
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(protoRoot(), target);
root.loadSync(FILES, { keepCase: true });
root.resolveAll();
const pkg = root.lookup(PACKAGE) as protobuf.Namespace;
const RPCS = pkg.nestedArray
  .filter((n): n is protobuf.Service => n instanceof protobuf.Service)
  .flatMap((s) => s.methodsArray.map((m) => ({ service: s, method: m, name: `${s.name}/${m.name}` })));

const camel = protobuf.util.camelCase;

// ── values: ids that exist (this tenant's and another's), and the hostile kind ────────────────────────────
interface World {
  ownIds: string[];
  otherTenantIds: string[];
  /** Tenant A's tags under its group. */
  tags: string[];
  /** An automation and a revert rule of tenant A share this id. */
  ruleId: string;
}
const world: World = { ownIds: [], otherTenantIds: [], tags: [], ruleId: randomUUID() };
const HUGE = 'x'.repeat(300_000);
const CLEAN_STRINGS = [
  '',
  ' ',
  'VIP',
  '大客户',
  "'; DROP TABLE tag_nodes; --",
  '%_\\',
  '\u{1F600}',
  'a'.repeat(129),
  'a'.repeat(5_000),
  HUGE,
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  'eyJub3QiOiJ0aGlzIn0',
  '2026-01-01T00:00:00Z',
  '1',
  'MEMBER_KIND_CUSTOMER',
];
const KEYS = ['key-1', 'key-2', 'key-3'];
// eslint-disable-next-line no-control-regex
const noControls = (s: string): boolean => !/[\u0000-\u001f\u007f-\u009f]/.test(s);

function stringArb(field: protobuf.Field): fc.Arbitrary<string> {
  if (field.name === 'idempotency_key') return fc.constantFrom(...KEYS, '', 'k'.repeat(200));
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...world.ownIds) },
    { weight: 1, arbitrary: fc.constantFrom(...world.otherTenantIds) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 3, arbitrary: fc.constantFrom(...CLEAN_STRINGS) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }).filter(noControls) },
  );
}

const INT32 = fc.oneof(
  fc.integer({ min: -3, max: 300 }),
  fc.constantFrom(-2_147_483_648, 2_147_483_647, 100_000),
);
const INT64 = fc.constantFrom(
  '0',
  '1',
  '2',
  '3',
  '-1',
  '999999999',
  '9223372036854775807',
  '-9223372036854775808',
);

function valueArb(field: protobuf.Field, depth: number): fc.Arbitrary<unknown> {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) return messageArb(t, depth + 1);
  if (t instanceof protobuf.Enum) return fc.constantFrom(...Object.keys(t.values));
  switch (field.type) {
    case 'string':
      return stringArb(field);
    case 'bool':
      return fc.boolean();
    case 'int64':
    case 'uint64':
    case 'sint64':
      return INT64;
    case 'bytes':
      return fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b));
    default:
      return INT32;
  }
}

function messageArb(type: protobuf.Type, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  if (depth > 3) return fc.constant({});
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of type.fieldsArray) {
    const one = valueArb(field, depth);
    shape[camel(field.name)] =
      field instanceof protobuf.MapField
        ? fc.dictionary(fc.constantFrom('city', 'level', 'note'), one, { maxKeys: 2 })
        : field.repeated
          ? fc.array(one, { maxLength: 3 })
          : one;
  }
  return fc.record(shape, { requiredKeys: [] });
}

/**
 * A request a handler would likely take, so one hostile leaf in it is the only thing wrong and must be
 * what the call is refused for: ids either fresh (a create) or of this tenant's tag under its group (an
 * update), a short text, each enum's last value (customer tags and members, as the seeded ones).
 */
function plausible(type: protobuf.Type, ids: 'fresh' | 'existing', depth = 0): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  if (depth > 3) return request;
  const [group] = world.ownIds;
  // Several tags, so one a random DeleteTag binned still leaves others to update.
  const tag = world.tags[Math.floor(Math.random() * world.tags.length)];
  const id = (name: string): string =>
    /^(parent|root)_id$/.test(name)
      ? ids === 'fresh'
        ? ''
        : group!
      : ids === 'fresh'
        ? randomUUID()
        : name === 'rule_id'
          ? world.ruleId
          : tag!;
  for (const field of type.fieldsArray) {
    // Of a oneof, the first member only; an expected revision left out (a plausible caller may not know it).
    const firstOfOneof = !field.partOf || field.partOf.fieldsArray[0] === field;
    if (field instanceof protobuf.MapField || !firstOfOneof || field.name === 'expected_revision') continue;
    const t = field.resolvedType;
    const value =
      t instanceof protobuf.Type
        ? plausible(t, ids, depth + 1)
        : t instanceof protobuf.Enum
          ? Object.keys(t.values).at(-1)
          : field.type === 'string'
            ? /(_id|_ids|^id)$/.test(field.name)
              ? id(field.name)
              : field.name === 'timestamp' || field.name.endsWith('_at')
                ? new Date().toISOString()
                : field.name === 'idempotency_key'
                  ? `plausible-${randomUUID()}`
                  : field.name.endsWith('token')
                    ? ''
                    : `plausible ${field.name}`
            : field.type === 'bool'
              ? false
              : field.type.endsWith('64')
                ? '0'
                : 1;
    request[camel(field.name)] = field.repeated ? [value] : value;
  }
  return request;
}

function oneFieldChanged(type: protobuf.Type): fc.Arbitrary<Record<string, unknown>> {
  const ids = fc.constantFrom('fresh' as const, 'existing' as const);
  if (type.fieldsArray.length === 0) return ids.map((i) => plausible(type, i));
  const random = messageArb(type);
  return fc
    .tuple(ids, fc.constantFrom(...type.fieldsArray.map((f) => camel(f.name))), random)
    .map(([i, key, values]) => {
      const request = plausible(type, i);
      if (key in values) request[key] = values[key];
      return request;
    });
}

// ── one hostile value at one leaf, found from the descriptor ──────────────────────────────────────────────
interface Leaf {
  /** proto path as tg-field names it, e.g. members[0].id */
  path: string;
  /** camelCase keys (numbers: a repeated element, strings in quotes: a map key) to reach it */
  keys: (string | number)[];
  kind: 'string' | 'enum';
}

function leaves(type: protobuf.Type, prefix = '', keys: (string | number)[] = [], depth = 0): Leaf[] {
  if (depth > 3) return [];
  return type.fieldsArray.flatMap((field) => {
    const isMap = field instanceof protobuf.MapField;
    const at = isMap
      ? [camel(field.name), 'city']
      : field.repeated
        ? [camel(field.name), 0]
        : [camel(field.name)];
    const path = `${prefix}${field.name}${isMap ? '["city"]' : field.repeated ? '[0]' : ''}`;
    const t = field.resolvedType;
    if (t instanceof protobuf.Type) return leaves(t, `${path}.`, [...keys, ...at], depth + 1);
    if (t instanceof protobuf.Enum) return [{ path, keys: [...keys, ...at], kind: 'enum' as const }];
    if (field.type === 'string') return [{ path, keys: [...keys, ...at], kind: 'string' as const }];
    return [];
  });
}

const CONTROL_VALUES = [
  '\u0000',
  'a\u0000b',
  '\u001b[2J',
  'x\u007f',
  '\u0085',
  '\u0007bell',
  '\u0000'.repeat(3),
];
const UNKNOWN_ENUM_NUMBERS = [7, 99, 1_000, 2_147_483_647];

function inject(request: Record<string, unknown>, leaf: Leaf, value: unknown): Record<string, unknown> {
  const copy = structuredClone(request) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  leaf.keys.forEach((key, i) => {
    if (i === leaf.keys.length - 1) {
      node[key] = value;
      return;
    }
    const existing = node[key];
    // A repeated field gets exactly one element: the hostile one is then the only bad field of the request.
    if (typeof leaf.keys[i + 1] === 'number')
      node[key] = [
        Array.isArray(existing) && existing[0] && typeof existing[0] === 'object' ? existing[0] : {},
      ];
    else node[key] = existing && typeof existing === 'object' && !Array.isArray(existing) ? existing : {};
    node = node[key] as Record<string | number, unknown>;
  });
  return copy;
}

// ── calls ─────────────────────────────────────────────────────────────────────────────────────────────────
type Outcome = { ok: true } | { ok: false; code: grpc.status; field: string; details: string };
let svc: TagServiceHarness;
let db: Client;
let eventsTable: string;
const clients = new Map<string, grpc.Client>();
const tenantA = TagServiceHarness.admin();
const tenantB = TagServiceHarness.admin();
const CALLERS: (Caller | undefined)[] = [
  tenantA,
  { ...tenantA, actorId: 'operator-1', roles: ['platform_operator', 'tenant_admin'] },
  tenantA,
  tenantA,
  { ...tenantA, actorId: 'viewer-1', roles: [] },
  tenantB,
  undefined,
];

let definition: grpc.GrpcObject | undefined;
function clientFor(service: protobuf.Service): grpc.Client {
  let client = clients.get(service.name);
  if (!client) {
    definition ??= grpc.loadPackageDefinition(
      protoLoader.loadSync(FILES, {
        includeDirs: [protoRoot()],
        keepCase: false,
        longs: String,
        enums: String,
        defaults: true,
      }),
    );
    const Ctor = service.fullName
      .slice(1)
      .split('.')
      .reduce<unknown>(
        (n, k) => (n as Record<string, unknown>)[k],
        definition,
      ) as grpc.ServiceClientConstructor;
    client = new Ctor(svc.address, grpc.credentials.createInsecure());
    clients.set(service.name, client);
  }
  return client;
}

function call(
  rpc: (typeof RPCS)[number],
  request: object,
  caller: Caller | undefined,
  traceId: string,
): Promise<Outcome> {
  const metadata = new grpc.Metadata();
  metadata.set('traceparent', `00-${traceId}-${randomBytes(8).toString('hex')}-01`);
  if (caller)
    metadata.set(
      'authorization',
      `Bearer ${signToken({ tenantId: caller.tenantId, actorId: caller.actorId, roles: caller.roles }, loadDevPrivateKey())}`,
    );
  const client = clientFor(rpc.service) as unknown as Record<string, (...a: unknown[]) => unknown>;
  const fn = client[rpc.method.name]!.bind(client);
  const failure = (e: grpc.ServiceError): Outcome => ({
    ok: false,
    code: e.code,
    field: String(e.metadata?.get('tg-field')[0] ?? ''),
    details: e.details,
  });
  const deadline = { deadline: Date.now() + 20_000 };
  return new Promise((resolve) => {
    if (rpc.method.responseStream) {
      const stream = fn(request, metadata, deadline) as grpc.ClientReadableStream<unknown>;
      stream.on('data', () => undefined);
      stream.on('error', (e: grpc.ServiceError) => resolve(failure(e)));
      stream.on('end', () => resolve({ ok: true }));
    } else {
      fn(request, metadata, deadline, (e: grpc.ServiceError | null) =>
        resolve(e ? failure(e) : { ok: true }),
      );
    }
  });
}

async function head(): Promise<string> {
  const { rows } = await db.query<{ p: string }>(
    `SELECT coalesce(max(global_position), 0)::text AS p FROM ${eventsTable}`,
  );
  return rows[0]!.p;
}

/** Events after `from` that a caller (not a system:* process) wrote, or that carry `traceId`. */
async function writtenSince(from: string, traceId: string): Promise<unknown[]> {
  const { rows } = await db.query<{ type: string; metadata: Record<string, unknown> }>(
    `SELECT event_type AS type, metadata FROM ${eventsTable} WHERE global_position > $1`,
    [from],
  );
  return rows.filter(
    (r) =>
      !String(r.metadata['actorId'] ?? '').startsWith('system:') ||
      String(r.metadata['traceparent'] ?? '').includes(traceId),
  );
}

const tally = new Map<string, number>();
const answered = new Set<string>();

/** What is wrong with one call's outcome, or undefined. */
async function probe(
  rpc: (typeof RPCS)[number],
  request: Record<string, unknown>,
  caller: Caller | undefined,
  expectedBadField?: string,
): Promise<string | undefined> {
  const traceId = randomBytes(16).toString('hex');
  const before = await head();
  const outcome = await call(rpc, request, caller, traceId);
  const status = outcome.ok ? 'OK' : grpc.status[outcome.code];
  tally.set(status, (tally.get(status) ?? 0) + 1);
  if (outcome.ok) answered.add(rpc.name);
  if (process.env['FUZZ_DEBUG'] && expectedBadField === undefined)
    console.log(`${rpc.name} ${status} ${outcome.ok ? '' : outcome.details.slice(0, 80)}`);
  const what = `${rpc.name} ${JSON.stringify(request).slice(0, 300)} as ${caller?.actorId ?? 'anonymous'}`;
  const got = outcome.ok
    ? 'OK'
    : `${grpc.status[outcome.code]} ${outcome.field} "${outcome.details.slice(0, 120)}"`;
  if (!outcome.ok && (outcome.code === grpc.status.INTERNAL || outcome.code === grpc.status.UNKNOWN))
    return `${what}: ${got}`;
  if (!outcome.ok) {
    // A refusal (PERMISSION_DENIED, a frozen operator) is itself recorded for the audit trail (D103): one
    // AccessDenied event and nothing else; any other failure writes nothing at all.
    const refused = outcome.code === grpc.status.PERMISSION_DENIED;
    const all = (await writtenSince(before, traceId)) as { type: string }[];
    const written = refused ? all.filter((e) => e.type !== 'AccessDenied') : all;
    if (written.length || (refused && all.length > 1))
      return `${what}: failed with ${got} but wrote ${JSON.stringify(all)}`;
  }
  if (
    expectedBadField !== undefined &&
    (outcome.ok || outcome.code !== grpc.status.INVALID_ARGUMENT || outcome.field !== expectedBadField)
  )
    return `${what}: expected INVALID_ARGUMENT ${expectedBadField}, got ${got}`;
  return undefined;
}

describe(`every rpc of ${PACKAGE} under random and hostile requests (fast-check, seed ${SEED})`, () => {
  beforeAll(async () => {
    svc = await TagServiceHarness.start();
    db = new Client({ connectionString: testInfra().postgresUrl });
    await db.connect();
    eventsTable = `"${svc.schema}_es".events`;
    const create = async (caller: Caller, nodeType: string, parentId = '') => {
      const tagId = randomUUID();
      await svc.call(
        'tags',
        'CreateTag',
        { tagId, name: `t-${tagId.slice(0, 6)}`, kind: 'TAG_KIND_CUSTOMER', nodeType, parentId },
        caller,
      );
      return tagId;
    };
    const group = await create(tenantA, 'TAG_NODE_TYPE_GROUP');
    const tag = await create(tenantA, 'TAG_NODE_TYPE_TAG', group);
    await svc.call(
      'members',
      'AddMembers',
      { tagId: tag, members: [{ kind: 'MEMBER_KIND_CUSTOMER', id: 'c1' }] },
      tenantA,
    );
    for (let i = 0; i < 4; i++) world.tags.push(await create(tenantA, 'TAG_NODE_TYPE_TAG', group));
    world.ownIds.push(
      group,
      tag,
      ...world.tags,
      await create(tenantA, 'TAG_NODE_TYPE_TAG'),
      'c1',
      world.ruleId,
    );
    const { ruleId } = world;
    const automation = { ruleId, tagId: tag, assigneeId: 'sales-1', dueInHours: 24, guideTemplate: 'call' };
    await svc.call('automations', 'DefineAutomation', { automation }, tenantA);
    const rule = { ruleId, tagId: tag, type: 'REVERT_RULE_TYPE_REMOVAL_RATE_LIMIT', maxPerHour: 100 };
    await svc.call('governance', 'DefineRevertRule', { rule }, tenantA);
    world.otherTenantIds.push(await create(tenantB, 'TAG_NODE_TYPE_TAG'));
  });
  afterAll(async () => {
    for (const c of clients.values()) c.close();
    await db?.end();
    await svc?.stop();
  });

  it('fuzzes every tag-service gRPC service the running server lists through reflection', async () => {
    const served = (await listServicesByReflection(svc.address)).filter((s) => s.startsWith(`${PACKAGE}.`));
    expect([...new Set(RPCS.map((r) => r.service.fullName.slice(1)))].sort()).toEqual(served.sort());
    expect(RPCS.length).toBeGreaterThanOrEqual(38);
  });

  it.each(RPCS.map((r) => [r.name, r] as const))('%s', async (_name, rpc) => {
    const type = rpc.method.resolvedRequestType!;
    const targets = leaves(type);
    // Deterministically first: every string field gets a NUL and every enum field an unknown number in a
    // plausible request, whatever the random runs pick.
    const violations: string[] = [];
    for (const leaf of targets)
      for (const ids of ['fresh', 'existing'] as const) {
        const hostile = inject(plausible(type, ids), leaf, leaf.kind === 'string' ? 'a\u0000b' : 7);
        const violation = await probe(rpc, hostile, tenantA, leaf.path);
        if (violation) violations.push(violation);
      }
    expect(violations).toEqual([]);

    // About one random request in four carries one hostile leaf; the rest test the handlers behind the edge.
    const hostile = targets.length
      ? fc.oneof(
          { weight: 3, arbitrary: fc.constant(null) },
          {
            weight: 1,
            arbitrary: fc.record({
              leaf: fc.constantFrom(...targets),
              control: fc.constantFrom(...CONTROL_VALUES),
              number: fc.constantFrom(...UNKNOWN_ENUM_NUMBERS),
            }),
          },
        )
      : fc.constant(null);
    await fc.assert(
      fc.asyncProperty(
        // Most requests start plausible and have one field replaced by a random value, so they get past
        // the first checks into the deciders, the projections and the database; the rest are all random.
        fc.oneof({ weight: 1, arbitrary: messageArb(type) }, { weight: 3, arbitrary: oneFieldChanged(type) }),
        fc.constantFrom(...CALLERS),
        hostile,
        async (request, caller, bad) => {
          const value = bad?.leaf.kind === 'string' ? bad.control : bad?.number;
          const violation = bad
            ? await probe(rpc, inject(request, bad.leaf, value), caller, bad.leaf.path)
            : await probe(rpc, request, caller);
          if (violation) throw new Error(violation);
        },
      ),
      { numRuns: RUNS_PER_RPC, seed: SEED, endOnFailure: true },
    );
  });

  // A fuzzer whose every call bounces off authentication proves nothing about the handlers behind it.
  it('reached the handlers: calls of half the rpcs or more succeeded, and the failures were many kinds', () => {
    console.log(
      `edge fuzz outcomes: ${JSON.stringify(Object.fromEntries(tally))}; OK from ${answered.size}/${RPCS.length} rpcs`,
    );
    expect(answered.size).toBeGreaterThanOrEqual(RPCS.length / 2);
    expect([...tally.keys()]).toEqual(
      expect.arrayContaining(['OK', 'INVALID_ARGUMENT', 'NOT_FOUND', 'PERMISSION_DENIED', 'UNAUTHENTICATED']),
    );
  });
});
