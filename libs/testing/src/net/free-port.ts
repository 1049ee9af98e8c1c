import { createServer, type Server } from 'node:net';

/** Asks the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const listenOn = (port: number): Promise<Server | undefined> =>
  new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

/** Random bases below Linux's default ephemeral range (32768–60999), so no outgoing connection takes them. */
function* randomBases(count: number): Generator<number> {
  for (;;) yield 20_000 + Math.floor(Math.random() * (12_000 - count));
}

/**
 * A base port whose `count` consecutive loopback ports were all free at once (each bound, then released),
 * for a process that listens on base + offset. freePort() alone gives an ephemeral port whose neighbours other
 * processes' connections may hold (the embedded e2e once failed with EADDRINUSE on base + 3).
 */
export async function freePortRange(
  count: number,
  bases: Iterable<number> = randomBases(count),
): Promise<number> {
  let tries = 0;
  for (const base of bases) {
    if (++tries > 200) break;
    const held: Server[] = [];
    for (let i = 0; i < count; i++) {
      const server = await listenOn(base + i);
      if (!server) break;
      held.push(server);
    }
    await Promise.all(held.map(close));
    if (held.length === count) return base;
  }
  throw new Error(`no ${count} consecutive free loopback ports found`);
}
