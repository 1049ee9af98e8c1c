import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { freePort } from '@tagguard/testing';
import { stateDir } from './paths';
import { isAlive, startDetached, stopProcessGroup, waitUntil } from './processes';

export interface SlapdEndpoint {
  url: string;
  port: number;
  pid: number;
  /** The suffix every tenant OU lives under. */
  baseDn: string;
  adminDn: string;
  /** The generated admin password, owner-only (0600) like PostgreSQL's. */
  passwordFile: string;
  version: string;
}

export const ldapBaseDn = 'dc=tagguard,dc=test';
const adminDn = `cn=admin,${ldapBaseDn}`;
/** The password policy the ppolicy overlay applies to every entry: what makes a lock refuse the bind. */
export const ldapDefaultPolicyDn = `cn=default,ou=policies,${ldapBaseDn}`;

export const slapdPackagesHint =
  'OpenLDAP is needed for the LDAP tests and the ldap-resync benchmark: apt-get install slapd ldap-utils (.ci/run installs them when missing)';

function findBinary(name: string, override?: string): string {
  if (override) return override;
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin']) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  const which = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const found = which.stdout.trim();
  if (which.status === 0 && found) return found;
  throw new Error(`${name} not found. ${slapdPackagesHint}`);
}

export function slapdBinary(): string {
  return findBinary('slapd', process.env['TAGGUARD_SLAPD_BIN']);
}

export function slapdVersion(binary = slapdBinary()): string {
  // `slapd -VV` prints "@(#) $OpenLDAP: slapd 2.5.13+dfsg-5 (...)" to stderr and exits.
  const { stderr, stdout } = spawnSync(binary, ['-VV'], { encoding: 'utf8' });
  return /slapd ([0-9][^\s]*)/.exec(`${stderr}${stdout}`)?.[1] ?? 'unknown';
}

function slapdConf(dir: string, rootpwHash: string): string {
  const schema = (name: string) => `include /etc/ldap/schema/${name}.schema`;
  return [
    schema('core'),
    schema('cosine'),
    schema('inetorgperson'),
    schema('nis'),
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    'moduleload ppolicy',
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    'loglevel none',
    'database mdb',
    `suffix "${ldapBaseDn}"`,
    `rootdn "${adminDn}"`,
    `rootpw ${rootpwHash}`,
    `directory ${join(dir, 'db')}`,
    // Room for the benchmark's 100,000 accounts in several tenants; a throwaway, so no fsync.
    'maxsize 4294967296',
    'dbnosync',
    'index objectClass eq',
    'index uid eq',
    'overlay ppolicy',
    `ppolicy_default "${ldapDefaultPolicyDn}"`,
    // A locked account's bind fails with invalidCredentials, never saying the account exists.
    'access to attrs=userPassword by self write by anonymous auth by * none',
    'access to * by users read by * none',
    '',
  ].join('\n');
}

function baseLdif(): string {
  return [
    `dn: ${ldapBaseDn}`,
    'objectClass: dcObject',
    'objectClass: organization',
    'dc: tagguard',
    'o: TagGuard',
    '',
    `dn: ou=policies,${ldapBaseDn}`,
    'objectClass: organizationalUnit',
    'ou: policies',
    '',
    // pwdLockout TRUE is what makes slapd honour pwdAccountLockedTime at bind (slapo-ppolicy(5));
    // pwdMaxFailure 0: wrong passwords never lock anyone, only an administrator does.
    `dn: ${ldapDefaultPolicyDn}`,
    'objectClass: organizationalRole',
    'objectClass: pwdPolicy',
    'cn: default',
    'pwdAttribute: userPassword',
    'pwdLockout: TRUE',
    'pwdMaxFailure: 0',
    '',
  ].join('\n');
}

/**
 * Debian's slapd as a local process: a fresh database each start (tests must not see yesterday's
 * entries), a generated slapd.conf (core, cosine, inetorgperson, nis schemas; mdb; the ppolicy overlay
 * with a default policy that honours account locks) loaded offline with slapadd, then slapd in the
 * foreground (-d 0, so its pid is the one we stop) on a free loopback port.
 */
export async function startSlapd(
  log: (line: string) => void = () => undefined,
  /** Another instance than the infrastructure's (a test that stops and starts its own). */
  name = 'slapd',
): Promise<SlapdEndpoint> {
  const binary = slapdBinary();
  const slapadd = findBinary('slapadd');
  const home = join(stateDir, name);
  rmSync(home, { recursive: true, force: true });
  mkdirSync(join(home, 'db'), { recursive: true, mode: 0o700 });
  const password = randomBytes(18).toString('base64url');
  const passwordFile = join(home, 'password');
  // No newline: slappasswd -T hashes the file's bytes as they are.
  writeFileSync(passwordFile, password, { mode: 0o600 });
  const hash = execFileSync(findBinary('slappasswd'), ['-h', '{SSHA}', '-T', passwordFile], {
    encoding: 'utf8',
  }).trim();
  const confFile = join(home, 'slapd.conf');
  writeFileSync(confFile, slapdConf(home, hash), { mode: 0o600 });
  const ldifFile = join(home, 'base.ldif');
  writeFileSync(ldifFile, baseLdif());
  execFileSync(slapadd, ['-q', '-f', confFile, '-l', ldifFile], { stdio: ['ignore', 'pipe', 'pipe'] });

  const port = await freePort();
  rmSync(join(stateDir, `${name}.log`), { force: true });
  log(`starting slapd ${slapdVersion(binary)} on ldap://127.0.0.1:${port}`);
  return runSlapd(name, port, passwordFile);
}

/** Starts a stopped instance again on its port, with its database as it was (an outage that ends). */
export function restartSlapd(name: string, endpoint: Pick<SlapdEndpoint, 'port' | 'passwordFile'>): Promise<SlapdEndpoint> {
  return runSlapd(name, endpoint.port, endpoint.passwordFile);
}

async function runSlapd(name: string, port: number, passwordFile: string): Promise<SlapdEndpoint> {
  const binary = slapdBinary();
  const url = `ldap://127.0.0.1:${port}`;
  const logFile = join(stateDir, `${name}.log`);
  const pid = startDetached(binary, ['-d', '0', '-f', join(stateDir, name, 'slapd.conf'), '-h', `${url}/`], {
    logFile,
    pidFile: join(stateDir, `${name}.pid`),
  });
  const endpoint: SlapdEndpoint = {
    url,
    port,
    pid,
    baseDn: ldapBaseDn,
    adminDn,
    passwordFile,
    version: slapdVersion(binary),
  };
  const password = readFileSync(passwordFile, 'utf8');
  await waitUntil('slapd', () => probeSlapd(endpoint, password), {
    timeoutMs: 30_000,
    logFile,
    stillRunning: () => isAlive(pid),
  });
  return endpoint;
}

/** Ready means the admin can bind and read the default password policy. */
export async function probeSlapd(endpoint: Pick<SlapdEndpoint, 'url' | 'adminDn'>, password: string) {
  const client = new Client({ url: endpoint.url, timeout: 2_000, connectTimeout: 2_000 });
  try {
    await client.bind(endpoint.adminDn, password);
    const { searchEntries } = await client.search(ldapDefaultPolicyDn, { scope: 'base' });
    if (searchEntries.length !== 1) throw new Error('default password policy missing');
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

export async function stopSlapd(endpoint: Pick<SlapdEndpoint, 'pid'>): Promise<void> {
  await stopProcessGroup(endpoint.pid, 15_000);
}
