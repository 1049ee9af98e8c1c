import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { check, lookupResources, type Snapshot } from '@tagguard/permission-engine';
import { round } from './measure';
import { cedarEntities, cedarIndex, cedarPolicies } from './permission-cedar';
import { permissionServiceGrpc } from './permission-grpc';
import { openfgaSection } from './permission-openfga';
import {
  BENCH_ACTIONS,
  benchRequests,
  generateTenant,
  type BenchRequest,
  type PermissionTenant,
} from './permission-tenant';
import type { BenchContext } from './registry';

const SAMPLE = Number(process.env['BENCH_PERMISSION_REQUESTS'] ?? 20_000);
const THROUGHPUT = Number(process.env['BENCH_PERMISSION_THROUGHPUT'] ?? 300_000);
const CEDAR_REQUESTS = Number(process.env['BENCH_PERMISSION_CEDAR'] ?? 300);
const GRPC_RATE = Number(process.env['BENCH_PERMISSION_GRPC_RATE'] ?? 1_000);
// The same number of calls as permission-service's section (its rate × BENCH_PERMISSION_GRPC_SECONDS).
const GRPC_CALLS = GRPC_RATE * Number(process.env['BENCH_PERMISSION_GRPC_SECONDS'] ?? 10);
const AT = Date.parse('2026-12-01T12:00:00Z');

/** Per-operation latencies in µs of a synchronous op over `n` calls, and the summary. */
function timed(n: number, op: (i: number) => unknown) {
  const latencies = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    op(i);
    latencies[i] = (performance.now() - t) * 1000;
  }
  const sorted = latencies.sort();
  const at = (p: number) => round(sorted[Math.min(n - 1, Math.floor((p / 100) * n))]!);
  return {
    operations: n,
    latencyMicros: { p50: at(50), p90: at(90), p99: at(99), max: round(sorted[n - 1]!) },
  };
}

/**
 * Checks per second on this one thread (no per-call timer in the loop), by the wall clock and by the
 * process's CPU time: on a shared machine the second says what one core does when it is ours.
 */
function rate(n: number, op: (i: number) => unknown) {
  const cpu = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < n; i++) op(i);
  const seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return {
    operations: n,
    seconds: round(seconds),
    opsPerSecond: Math.round(n / seconds),
    cpuSeconds: round(cpuSeconds),
    opsPerCpuSecond: Math.round(n / cpuSeconds),
  };
}

// A full collection before each side, so the garbage of building the tenant (or of the side before) is not
// collected inside the next side's timings; each side's own garbage still is.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

function measureSide(requests: number, op: (i: number) => unknown, throughput = THROUGHPUT, warmup = 50_000) {
  rate(Math.min(throughput, warmup), op); // warm-up: JIT, caches, each tag's plan
  collect();
  return { ...timed(requests, op), throughput: rate(throughput, op) };
}

function engineOp(snapshot: Snapshot, requests: BenchRequest[], fields?: Record<string, string>) {
  return (i: number) => {
    const r = requests[i % requests.length]!;
    return check(snapshot, {
      subject: { employeeId: r.employeeId, tokenRoles: [] },
      action: r.action,
      tagId: r.tagId,
      fields,
      at: AT,
    });
  };
}

/**
 * In-process permission checks on the issue-12 tenant (10,000 tags, 2,000 departments five levels deep,
 * 100,000 employees, 5,000 rules): the engine with ordering conflicts, the engine on a conflict-free variant
 * side by side with Cedar (cedar-wasm) on the same requests and an equivalent policy set (see
 * permission-cedar.ts), and a plain Map lookup of precomputed answers as the floor. One thread, one core.
 * The gRPC section (permission-service Check and OpenFGA at 1,000 req/s) is `grpcSection` below.
 */
