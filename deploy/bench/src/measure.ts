/** Runs `total` operations with `concurrency` workers; returns ops/s and latency percentiles in ms. */
export async function measure(total: number, concurrency: number, op: (i: number) => Promise<void>) {
  const latencies = new Float64Array(total);
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t = process.hrtime.bigint();
        await op(i);
        latencies[i] = Number(process.hrtime.bigint() - t) / 1e6;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
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
