// A Node.js gRPC client in its own process, one call at a time (closed loop): what a Node platform caller sees,
// without the benchmark's own heap, event loop and log parsing in its figures. Started by audit.bench.ts:
//   node grpc-closed-loop-client.cjs <request-file.json>
// The request file: { address, protoFile, service: ["pkg", ..., "Service"], method, authorization, warmUp,
// requests: [message, ...] } (each message sent once, in order, after warmUp calls of the first ones).
// Prints one JSON line: { ok, durationsMs: [...] }. Plain CommonJS: no TypeScript loader in the client.
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { performance } = require('node:perf_hooks');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const protoDir = join(__dirname, '..', '..', '..', 'proto');
// The options the services' own clients use (libs/testing platform-clients): the same decoding work.
const definition = loader.loadSync(spec.protoFile, {
  keepCase: false,
  enums: String,
  longs: String,
  defaults: true,
  includeDirs: [protoDir],
});
let node = grpc.loadPackageDefinition(definition);
for (const key of spec.service) node = node[key];
const client = new node(spec.address, grpc.credentials.createInsecure());
const metadata = new grpc.Metadata();
metadata.set('authorization', spec.authorization);
const call = (request) =>
  new Promise((resolve, reject) =>
    client[spec.method](request, metadata, (error, reply) => (error ? reject(error) : resolve(reply))),
  );

(async () => {
  const { requests } = spec;
  for (let i = 0; i < spec.warmUp; i++) await call(requests[i % requests.length]);
  const durationsMs = new Array(requests.length);
  for (let i = 0; i < requests.length; i++) {
    const started = performance.now();
    await call(requests[i]);
    durationsMs[i] = performance.now() - started;
  }
  client.close();
  process.stdout.write(`${JSON.stringify({ ok: requests.length, durationsMs })}\n`);
})().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exit(1);
});
