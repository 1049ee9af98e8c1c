// A floor for the gRPC benchmarks: the cheapest server Node.js can be for the same call, measured by the same
// load generator in the same run, so a service's p99 can be read against what the runtime itself gives on this
// machine. Started by grpc-load.ts (FloorServers) as its own process: `node grpc-floor.cjs <mode> <port>`.
// - grpc-js: @grpc/grpc-js (the library every service serves with) answering
//   tagguard.runtime.v1.ServiceInfoService/GetServiceInfo from the same proto, no Nest, no interceptors;
// - node-http2: node:http2 alone answering any call with an empty message and grpc-status 0 (gRPC's framing
//   written by hand: no protobuf, no gRPC library), the transport's own cost.
// Prints one line `{"event":"floor.listening"}` once it listens. Plain CommonJS: no TypeScript loader.
'use strict';
const { join } = require('node:path');

const [mode, port] = process.argv.slice(2);
const root = join(__dirname, '..', '..', '..');
const ready = () =>
  process.stdout.write(`${JSON.stringify({ event: 'floor.listening', mode, pid: process.pid })}\n`);

if (mode === 'grpc-js') {
  const grpc = require('@grpc/grpc-js');
  const loader = require('@grpc/proto-loader');
  const definition = loader.loadSync('tagguard/runtime/v1/service_info.proto', {
    includeDirs: [join(root, 'proto')],
  });
  const { ServiceInfoService } = grpc.loadPackageDefinition(definition).tagguard.runtime.v1;
  const startedAt = new Date().toISOString();
  const server = new grpc.Server();
  server.addService(ServiceInfoService.service, {
    GetServiceInfo: (_call, callback) =>
      callback(null, { name: 'floor', version: '0', startedAt, runtime: process.version, pid: process.pid }),
  });
  server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error) => {
    if (error) throw error;
    ready();
  });
} else if (mode === 'node-http2') {
  const http2 = require('node:http2');
  // A gRPC message frame: 1 byte "not compressed", 4 bytes length (0: the empty message).
  const emptyMessage = Buffer.alloc(5);
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'OK' }));
      stream.end(emptyMessage);
    });
  });
  server.listen(Number(port), '127.0.0.1', ready);
} else {
  process.stderr.write(`unknown floor mode ${mode}: grpc-js or node-http2\n`);
  process.exit(2);
}
