// Reproduces D118 in one process, in a second: how much of what node:http2 allocates for its calls survives a
// scavenge although a full GC frees it. A node:http2 server and client serve N calls (10 at a time) after a
// warm-up and a full GC; the young generation is made big enough that no scavenge runs during the calls, so no
// call object can have been promoted while alive; both ends are closed before measuring.
//   node --expose-gc --min-semi-space-size=64 --max-semi-space-size=64 deploy/bench/src/h2-young-survival.cjs [N]
// Prints one JSON line: young bytes before the first minor GC, bytes it kept, old-space growth during the calls
// (no GC ran: objects allocated straight into old space) and what a full GC then frees, per call.
'use strict';
const v8 = require('node:v8');
const http2 = require('node:http2');

if (typeof gc !== 'function') throw new Error('run with --expose-gc');
const N = Number(process.argv[2] || 1000);
const message = Buffer.alloc(5);
const used = (name) => v8.getHeapSpaceStatistics().find((s) => s.space_name === name).space_used_size;
const server = http2.createServer();
server.on('stream', (stream) => {
  stream.on('data', () => undefined);
  stream.on('end', () => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'OK' }));
    stream.end(message);
  });
});
server.listen(0, '127.0.0.1', async () => {
  const client = http2.connect(`http://127.0.0.1:${server.address().port}`);
  const call = () =>
    new Promise((resolve, reject) => {
      const request = client.request({ ':method': 'POST', ':path': '/x', 'content-type': 'application/grpc' });
      request.on('data', () => undefined);
      request.on('end', resolve);
      request.on('error', reject);
      request.end(message);
    });
  for (let i = 0; i < 200; i++) await call();
  gc();
  const old0 = used('old_space');
  let started = 0;
  const worker = async () => {
    while (started < N) {
      started++;
      await call();
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  client.close();
  await new Promise((resolve) => server.close(resolve));
  const young = used('new_space');
  const oldDuring = used('old_space') - old0;
  gc({ type: 'minor' });
  const kept = used('new_space');
  gc({ type: 'minor' });
  const oldAfterMinors = used('old_space');
  gc();
  const freedByFull = oldAfterMinors - used('old_space');
  const kb = (b) => Math.round(b / 1e3);
  process.stdout.write(
    `${JSON.stringify({
      calls: N,
      youngBeforeMinorKB: kb(young),
      keptByFirstMinorKB: kb(kept),
      keptPct: Math.round((1000 * kept) / young) / 10,
      oldGrowthDuringCallsBPerCall: Math.round(oldDuring / N),
      freedByFullGcAfterMinorsBPerCall: Math.round(freedByFull / N),
    })}\n`,
  );
});