export async function permissionCheck(context: BenchContext) {
  const built = performance.now();
  const conflicting = generateTenant({ conflictFree: false });
  const conflictFree = generateTenant({ conflictFree: true });
  const buildSeconds = round((performance.now() - built) / 1000);

  const snapshotC = conflicting.world.snapshot();
  const snapshotF = conflictFree.world.snapshot();
  const requestsC = benchRequests(conflicting, SAMPLE);
  const requestsF = benchRequests(conflictFree, SAMPLE);
  // BENCH_PERMISSION_IN_PROCESS=0: the gRPC section alone (the same tenant and requests).
  if (process.env['BENCH_PERMISSION_IN_PROCESS'] === '0') {
    const answersF = requestsF.map((_, i) => engineOp(snapshotF, requestsF)(i).allowed);
    return {
      loadAverage: loadavg().map(round),
      inProcess: 'not measured: BENCH_PERMISSION_IN_PROCESS=0',
      grpc: await grpcSection(context, conflicting, requestsC, {
        tenant: conflictFree,
        requests: requestsF,
        answers: answersF,
      }),
      loadAverageAtEnd: loadavg().map(round),
    };
  }

  // The first check of a PolicyState compiles its index; measured apart from the steady state.
  const compileStarted = performance.now();
  engineOp(snapshotC, requestsC)(0);
  const firstCheckMillis = round(performance.now() - compileStarted);
  engineOp(snapshotF, requestsF)(0);

  const answers = requestsF.map((_, i) => engineOp(snapshotF, requestsF)(i).allowed);
  const decisions = {
    allowed: answers.filter(Boolean).length,
    deniedByLevel: Object.fromEntries(
      ['freeze', 'department_inheritance', 'role_scope', 'tag_visibility'].map((level) => [
        level,
        requestsF.filter((_, i) => {
          const d = engineOp(snapshotF, requestsF)(i);
          return !d.allowed && d.levels[d.levels.length - 1]!.level === level;
        }).length,
      ]),
    ),
  };

  const engineWithConflicts = measureSide(SAMPLE, engineOp(snapshotC, requestsC));
  const engine = measureSide(SAMPLE, engineOp(snapshotF, requestsF));

  // Level 4 on three fields against a 500-word library (the words change the PolicyState: a new index).
  for (let i = 0; i < 500; i++) conflictFree.world.word(`w${i}`, `敏感${i}词`, i % 2 ? ['remark'] : []);
  conflictFree.world.word('w-vip', 'vip', ['remark']);
  const snapshotW = conflictFree.world.snapshot();
  const fields = {
    name: '华东重点客户',
    remark: '大客户 ＶＩＰ，联系人张三',
    description: '季度复盘后更新的客户标签',
  };
  const engineWithFields = measureSide(SAMPLE, engineOp(snapshotW, requestsF, fields));

  // Cedar: the policy set parsed once; each request carries its entity slice (built before timing).
  const policies = cedarPolicies(conflictFree, BENCH_ACTIONS);
  const parsed = cedar.preparsePolicySet('bench', { staticPolicies: policies });
  if (parsed.type !== 'success') throw new Error(`cedar: ${JSON.stringify(parsed.errors)}`);
  const index = cedarIndex(conflictFree);
  const cedarCalls = requestsF.slice(0, CEDAR_REQUESTS).map((r) => ({
    principal: { type: 'Employee', id: r.employeeId },
    action: { type: 'Action', id: r.action },
    resource: { type: 'Tag', id: r.tagId },
    context: {},
    preparsedPolicySetId: 'bench',
    entities: cedarEntities(conflictFree, index, r),
  }));
  const cedarDecide = (i: number) => {
    const answer = cedar.statefulIsAuthorized(cedarCalls[i % cedarCalls.length]!);
    if (answer.type !== 'success') throw new Error(`cedar: ${JSON.stringify(answer.errors)}`);
    return answer.response.decision === 'allow';
  };
  let agree = 0;
  const disagreements: unknown[] = [];
  cedarCalls.forEach((_, i) => {
    if (cedarDecide(i) === answers[i]) agree++;
    else if (disagreements.length < 5) disagreements.push({ request: requestsF[i], engine: answers[i] });
  });
  const cedarSide = measureSide(CEDAR_REQUESTS, cedarDecide, CEDAR_REQUESTS, 30);

  // The bench's own per-call work in the engine figures (the request read and the CheckRequest built, as
  // engineOp), with a function that only reads the request instead of the engine: the engine's share is
  // 1/engine − 1/this, per call.
  let requestSink = 0;
  const requestOnly = measureSide(SAMPLE, (i) => {
    const r = requestsF[i % requestsF.length]!;
    const request = {
      subject: { employeeId: r.employeeId, tokenRoles: [] },
      action: r.action,
      tagId: r.tagId,
      at: AT,
    };
    requestSink += request.tagId.length;
    return request;
  });

  // The floor: the precomputed answer from a Map, key built per request as a cache would.
  const floor = new Map(requestsF.map((r, i) => [`${r.employeeId}|${r.tagId}|${r.action}`, answers[i]!]));
  const mapLookup = measureSide(SAMPLE, (i) => {
    const r = requestsF[i % requestsF.length]!;
    return floor.get(`${r.employeeId}|${r.tagId}|${r.action}`);
  });

  // Which of the 10,000 tags may one employee see: the whole catalogue through lookupResources, given
  // the ids as a plain list (sorted per call) and as permission-service passes them (sorted once per copy version).
  const allTags = conflictFree.tags.map((t) => t.id);
  const lookupOver = (tags: Parameters<typeof lookupResources>[3]) =>
    timed(20, (i) =>
      lookupResources(
        snapshotF,
        { employeeId: requestsF[i]!.employeeId, tokenRoles: [] },
        'customer_tags.view',
        tags,
        { limit: 10_000, at: AT },
      ),
    );
  const lookup = lookupOver(allTags);
  const lookupSortedOnce = lookupOver({ source: allTags, version: 0, ids: () => allTags });

  return {
    // Load average of the machine (1, 5, 15 min) at the end: wall-clock figures stretch with it.
    loadAverage: loadavg().map(round),
    tenant: {
      tags: conflictFree.tags.length,
      departments: conflictFree.departments.length,
      departmentLevels: 5,
      employees: conflictFree.employees.length,
      rules: conflictFree.rules.length,
      permissionGroups: conflictFree.groups.length,
      roles: conflictFree.roleScopes.size,
      assignments: snapshotF.policy.assignments.size,
      restrictedTags: conflictFree.visibility.size,
      buildSeconds,
    },
    targets: { p99Micros: 50, checksPerSecond: 100_000 },
    firstCheckWithCompileMillis: firstCheckMillis,
    decisions: { ...decisions, sample: SAMPLE },
    engineWithConflicts,
    engine,
    engineWithFields: {
      ...engineWithFields,
      words: snapshotW.policy.words.size,
      fields: Object.keys(fields),
    },
    cedar: {
      version: cedar.getCedarVersion(),
      policies: policies.split('\n').length,
      requests: CEDAR_REQUESTS,
      agreementWithEngine: `${agree}/${cedarCalls.length}`,
      disagreements,
      ...cedarSide,
    },
    mapLookup,
    benchRequestOnly: { ...requestOnly, sink: requestSink > 0 },
    lookupResourcesOver10000Tags: { ...lookup, unit: 'µs per whole lookup' },
    lookupResourcesOver10000TagsSortedOnce: { ...lookupSortedOnce, unit: 'µs per whole lookup' },
    ratios: {
      engineToCedarThroughput: round(engine.throughput.opsPerSecond / cedarSide.throughput.opsPerSecond),
      engineToCedarCpuThroughput: round(
        engine.throughput.opsPerCpuSecond / cedarSide.throughput.opsPerCpuSecond,
      ),
      cedarToEngineP99: round(cedarSide.latencyMicros.p99 / engine.latencyMicros.p99),
      mapToEngineThroughput: round(mapLookup.throughput.opsPerSecond / engine.throughput.opsPerSecond),
      mapToEngineCpuThroughput: round(
        mapLookup.throughput.opsPerCpuSecond / engine.throughput.opsPerCpuSecond,
      ),
      // µs per check net of the bench's own per-call work (benchRequestOnly), by CPU time.
      engineNetMicrosPerCheck: round(
        1e6 / engine.throughput.opsPerCpuSecond - 1e6 / requestOnly.throughput.opsPerCpuSecond,
      ),
      engineP99ToTarget: round(engine.latencyMicros.p99 / 50),
      engineWithConflictsP99ToTarget: round(engineWithConflicts.latencyMicros.p99 / 50),
    },
    // BENCH_PERMISSION_GRPC=0: the in-process sections alone (no services started, no OpenFGA).
    grpc:
      process.env['BENCH_PERMISSION_GRPC'] === '0'
        ? 'not measured: BENCH_PERMISSION_GRPC=0'
        : await grpcSection(context, conflicting, requestsC, {
            tenant: conflictFree,
            requests: requestsF,
            answers,
          }),
  };
}

