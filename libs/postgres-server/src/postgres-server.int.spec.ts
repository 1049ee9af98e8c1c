import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { type PostgresServer, startPostgresServer } from './postgres-server';

// The embedded database's promise (issue 10 item 5): nobody on the machine gets in without the password
// that only the owner can read, and nothing but loopback can reach it.
describe('startPostgresServer (the npm-shipped PostgreSQL)', () => {
  // A root whose parent does not exist yet (a fresh clone's .tagguard/): created reachable for the server's user.
  const tmp = mkdtempSync(join(tmpdir(), 'tagguard-pg-'));
  chmodSync(tmp, 0o755);
  const root = join(tmp, 'embedded', 'postgres');
  let server: PostgresServer;
  const withUrl = (url: string, password: string | undefined) => {
    const u = new URL(url);
    u.password = password ?? '';
    return u.toString();
  };
  const query = async (url: string, sql: string) => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    server = await startPostgresServer({ root });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('keeps a generated password owner-only (0600) in a 0700 folder', () => {
    expect(statSync(server.passwordFile).mode & 0o777).toBe(0o600);
    expect(server.root).toBe(root);
    expect(statSync(server.root).mode & 0o777).toBe(0o700);
    const password = readFileSync(server.passwordFile, 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(new URL(server.url).password).toBe(password);
  });

  it('asks every client for a SCRAM-SHA-256 password: never trust', async () => {
    // The first answer to a startup message is the authentication request; trust would be AuthenticationOk (0).
    const { code, body } = await firstAuthRequest(server.port, 'tagguard', 'tagguard');
    expect(code).toBe(10); // AuthenticationSASL
    expect(body).toContain('SCRAM-SHA-256');
    const rules = await query(server.url, 'SELECT DISTINCT auth_method FROM pg_hba_file_rules');
    expect(rules.map((r) => r['auth_method'])).toEqual(['scram-sha-256']);
  });

  it('refuses a connection without the password and one with a wrong password', async () => {
    await expect(query(withUrl(server.url, undefined), 'SELECT 1')).rejects.toThrow(/password/);
    await expect(query(withUrl(server.url, 'not-the-password'), 'SELECT 1')).rejects.toMatchObject({
      code: '28P01', // invalid_password
    });
    await expect(query(server.url, 'SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
  });

  it('listens on loopback only, with no Unix socket', async () => {
    const [settings] = await query(
      server.url,
      "SELECT current_setting('listen_addresses') AS listen, current_setting('unix_socket_directories') AS sockets",
    );
    expect(settings).toEqual({ listen: '127.0.0.1', sockets: '' });
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (external) await expect(tcpConnect(external.address, server.port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('keeps its data and its password across a restart', async () => {
    await query(server.url, 'CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$审计$$)');
    const { url } = server;
    await server.stop();
    server = await startPostgresServer({ root, port: server.port });
    expect(server.url).toBe(url);
    await expect(query(server.url, 'SELECT v FROM kept')).resolves.toEqual([{ v: '审计' }]);
  }, 60_000);
});

function tcpConnect(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

/** Sends a protocol-3.0 StartupMessage and returns the server's first authentication request. */
function firstAuthRequest(
  port: number,
  user: string,
  database: string,
): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const params = Buffer.from(`user\0${user}\0database\0${database}\0\0`);
    const startup = Buffer.alloc(8 + params.length);
    startup.writeInt32BE(startup.length, 0);
    startup.writeInt32BE(196_608, 4); // protocol 3.0
    params.copy(startup, 8);
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(startup));
    let data = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length < 9) return;
      const length = data.readInt32BE(1);
      if (data.length < length + 1) return;
      socket.destroy();
      if (data[0] !== 'R'.charCodeAt(0))
        reject(new Error(`expected an authentication request, got ${data.toString()}`));
      else resolve({ code: data.readInt32BE(5), body: data.subarray(9, length + 1).toString() });
    });
    socket.once('error', reject);
  });
}
