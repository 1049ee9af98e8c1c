import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { protoRoot } from '@tagguard/grpc-runtime';
import { freePort, type ServiceProcess } from '@tagguard/testing';
import { percentiles, round } from './measure';

const run = promisify(execFile);

export const GHZ_VERSION = 'v0.121.0';
export const ghzBinary = (): string | undefined =>
  [process.env['BENCH_GHZ_BIN'], join(homedir(), '.cache/tagguard/gobin/ghz')].find(
    (p): p is string => !!p && existsSync(p),
  );

/**
 * Where the server and the load generator run. `pinned` (on two cores or more): the service process (all its
 * threads) on CPU 0, ghz on the last CPU with one Go scheduler thread (--cpus 1 = GOMAXPROCS 1), so the load
 * generator's Go runtime does not take the server's core at the moments it answers. `shared`: both left to
 * the kernel (as the runs before 2026-12-01 21:00). On a machine shared with other work pinning can also
 * starve the server (the kernel may not move it off a crowded CPU 0), so by default each section measures
 * both, pinned first, each with its own no-op baseline; BENCH_GRPC_PIN=1 pinned only, =0 shared only.
 */
export type Placement = {
  name: 'pinned' | 'shared';
  pinned: boolean;
  serverCpus: string;
  loadGeneratorCpus: string;
  ghzCpus: number;
};

export function placements(): Placement[] {
  const n = cpus().length;
  const canPin = n >= 2 && existsSync('/usr/bin/taskset');
  const pinned: Placement = {
    name: 'pinned',
    pinned: true,
    serverCpus: '0',
    loadGeneratorCpus: String(n - 1),
    ghzCpus: 1,
  };
  const shared: Placement = {
    name: 'shared',
    pinned: false,
    serverCpus: `0-${n - 1}`,
    loadGeneratorCpus: `0-${n - 1}`,
    ghzCpus: n,
  };
  const mode = process.env['BENCH_GRPC_PIN'];
  if (!canPin || mode === '0') return [shared];
  return mode === '1' ? [pinned] : [pinned, shared];
}

/** The first placement: where a server that is measured once (OpenFGA) runs. */
export const placement = (): Placement => placements()[0]!;

/** Moves every thread of a running process to the placement's server CPUs (taskset -a: libuv's and V8's too). */
export async function pinProcess(pid: number, where: Placement): Promise<void> {
  if (existsSync('/usr/bin/taskset')) await run('taskset', ['-a', '-pc', where.serverCpus, String(pid)]);
}

/**
 * The handlers' own durations from a service's access log (its `grpc.call` lines from line `from` on, of the
 * method whose path ends with `method` when given): how many, and their percentiles.
 */
export function accessLogDurations(lines: readonly Record<string, unknown>[], from: number, method?: string) {
  const calls = lines
    .slice(from)
    .filter(
      (l) =>
        l['event'] === 'grpc.call' &&
        typeof l['durationMs'] === 'number' &&
        (method === undefined || String(l['method']).endsWith(`/${method}`)),
    )
    .map((l) => l['durationMs'] as number);
  return { calls: calls.length, ...percentiles(calls) };
}

/**
 * What the service process did during each phase, from process-probe.cjs preloaded into it (event-loop
 * delay, GC pauses, CPU) and from its own access log (the handler's durationMs of each call).
 */
export class ServerProbe {
  private readonly dir = mkdtempSync(join(tmpdir(), 'tagguard-probe-'));
  readonly file = join(this.dir, 'probe.jsonl');
  private seen = 0;
  private logIndex = 0;
  private service: ServiceProcess | undefined;

  /** The environment that preloads the probe into the child (merged into its env). */
  env(): Record<string, string> {
    const preload = `--require ${join(__dirname, 'process-probe.cjs')}`;
    // BENCH_SERVICE_NODE_OPTIONS: Node options for the service alone (e.g. --max-semi-space-size=64).
    return {
      BENCH_PROBE_FILE: this.file,
      NODE_OPTIONS: [process.env['NODE_OPTIONS'], process.env['BENCH_SERVICE_NODE_OPTIONS'], preload]
        .filter(Boolean)
        .join(' '),
    };
  }

  attach(service: ServiceProcess): void {
    this.service = service;
  }

  /** Starts a phase: forgets what the probe and the access log saw so far. */
  async start(): Promise<void> {
    await this.snapshot();
    this.logIndex = this.service?.lines.length ?? 0;
  }

  /** Ends a phase: the probe's line since start() and the access log's call durations of the phase. */
  async stop(): Promise<Record<string, unknown>> {
    const probe = await this.snapshot();
    return {
      ...probe,
      handlerDurationMsFromAccessLog: accessLogDurations(this.service?.lines ?? [], this.logIndex),
    };
  }

