import { performance } from 'node:perf_hooks';

/** Runs `total` operations with `concurrency` workers; returns ops/s and latency percentiles in ms. */
export async function measure(total: number, concurrency: number, op: (i: number) => Promise<void>) {
  const { seconds, latencies } = await runWorkers(0, total, concurrency, op);
  return summary(total, concurrency, seconds, latencies);
}

/**
 * A fair comparison of several sides on one server: each side is warmed first (connections, prepared
 * statements, caches), then the sides take turns in `rounds` slices of `total / rounds` operations,
 * the order reversed every other round (A B, B A, …) so drift in the machine's load hits every side
 * alike. Per side: the summed time and latencies, and each round's rate.
 */
export async function measureInterleaved<Side extends string>(
  sides: Record<Side, (i: number) => Promise<void>>,
  {
    total,
    rounds,
    warmup,
    concurrency,
  }: { total: number; rounds: number; warmup: number; concurrency: number },
) {
  const names = Object.keys(sides) as Side[];
  const perRound = Math.ceil(total / rounds);
  const state = new Map(
    names.map((n) => [n, { seconds: 0, cpuMicros: 0, latencies: [] as number[], rounds: [] as number[] }]),
  );
  for (const name of names) await runWorkers(-warmup, 0, concurrency, sides[name]);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const from = r * perRound;
      const to = Math.min(total, from + perRound);
      const cpu = process.cpuUsage();
      const run = await runWorkers(from, to, concurrency, sides[name]);
      const used = process.cpuUsage(cpu);
      const s = state.get(name)!;
      s.cpuMicros += used.user + used.system;
      s.seconds += run.seconds;
      s.latencies.push(...run.latencies);
      s.rounds.push(round((to - from) / run.seconds));
    }
  }
  return Object.fromEntries(
    names.map((name) => {
      const s = state.get(name)!;
      return [
        name,
        {
          ...summary(s.latencies.length, concurrency, s.seconds, s.latencies),
          // CPU this (client) process spent per operation; the server's share is the rest.
          clientCpuMicrosPerOp: Math.round(s.cpuMicros / s.latencies.length),
          roundOpsPerSecond: s.rounds,
        },
      ];
    }),
  ) as Record<
    Side,
    ReturnType<typeof summary> & { clientCpuMicrosPerOp: number; roundOpsPerSecond: number[] }
  >;
}

async function runWorkers(from: number, to: number, concurrency: number, op: (i: number) => Promise<void>) {
  const latencies = new Float64Array(to - from);
  let next = from;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < to; i = next++) {
        const t = process.hrtime.bigint();
        await op(i);
        latencies[i - from] = Number(process.hrtime.bigint() - t) / 1e6;
      }
    }),
  );
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, latencies };
}

function summary(total: number, concurrency: number, seconds: number, latencies: Float64Array | number[]) {
  return {
    operations: total,
    concurrency,
    seconds: round(seconds),
    opsPerSecond: round(total / seconds),
    latencyMs: percentiles(latencies),
  };
}

export function percentiles(values: Float64Array | number[]) {
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) =>
    round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
  return { p50: at(50), p90: at(90), p99: at(99), max: round(sorted[sorted.length - 1] ?? 0) };
}

export const round = (n: number) => Math.round(n * 100) / 100;

/** Fires `op` at a fixed offered rate (open loop) and records each answer's latency in ms. */
export async function offered(total: number, rate: number, op: (i: number) => Promise<unknown>) {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const sent = performance.now();
    pending.push(
      op(i).then(
        () => void latencies.push(performance.now() - sent),
        () => void errors++,
      ),
    );
  }
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  return { requests: total, errors, achievedRate: round(total / seconds), latencyMs: percentiles(latencies) };
}
