import { createServer, type Server } from 'node:net';
import { freePort, freePortRange } from './free-port';

const listen = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

describe('freePortRange', () => {
  it('given a candidate base with one of its ports held, when a range is asked for, then that base is skipped for the next whose ports all bind', async () => {
    const busy = await freePortRange(5);
    const holder = await listen(busy + 3);
    const free = await freePortRange(5);
    try {
      await expect(freePortRange(5, [busy, free])).resolves.toBe(free);
      // And every port of the answer binds.
      const servers = await Promise.all([0, 1, 2, 3, 4].map((i) => listen(free + i)));
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });

  it('given only candidates with a held port, then it says so rather than answering one', async () => {
    const port = await freePort();
    const holder = await listen(port);
    try {
      await expect(freePortRange(2, [port, port - 1])).rejects.toThrow(
        'no 2 consecutive free loopback ports',
      );
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });
});