  private async snapshot(): Promise<Record<string, unknown>> {
    const child = this.service?.child;
    if (!child?.pid) return {};
    child.kill('SIGUSR2');
    for (let waited = 0; waited < 5_000; waited += 20) {
      const lines = existsSync(this.file) ? readFileSync(this.file, 'utf8').trim().split('\n') : [];
      if (lines.length > this.seen) {
        this.seen = lines.length;
        return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return { status: 'no probe answer in 5 s' };
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

type GhzReport = {
  rps: number;
  count: number;
  slowest?: number;
  latencyDistribution: { percentage: number; latency: number }[] | null;
  statusCodeDistribution: Record<string, number>;
  errorDistribution?: Record<string, number> | null;
};

export interface GhzCall {
  address: string;
  /** Under proto/; without it ghz reads the descriptors by server reflection (OpenFGA ships no .proto). */
  protoFile?: string;
  call: string;
  data: object[];
  authorization?: string;
  /** Offered calls per second (open loop); 0 = closed loop: one call at a time, each sent when the last answered. */
  rate: number;
  total: number;
}

/**
 * An offered load generated by ghz (a Go gRPC load generator, `go install
 * github.com/bojand/ghz/cmd/ghz@v0.121.0`): open loop (--async) at `rate` req/s, `total` calls, `data`
 * round-robin, on the load generator's CPUs of `where`.
 */
export async function ghz(bin: string, c: GhzCall, where: Placement) {
  const dir = mkdtempSync(join(tmpdir(), 'tagguard-ghz-'));
  try {
    const dataFile = join(dir, 'data.json');
    writeFileSync(dataFile, JSON.stringify(c.data));
    const args = [
      '--insecure',
      ...(c.protoFile ? ['--import-paths', protoRoot(), '--proto', join(protoRoot(), c.protoFile)] : []),
      '--call',
      c.call,
      '--data-file',
      dataFile,
      ...(c.authorization ? ['--metadata', JSON.stringify({ authorization: c.authorization })] : []),
      // Open loop: without --async each of the 50 workers waits for its answer, so a stalled server is
      // sent fewer calls and the stall's victims are never timed (coordinated omission). Closed loop
      // (rate 0) is for a latency of one call at a time, as a sequential caller sees it.
      ...(c.rate > 0
        ? ['--async', '--rps', String(c.rate), '--concurrency', '50', '--connections', '2']
        : ['--concurrency', '1', '--connections', '1']),
      '--total',
      String(c.total),
      '--cpus',
      String(where.ghzCpus),
      '--timeout',
      '3s',
      '--format',
      'json',
      c.address,
    ];
    const [cmd, argv] = where.pinned
      ? ['taskset', ['-c', where.loadGeneratorCpus, bin, ...args]]
      : [bin, args];
    const { stdout } = await run(cmd, argv, { maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
    const r = JSON.parse(stdout) as GhzReport;
    const at = (p: number) =>
      round((r.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? NaN) / 1e6);
    return {
      requests: r.count,
      ok: r.statusCodeDistribution['OK'] ?? 0,
      errors: r.errorDistribution ?? {},
      achievedRate: round(r.rps),
      latencyMs: { p50: at(50), p90: at(90), p99: at(99), max: round((r.slowest ?? NaN) / 1e6) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export type GhzResult = Awaited<ReturnType<typeof ghz>>;

export interface NodeClientCall {
  address: string;
  /** Under proto/. */
  protoFile: string;
  /** The service's path in the loaded package, e.g. ['tagguard', 'audit', 'v1', 'AuditService']. */
  service: string[];
  method: string;
  authorization: string;
  warmUp: number;
  requests: object[];
}

/**
 * The same calls from a @grpc/grpc-js client in a process of its own (grpc-closed-loop-client.cjs), one at a
 * time: a Node caller's view without this process's heap and event loop, which also read the service's log
 * while it answers. Every call must succeed (the client exits non-zero on the first error).
 */
export async function nodeClosedLoop(c: NodeClientCall) {
  const dir = mkdtempSync(join(tmpdir(), 'tagguard-node-client-'));
  try {
    const spec = join(dir, 'calls.json');
    writeFileSync(spec, JSON.stringify(c));
    const { stdout } = await run(process.execPath, [join(__dirname, 'grpc-closed-loop-client.cjs'), spec], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
    });
    const { ok, durationsMs } = JSON.parse(stdout) as { ok: number; durationsMs: number[] };
    return { requests: c.requests.length, ok, latencyMs: percentiles(durationsMs) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
export type Worse = { p50: number; p90: number; p99: number; ok: number; requests: number };

/**
 * Each side's ghz run, interleaved A B B A (so drift in the machine's load hits both alike), each with what
 * the server process did meanwhile (ServerProbe) and the load average. Per side: both runs and the worse.
 */
export async function interleavedGhz<Side extends string>(
  probe: ServerProbe | null,
  sides: Record<Side, () => Promise<GhzResult>>,
) {
  const names = Object.keys(sides) as Side[];
  const order = [...names, ...[...names].reverse()];
  const runs = new Map<Side, Record<string, unknown>[]>(names.map((n) => [n, []]));
  for (const name of order) {
    // The probe is in the service process: a floor side's server is another process, not probed.
    const probed = FLOOR_SIDES.has(name) ? null : probe;
    await probed?.start();
    const client = await sides[name]();
    const server = await probed?.stop();
    runs.get(name)!.push({ ...client, ...(server ? { server } : {}), loadAverage1m: round(loadavg()[0]!) });
  }
  return Object.fromEntries(
    names.map((n) => {
      const rs = runs.get(n)! as unknown as GhzResult[];
      return [
        n,
        {
          worse: {
            p50: Math.max(...rs.map((r) => r.latencyMs.p50)),
            p90: Math.max(...rs.map((r) => r.latencyMs.p90)),
            p99: Math.max(...rs.map((r) => r.latencyMs.p99)),
            ok: rs.map((r) => r.ok).reduce((a, b) => a + b, 0),
            requests: rs.map((r) => r.requests).reduce((a, b) => a + b, 0),
          },
          runs: runs.get(n),
        },
      ];
    }),
  ) as Record<
    Side,
    { worse: { p50: number; p90: number; p99: number; ok: number; requests: number }; runs: unknown[] }
  >;
}

/**
 * interleavedGhz under each placement in turn, the server's threads moved to the placement's CPUs first:
 * `{ pinned: {...}, shared: {...} }`, each with its own no-op baseline side.
 */
export async function underEachPlacement<Side extends string>(
  pid: number,
  probe: ServerProbe | null,
  sides: (where: Placement) => Record<Side, () => Promise<GhzResult>>,
) {
  type Sides = Record<Side, { worse: Worse; runs: unknown[] }>;
  const out: Record<string, { placement: Placement; sides: Sides }> = {};
  for (const where of placements()) {
    await pinProcess(pid, where);
    out[where.name] = { placement: where, sides: await interleavedGhz(probe, sides(where)) };
  }
  return out;
}

type Floor = { mode: 'grpc-js' | 'node-http2'; address: string; child: ChildProcess };
const floorSide = (mode: Floor['mode']): string =>
  mode === 'grpc-js' ? 'floorBareGrpcJs' : 'floorBareNodeHttp2';
/** The sides FloorServers adds (their servers are not the probed service). */
const FLOOR_SIDES: ReadonlySet<string> = new Set([floorSide('grpc-js'), floorSide('node-http2')]);

/**
 * The floors (grpc-floor.cjs): a bare @grpc/grpc-js server and a bare node:http2 responder, each its own
 * process, answering GetServiceInfo. `sides(where)` are their ghz runs at the same rate and count as the
 * service's, each floor's threads moved to the placement's server CPUs first, for interleavedGhz beside the
 * service's own sides: what the runtime gives on this machine, in the same run.
 */
export class FloorServers {
  private constructor(private readonly floors: Floor[]) {}

  /** Starts both floors and warms each with `warmupCalls` calls at `rate` (as the service is warmed). */
  static async start(bin: string, rate: number, warmupCalls: number): Promise<FloorServers> {
    const floors: Floor[] = [];
    try {
      for (const mode of ['grpc-js', 'node-http2'] as const) {
        const port = await freePort();
        // The service's own Node options (BENCH_SERVICE_NODE_OPTIONS), so both sides run alike.
        const options = process.env['BENCH_SERVICE_NODE_OPTIONS'];
        const child = spawn(process.execPath, [join(__dirname, 'grpc-floor.cjs'), mode, String(port)], {
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { ...process.env, ...(options ? { NODE_OPTIONS: options } : {}) },
        });
        floors.push({ mode, address: `127.0.0.1:${port}`, child });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`floor ${mode} did not listen in 10 s`)), 10_000);
          child.stdout!.on('data', (chunk: Buffer) => {
            if (chunk.toString().includes('floor.listening')) {
              clearTimeout(timer);
              resolve();
            }
          });
          child.once('exit', (code) => reject(new Error(`floor ${mode} exited with ${code}`)));
        });
      }
      const started = new FloorServers(floors);
      const shared = placements().find((p) => !p.pinned) ?? { ...placement(), pinned: false };
      for (const side of Object.values(started.sides(bin, shared, rate, warmupCalls))) await side();
      return started;
    } catch (error) {
      for (const f of floors) f.child.kill('SIGKILL');
      throw error;
    }
  }

  sides(
    bin: string,
    where: Placement,
    rate: number,
    total: number,
  ): Record<string, () => Promise<GhzResult>> {
    return Object.fromEntries(
      this.floors.map((f) => [
        floorSide(f.mode),
        async () => {
          await pinProcess(f.child.pid!, where);
          return ghz(
            bin,
            {
              address: f.address,
              protoFile: 'tagguard/runtime/v1/service_info.proto',
              call: 'tagguard.runtime.v1.ServiceInfoService/GetServiceInfo',
              data: [{}],
              rate,
              total,
            },
            where,
          );
        },
      ]),
    );
  }

  close(): void {
    for (const f of this.floors) f.child.kill('SIGTERM');
  }
}
