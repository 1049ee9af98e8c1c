import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A tree head as a witness received it (the JSON body audit-service POSTs). */
export interface WitnessedHead {
  log_id: string;
  tree_size: number;
  timestamp_ms: number;
  root_hash: string;
  signature: string;
  key_id: string;
  public_key_pem: string;
}

/**
 * Test support: an HQ audit endpoint on loopback that keeps every tree head it is sent, so a test can
 * later hold the server to a head it can no longer take back. `failNext` answers 503 a number of times.
 */
export async function startWitnessServer(): Promise<{
  url: string;
  received: WitnessedHead[];
  failNext(times: number): void;
  close(): Promise<void>;
}> {
  const received: WitnessedHead[] = [];
  let failures = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      if (request.method !== 'POST') return void response.writeHead(405).end();
      if (failures > 0) {
        failures -= 1;
        return void response.writeHead(503).end('witness unavailable');
      }
      try {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as WitnessedHead);
        response.writeHead(204).end();
      } catch {
        response.writeHead(400).end('not JSON');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sth`,
    received,
    failNext: (times) => void (failures = times),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
