import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type ReceivedWebhook = {
  id: string;
  timestamp: string;
  body: string;
  verified: unknown;
  status: number;
};

/**
 * Test support: a webhook endpoint on loopback that verifies every request with `standardwebhooks`
 * (signature and timestamp tolerance) and records it; `failNext(n)` answers 503 n times first (after
 * verifying), `respondWith(status)` answers that status from now on.
 */
export async function startWebhookReceiver(secret: () => string | undefined) {
  const received: ReceivedWebhook[] = [];
  let failures = 0;
  let fixed: number | undefined;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(
        ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [
          h,
          String(request.headers[h] ?? ''),
        ]),
      );
      let verified: unknown;
      try {
        verified = new Webhook(secret() ?? 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=').verify(
          body,
          headers,
        );
      } catch {
        verified = undefined;
      }
      const status = verified === undefined ? 401 : (fixed ?? (failures > 0 ? (failures--, 503) : 204));
      received.push({
        id: headers['webhook-id']!,
        timestamp: headers['webhook-timestamp']!,
        body,
        verified,
        status,
      });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    failNext(times: number) {
      failures = times;
    },
    respondWith(status: number | undefined) {
      fixed = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