/**
 * HOOK for the gRPC side of issue 12 item 6, at GRPC_RATE requests/s: permission-service's Check over gRPC
 * (engineer B: start the service on the same tenant and measure it here, beside the OpenFGA figures) and
 * OpenFGA's Check over gRPC beside a plain gRPC baseline on the same server (permission-openfga.ts).
 */
async function grpcSection(
  context: BenchContext,
  tenant: PermissionTenant,
  requests: BenchRequest[],
  openfgaInput: { tenant: PermissionTenant; requests: BenchRequest[]; answers: boolean[] },
): Promise<Record<string, unknown>> {
  // BENCH_PERMISSION_SERVICE=0: OpenFGA's side alone (e.g. to try its server flags).
  const permissionService =
    process.env['BENCH_PERMISSION_SERVICE'] === '0'
      ? { status: 'not measured: BENCH_PERMISSION_SERVICE=0' }
      : await permissionServiceGrpc(context, tenant, requests);
  const openfga = await openfgaSection(openfgaInput.tenant, openfgaInput.requests, openfgaInput.answers, {
    rate: GRPC_RATE,
    total: GRPC_CALLS,
    postgresUrl: context.postgresUrl || undefined,
  });
  // Side by side at the same offered rate, both loaded by ghz: OpenFGA's Check over permission-service's
  // (the worse of each side's two runs; absent when either side was not measured).
  type Worse = { p50: number; p90: number; p99: number; ok: number; requests: number };
  type Sides = {
    sides: {
      check: { worse: Worse };
      baselineGetServiceInfo: { worse: Worse };
      floorBareGrpcJs?: { worse: Worse };
      floorBareNodeHttp2?: { worse: Worse };
    };
  };
  const byPlacement = (permissionService as { loadGeneratedByGhz?: Record<string, Sides | string> })
    .loadGeneratedByGhz;
  const fga = openfga as {
    summary?: { check: Worse; grpcHealthBaseline: Worse };
    placement?: { name: string };
  };
  // Per placement: permission-service's Check p99 against the target and its own no-op; OpenFGA (measured
  // under the first placement only) against permission-service under the same placement.
  const verdict = Object.fromEntries(
    Object.entries(byPlacement ?? {})
      .filter((e): e is [string, Sides] => typeof e[1] === 'object' && e[1] !== null)
      .map(([name, { sides }]) => {
        const c = sides.check.worse;
        const b = sides.baselineGetServiceInfo.worse;
        const f = fga.summary && fga.placement?.name === name ? fga.summary : undefined;
        return [
          name,
          {
            permissionServiceCheck: c,
            permissionServiceNoOp: b,
            checkP99ToTarget2ms: round(c.p99 / 2),
            checkP99ToNoOpP99: round(c.p99 / Math.max(b.p99, 0.01)),
            // What Node.js itself gives for a no-op call on this machine under the same load (grpc-floor.cjs).
            floorBareGrpcJsP99Ms: sides.floorBareGrpcJs?.worse.p99,
            floorBareNodeHttp2P99Ms: sides.floorBareNodeHttp2?.worse.p99,
            ...(f
              ? {
                  openfgaCheck: f.check,
                  openfgaHealthNoOp: f.grpcHealthBaseline,
                  openfgaToPermissionServiceCheckP50: round(f.check.p50 / Math.max(c.p50, 0.01)),
                  openfgaToPermissionServiceCheckP99: round(f.check.p99 / Math.max(c.p99, 0.01)),
                }
              : {}),
          },
        ];
      }),
  );
  return {
    targets: { p99Millis: 2, offeredPerSecond: GRPC_RATE },
    verdict,
    permissionService,
    openfga,
  };
}
