import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../net/free-port';

export const dovecotPackagesHint =
  'Dovecot is needed for the IMAP-login tests: apt-get install dovecot-imapd dovecot-ldap (.ci/run installs them when missing)';

export interface DovecotServer {
  host: string;
  port: number;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

export interface DovecotLdapPassdb {
  /** ldap://127.0.0.1:port of the slapd to authenticate against. */
  ldapUrl: string;
  /**
   * The DN Dovecot binds as to check a password (auth_bind): %u is the IMAP login name, e.g.
   * `uid=%u,ou=people,ou=tenant-a,dc=tagguard,dc=test`. A bind slapd refuses (ppolicy lock) fails the login.
   */
  userDnTemplate: string;
}

function dovecotBinary(): string {
  const path = process.env['TAGGUARD_DOVECOT_BIN'] ?? '/usr/sbin/dovecot';
  if (!existsSync(path)) throw new Error(`${path} not found. ${dovecotPackagesHint}`);
  const ldapDriver = spawnSync('sh', ['-c', 'ls /usr/lib/dovecot/modules/auth/ | grep -q ldap'], {
    encoding: 'utf8',
  });
  if (ldapDriver.status !== 0) throw new Error(`Dovecot's LDAP passdb is missing. ${dovecotPackagesHint}`);
  return path;
}

/**
 * Debian's Dovecot as a real IMAP server for one test (or benchmark): its own config in a temp dir,
 * IMAP on a free loopback port, plaintext LOGIN allowed (loopback, tests only), and an LDAP passdb
 * that authenticates by binding as the user, so whatever slapd refuses, Dovecot refuses. No auth
 * cache, no failure delay and no brute-force penalty (all from loopback): a disabled account's very next
 * login is refused, and measurably so.
 */
export async function startDovecot(passdb: DovecotLdapPassdb): Promise<DovecotServer> {
  const binary = dovecotBinary();
  const dir = mkdtempSync(join(tmpdir(), 'tagguard-dovecot-'));
  // Dovecot's unprivileged processes (dovecot, dovenull) read and write below here.
  chmodSync(dir, 0o755);
  for (const sub of ['run', 'state', 'mail']) mkdirSync(join(dir, sub), { mode: 0o755 });
  chmodSync(join(dir, 'mail'), 0o777);
  const port = await freePort();
  const logFile = join(dir, 'dovecot.log');
  const ldapConf = join(dir, 'dovecot-ldap.conf.ext');
  writeFileSync(
    ldapConf,
    [
      `uris = ${passdb.ldapUrl}`,
      'ldap_version = 3',
      'auth_bind = yes',
      `auth_bind_userdn = ${passdb.userDnTemplate}`,
      // Required by the driver even when auth_bind_userdn makes searching unnecessary.
      `base = ${passdb.userDnTemplate.slice(passdb.userDnTemplate.indexOf(',') + 1)}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    [
      `base_dir = ${join(dir, 'run')}`,
      `state_dir = ${join(dir, 'state')}`,
      `log_path = ${logFile}`,
      `instance_name = tagguard-${port}`,
      'protocols = imap',
      'listen = 127.0.0.1',
      'ssl = no',
      'disable_plaintext_auth = no',
      'auth_mechanisms = plain login',
      'auth_cache_size = 0',
      'auth_failure_delay = 0',
      // The anvil's per-IP penalty (2, 4, 8… s after failures) would otherwise time the penalty, not the lock.
      'service anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}',
      'default_internal_user = dovecot',
      'default_internal_group = dovecot',
      'default_login_user = dovenull',
      `mail_location = maildir:${join(dir, 'mail')}/%u`,
      'service imap-login {',
      `  inet_listener imap {\n    address = 127.0.0.1\n    port = ${port}\n  }`,
      '  inet_listener imaps {\n    port = 0\n  }',
      '}',
      'service stats {\n  inet_listener http {\n    port = 0\n  }\n}',
      `passdb {\n  driver = ldap\n  args = ${ldapConf}\n}`,
      `userdb {\n  driver = static\n  args = uid=dovecot gid=dovecot home=${join(dir, 'mail')}/%u\n}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(binary, ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dovecot exited: ${stderr}${readLog(logFile)}`);
    if (await greets('127.0.0.1', port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`dovecot did not greet on ${port}: ${stderr}${readLog(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host: '127.0.0.1',
    port,
    pid: child.pid!,
    logFile,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const readLog = (file: string) => (existsSync(file) ? `\n${readFileSync(file, 'utf8').slice(-2_000)}` : '');

function greets(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1_000);
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('* OK'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** IMAP quoted string (RFC 3501 §4.3): backslash and double quote escaped. */
const quoted = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/**
 * One real IMAP LOGIN over a fresh connection: 'ok' (tagged OK), 'refused' (tagged NO, what a
 * wrong password or a disabled account gets). Anything else throws.
 */
export function imapLogin(
  server: Pick<DovecotServer, 'host' | 'port'>,
  user: string,
  password: string,
): Promise<'ok' | 'refused'> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    socket.setTimeout(10_000);
    let buffer = '';
    let sent = false;
    const finish = (result: 'ok' | 'refused' | Error) => {
      socket.end('z LOGOUT\r\n');
      socket.destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    socket.on('data', (data) => {
      buffer += data.toString();
      if (!sent && buffer.includes('\r\n')) {
        if (!buffer.startsWith('* OK')) return finish(new Error(`no IMAP greeting: ${buffer}`));
        sent = true;
        buffer = '';
        socket.write(`a LOGIN ${quoted(user)} ${quoted(password)}\r\n`);
        return;
      }
      const tagged = buffer.split('\r\n').find((line) => line.startsWith('a '));
      if (!tagged) return;
      if (tagged.startsWith('a OK')) finish('ok');
      else if (tagged.startsWith('a NO')) finish('refused');
      else finish(new Error(`unexpected IMAP answer: ${tagged}`));
    });
    socket.on('error', (error) => reject(error));
    socket.on('timeout', () => finish(new Error('IMAP login timed out')));
  });
}
