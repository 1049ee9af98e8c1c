import { createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DownstreamRejectedError,
  DownstreamUnavailableError,
  type DownstreamAccount,
  type DownstreamDirectory,
  type DownstreamGroup,
} from '../port/downstream-directory.port';

/** One write a test downstream received, in order (a test counts them to prove "no duplicates"). */
export type DownstreamWrite =
  | { op: 'upsertAccount'; account: DownstreamAccount }
  | { op: 'setAccountActive'; employeeId: string; active: boolean }
  | { op: 'upsertGroup'; group: DownstreamGroup }
  | { op: 'removeGroup'; groupId: string };

/**
 * TEST SUPPORT ONLY, never offered as a production connector: a downstream directory held in memory (the
 * "server"), with a switch that makes it unreachable. Each port opened on it sees the same data.
 */
export class MemoryDownstream {
  readonly accounts = new Map<string, DownstreamAccount>();
  readonly groups = new Map<string, DownstreamGroup>();
  readonly writes: DownstreamWrite[] = [];
  reachable = true;

  port(kind = 'memory'): DownstreamDirectory {
    return new MemoryDownstreamDirectory(this, kind);
  }

  apply(write: DownstreamWrite): void {
    switch (write.op) {
      case 'upsertAccount':
        this.accounts.set(write.account.employeeId, { ...write.account });
        break;
      case 'setAccountActive': {
        const account = this.accounts.get(write.employeeId);
        if (!account)
          throw new DownstreamRejectedError('memory', 'not_found', `no account ${write.employeeId}`);
        account.active = write.active;
        break;
      }
      case 'upsertGroup': {
        const missing = write.group.memberEmployeeIds.find((id) => !this.accounts.has(id));
        if (missing) throw new DownstreamRejectedError('memory', 'invalid', `no account ${missing}`);
        this.groups.set(write.group.groupId, {
          ...write.group,
          memberEmployeeIds: [...new Set(write.group.memberEmployeeIds)].sort(),
        });
        break;
      }
      case 'removeGroup':
        this.groups.delete(write.groupId);
        break;
    }
    this.writes.push(write);
  }
}

class MemoryDownstreamDirectory implements DownstreamDirectory {
  constructor(
    private readonly server: MemoryDownstream,
    readonly kind: string,
  ) {}

  private async call(write: DownstreamWrite): Promise<void> {
    await Promise.resolve();
    if (!this.server.reachable)
      throw new DownstreamUnavailableError(this.kind, 'the test downstream is down');
    this.server.apply(write);
  }

  upsertAccount(account: DownstreamAccount): Promise<void> {
    return this.call({ op: 'upsertAccount', account });
  }
  setAccountActive(employeeId: string, active: boolean): Promise<void> {
    return this.call({ op: 'setAccountActive', employeeId, active });
  }
  upsertGroup(group: DownstreamGroup): Promise<void> {
    return this.call({ op: 'upsertGroup', group });
  }
  removeGroup(groupId: string): Promise<void> {
    return this.call({ op: 'removeGroup', groupId });
  }
  async *listAccounts(): AsyncIterable<DownstreamAccount> {
    if (!this.server.reachable)
      throw new DownstreamUnavailableError(this.kind, 'the test downstream is down');
    for (const a of [...this.server.accounts.values()]) yield { ...a };
  }
  async *listGroups(): AsyncIterable<DownstreamGroup> {
    if (!this.server.reachable)
      throw new DownstreamUnavailableError(this.kind, 'the test downstream is down');
    for (const g of [...this.server.groups.values()])
      yield { ...g, memberEmployeeIds: [...g.memberEmployeeIds] };
  }
  async close(): Promise<void> {
    // Nothing to release: no connection is kept.
  }
}

/**
 * TEST SUPPORT ONLY: a MemoryDownstream served over HTTP on loopback, so a sync-service child process can
 * be SIGKILLed while the downstream (in the test's process) keeps what it received. Stopping the server
 * is a real outage (connection refused).
 */
export class MemoryDownstreamServer {
  private server?: Server;
  /** Each write waits this long first (a slow downstream, so a test can kill sync-service mid-way). */
  delayMs = 0;
  private constructor(
    readonly downstream: MemoryDownstream,
    private port: number,
  ) {}

  static async start(downstream = new MemoryDownstream(), port = 0): Promise<MemoryDownstreamServer> {
    const s = new MemoryDownstreamServer(downstream, port);
    await s.listen();
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => void this.answer(req.url ?? '', body, res));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private async answer(url: string, body: string, res: ServerResponse): Promise<void> {
    if (url === '/write' && this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    try {
      if (url === '/write') this.downstream.apply(JSON.parse(body) as DownstreamWrite);
      const out =
        url === '/accounts'
          ? [...this.downstream.accounts.values()]
          : url === '/groups'
            ? [...this.downstream.groups.values()]
            : {};
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    } catch (error) {
      const e = error as DownstreamRejectedError;
      res.writeHead(409, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: e.code ?? 'other', message: e.message }));
    }
  }

  /** An outage: the port refuses connections until listen() again (same port). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** TEST SUPPORT ONLY: the port over a MemoryDownstreamServer's HTTP API. */
export class HttpMemoryDownstreamDirectory implements DownstreamDirectory {
  readonly kind = 'test-http';
  constructor(private readonly url: string) {}

  private post<T>(path: string, body: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${this.url}${path}`, { method: 'POST', agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          if (res.statusCode === 200) return resolve(JSON.parse(text) as T);
          const e = JSON.parse(text) as { code: DownstreamRejectedError['code']; message: string };
          reject(new DownstreamRejectedError(this.kind, e.code, e.message));
        });
        res.on('error', (error) => reject(new DownstreamUnavailableError(this.kind, String(error), error)));
      });
      req.on('error', (error) => reject(new DownstreamUnavailableError(this.kind, error.message, error)));
      req.end(JSON.stringify(body));
    });
  }

  async upsertAccount(account: DownstreamAccount): Promise<void> {
    await this.post('/write', { op: 'upsertAccount', account });
  }
  async setAccountActive(employeeId: string, active: boolean): Promise<void> {
    await this.post('/write', { op: 'setAccountActive', employeeId, active });
  }
  async upsertGroup(group: DownstreamGroup): Promise<void> {
    await this.post('/write', { op: 'upsertGroup', group });
  }
  async removeGroup(groupId: string): Promise<void> {
    await this.post('/write', { op: 'removeGroup', groupId });
  }
  async *listAccounts(): AsyncIterable<DownstreamAccount> {
    yield* await this.post<DownstreamAccount[]>('/accounts', {});
  }
  async *listGroups(): AsyncIterable<DownstreamGroup> {
    yield* await this.post<DownstreamGroup[]>('/groups', {});
  }
  async close(): Promise<void> {
    // Nothing to release: no connection is kept.
  }
}
