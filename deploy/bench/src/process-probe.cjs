// Preloaded into a service process the bench starts (NODE_OPTIONS=--require <this file>), never into a
// deployed service: what the process itself did while the bench measured it. On SIGUSR2 it appends one JSON
// line to BENCH_PROBE_FILE with what happened since the previous signal and starts over:
// - the event loop's delay (perf_hooks.monitorEventLoopDelay): how late a timer due every RESOLUTION ms ran,
//   i.e. how long the loop was busy or the process was off the CPU — a call that arrives then waits as long;
// - each garbage collection's pause by kind (PerformanceObserver 'gc'), the longest ones listed;
// - the process's CPU time and heap.
// Plain CommonJS so it loads before the service's own TypeScript loader.
'use strict';
const { appendFileSync } = require('node:fs');
const { monitorEventLoopDelay, PerformanceObserver, constants } = require('node:perf_hooks');

const file = process.env.BENCH_PROBE_FILE;
if (file) {
  // Extra V8 flags for an experiment (e.g. --trace-gc), set before the service allocates its heap.
  if (process.env.BENCH_PROBE_V8_FLAGS)
    require('node:v8').setFlagsFromString(process.env.BENCH_PROBE_V8_FLAGS);
  const resolution = Number(process.env.BENCH_PROBE_RESOLUTION_MS || 1);
  const kinds = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  const delay = monitorEventLoopDelay({ resolution });
  delay.enable();
  let gc = [];
  let cpu = process.cpuUsage();
  let since = Date.now();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc.push([kinds[e.detail?.kind] ?? String(e.detail?.kind), e.duration]);
  }).observe({ entryTypes: ['gc'] });
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  const round = (n) => Math.round(n * 100) / 100;
  // BENCH_PROBE_HEAP_SAMPLING=1: V8's sampling heap profiler from the first signal on; each line then names
  // the allocation sites whose objects are still alive (what the heap keeps growing by).
  let session;
  const sampling = () => {
    if (process.env.BENCH_PROBE_HEAP_SAMPLING !== '1') return undefined;
    if (!session) {
      const { Session } = require('node:inspector');
      session = new Session();
      session.connect();
      session.post('HeapProfiler.startSampling', {
        samplingInterval: 16384,
        // Objects that a scavenge promoted count even once a later full GC freed them: what is promoted.
        includeObjectsCollectedByMajorGC: true,
      });
      return undefined;
    }
    let profile;
    session.post('HeapProfiler.getSamplingProfile', (err, r) => (profile = err ? undefined : r.profile));
    if (!profile) return undefined;
    const sites = new Map();
    const walk = (node, stack) => {
      const f = node.callFrame;
      const here = f.functionName || '(anonymous)';
      const where = `${here} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
      const path = [where, ...stack].slice(0, 4);
      if (node.selfSize > 0) {
        const key = path.join(' < ');
        sites.set(key, (sites.get(key) ?? 0) + node.selfSize);
      }
      for (const c of node.children) walk(c, path);
    };
    walk(profile.head, []);
    return [...sites.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([site, bytes]) => ({ kb: Math.round(bytes / 1024), site }));
  };
  // BENCH_PROBE_CPU_PROFILE=1: V8's CPU profiler from the first signal on; each line then names the
  // functions (and packages) the process spent its CPU time in during the phase, by self time.
  let profiler;
  const cpuProfile = () => {
    if (process.env.BENCH_PROBE_CPU_PROFILE !== '1') return undefined;
    if (!profiler) {
      const { Session } = require('node:inspector');
      profiler = new Session();
      profiler.connect();
      profiler.post('Profiler.enable');
      profiler.post('Profiler.setSamplingInterval', { interval: 200 });
      profiler.post('Profiler.start');
      return undefined;
    }
    let profile;
    profiler.post('Profiler.stop', (err, r) => (profile = err ? undefined : r.profile));
    profiler.post('Profiler.start');
    if (!profile) return undefined;
    const self = new Map();
    const byPackage = new Map();
    const counts = new Map();
    for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
    let total = 0;
    for (const node of profile.nodes) {
      const n = counts.get(node.id) ?? 0;
      if (!n) continue;
      total += n;
      const f = node.callFrame;
      const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + n);
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url);
      const pkg = m ? m[1] : f.url.startsWith('node:') ? 'node' : f.url ? 'tagguard' : f.functionName;
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + n);
    }
    const top = (m, k) =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, k)
        .map(([what, n]) => ({ pct: Math.round((1000 * n) / total) / 10, what }));
    return { samples: total, byPackage: top(byPackage, 12), functions: top(self, 40) };
  };
  process.on('SIGUSR2', () => {
    const liveAllocationSites = sampling();
    const cpuProfileOfPhase = cpuProfile();
    const byKind = {};
    for (const [kind, d] of gc) {
      const k = (byKind[kind] ??= { count: 0, totalMs: 0, maxMs: 0, over2ms: 0 });
      k.count++;
      k.totalMs += d;
      k.maxMs = Math.max(k.maxMs, d);
      if (d > 2) k.over2ms++;
    }
    for (const k of Object.values(byKind)) {
      k.totalMs = round(k.totalMs);
      k.maxMs = round(k.maxMs);
    }
    const used = process.cpuUsage(cpu);
    const seconds = (Date.now() - since) / 1000;
    const heap = process.memoryUsage();
    appendFileSync(
      file,
      `${JSON.stringify({
        seconds: round(seconds),
        eventLoopDelayMs: {
          resolutionMs: resolution,
          p50: ms(delay.percentile(50)),
          p90: ms(delay.percentile(90)),
          p99: ms(delay.percentile(99)),
          max: ms(delay.max),
        },
        gc: byKind,
        longestGcPausesMs: gc
          .map(([, d]) => d)
          .sort((a, b) => b - a)
          .slice(0, 5)
          .map(round),
        cpuShareOfOneCore: round((used.user + used.system) / 1e6 / seconds),
        heapUsedMb: Math.round(heap.heapUsed / 2 ** 20),
        rssMb: Math.round(heap.rss / 2 ** 20),
        ...(liveAllocationSites ? { liveAllocationSites } : {}),
        ...(cpuProfileOfPhase ? { cpuProfileOfPhase } : {}),
      })}\n`,
    );
    delay.reset();
    gc = [];
    cpu = process.cpuUsage();
    since = Date.now();
  });
}
