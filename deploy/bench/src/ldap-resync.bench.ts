import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Attribute, Change, Client } from 'ldapts';
import { imapLogin, startDovecot } from '@tagguard/testing';
import { LdapDirectory, type DownstreamAccount, type DownstreamGroup } from '@tagguard/sync-service';
import { throughChannels } from './ldap-channel';
import { percentiles, round } from './measure';
import type { BenchContext } from './registry';

const EMPLOYEES = Number(process.env['BENCH_LDAP_EMPLOYEES'] ?? 100_000);
const GROUPS = Number(process.env['BENCH_LDAP_GROUPS'] ?? 3_000);
/** Parallel LDAP connections of the connector, and operations in flight across them. */
const CONNECTIONS = Number(process.env['BENCH_LDAP_CONNECTIONS'] ?? 4);
const CONCURRENCY = Number(process.env['BENCH_LDAP_CONCURRENCY'] ?? 32);
/** Turns each side takes (raw, connector, connector, raw, …) so load from elsewhere hits both alike. */
const ROUNDS = Number(process.env['BENCH_LDAP_ROUNDS'] ?? 4);
const DISABLES = Number(process.env['BENCH_LDAP_DISABLES'] ?? 100);
/** The directory written through sync-service's channels (loaded in bulk, ldap-channel.ts). */
const CHANNEL_EMPLOYEES = Number(process.env['BENCH_LDAP_CHANNEL_EMPLOYEES'] ?? 100_000);

const run = promisify(execFile);

type Item = { kind: 'account'; account: DownstreamAccount } | { kind: 'group'; group: DownstreamGroup };

/** The same directory for both sides: employees, then groups (tags) of about EMPLOYEES / GROUPS members. */
function directory(): Item[] {
  const id = (i: number) => `emp${String(i).padStart(6, '0')}`;
  const items: Item[] = [];
  for (let i = 0; i < EMPLOYEES; i++)
    items.push({
      kind: 'account',
      account: {
        employeeId: id(i),
        email: `${id(i)}@corp.example.test`,
        displayName: `员工 ${i}`,
        active: i % 50 !== 0,
      },
    });
  for (let g = 0; g < GROUPS; g++) {
    const members: string[] = [];
    for (let i = g; i < EMPLOYEES; i += GROUPS) members.push(id(i));
    items.push({
      kind: 'group',
      group: {
        groupId: `tag-${g}`,
        displayName: `市场${g}组`,
        email: `tag-${g}@corp.example.test`,
        memberEmployeeIds: members,
      },
    });
  }
  return items;
}

/** An LDIF line: the value as is when it is a SAFE-STRING (RFC 2849), else base64. */
const line = (name: string, value: string) =>
  /^[\x21-\x39\x3b\x3d-\x7e][\x20-\x7e]*$/.test(value) && !value.endsWith(' ')
    ? `${name}: ${value}`
    : `${name}:: ${Buffer.from(value).toString('base64')}`;

/** Exactly the entries the connector adds (LdapDirectory.upsertAccount/upsertGroup), as LDIF for ldapadd. */
function ldif(dir: LdapDirectory, items: Item[]): string {
  const out: string[] = [];
  for (const item of items) {
    if (item.kind === 'account') {
      const a = item.account;
      out.push(
        line('dn', dir.accountDn(a.employeeId)),
        'objectClass: inetOrgPerson',
        `uid: ${a.employeeId}`,
        line('cn', a.displayName),
        line('sn', a.displayName),
        `mail: ${a.email}`,
        line('displayName', a.displayName),
        ...(a.active ? [] : ['pwdAccountLockedTime: 000001010000Z']),
        '',
      );
    } else {
      const g = item.group;
      out.push(
        line('dn', dir.groupDn(g.groupId)),
        'objectClass: groupOfNames',
        'objectClass: extensibleObject',
        `cn: ${g.groupId}`,
        line('displayName', g.displayName),
        `mail: ${g.email}`,
        ...g.memberEmployeeIds.map((m) => line('member', dir.accountDn(m))),
        '',
      );
    }
  }
  return out.join('\n');
}

function treeLdif(dir: LdapDirectory, tenant: string): string {
  return [
    `dn: ${dir.tenantDn}`,
    'objectClass: organizationalUnit',
    `ou: ${tenant}`,
    '',
    `dn: ${dir.peopleDn}`,
    'objectClass: organizationalUnit',
    'ou: people',
    '',
    `dn: ${dir.groupsDn}`,
    'objectClass: organizationalUnit',
    'ou: groups',
    '',
  ].join('\n');
}

async function workers(count: number, total: number, op: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: count }, async () => {
      for (let i = next++; i < total; i = next++) await op(i);
    }),
  );
}

/**
 * (a) A resync of EMPLOYEES accounts and GROUPS groups into slapd through the LDAP connector
 * (LdapDirectory: CONNECTIONS connections, CONCURRENCY operations in flight, no read before a write),
 * against a raw bulk load of exactly the same entries with OpenLDAP's own `ldapadd` (one process, and
 * CONNECTIONS processes at once) into other OUs of the same server, in ROUNDS rotating turns. Then the same resync over the existing entries (every write
 * takes the "already exists → replace" path). (b) Time from "employee disabled" (connector call) to "IMAP
 * login refused" by a real Dovecot authenticating against that slapd, for DISABLES employees. (c) The same
 * through sync-service's channels (ldap-channel.ts; BENCH_LDAP_CHANNELS=0 skips it).
 */
export async function ldapResync(context: BenchContext) {
  const { ldap } = context;
  if (!ldap) throw new Error('the infrastructure has no slapd (npm run infra -- up starts it)');
  const password = readFileSync(ldap.passwordFile, 'utf8').trim();
  const runId = randomUUID().slice(0, 8);
  const connect = (tenantId: string, connections = CONNECTIONS) =>
    new LdapDirectory({
      url: ldap.url,
      bindDn: ldap.adminDn,
      bindPassword: password,
      baseDn: ldap.baseDn,
      tenantId,
      connections,
    });
  const raw = connect(`bench-raw-${runId}`);
  const rawParallel = connect(`bench-raw-parallel-${runId}`);
  const connector = connect(`bench-resync-${runId}`);
  const tmp = mkdtempSync(join(tmpdir(), 'tagguard-ldap-bench-'));
  const items = directory();
  const perRound = Math.ceil(items.length / ROUNDS);
  const slice = (r: number) => items.slice(r * perRound, (r + 1) * perRound);
  const file = (name: string, content: string) => {
    const path = join(tmp, name);
    writeFileSync(path, content);
    return path;
  };
  // One ldapadd per round; and CONNECTIONS ldapadd processes at once per round (every k-th entry each),
  // the client tools' best with as many connections as the connector uses.
  const rawFiles = Array.from({ length: ROUNDS }, (_, r) => file(`raw-${r}.ldif`, ldif(raw, slice(r))));
  const parallelFiles = Array.from({ length: ROUNDS }, (_, r) =>
    Array.from({ length: CONNECTIONS }, (_, k) =>
      file(
        `parallel-${r}-${k}.ldif`,
        ldif(
          rawParallel,
          slice(r).filter((_, i) => i % CONNECTIONS === k),
        ),
      ),
    ),
  );
  const ldapadd = (path: string) =>
    run('ldapadd', ['-x', '-H', ldap.url, '-D', ldap.adminDn, '-y', ldap.passwordFile, '-f', path], {
      maxBuffer: 256 * 1024 * 1024,
    });
  const write = (dir: LdapDirectory) => (item: Item) =>
    item.kind === 'account' ? dir.upsertAccount(item.account) : dir.upsertGroup(item.group);

  try {
    await ldapadd(file('tree-raw.ldif', treeLdif(raw, `bench-raw-${runId}`)));
    await ldapadd(file('tree-parallel.ldif', treeLdif(rawParallel, `bench-raw-parallel-${runId}`)));
    type Side = 'raw' | 'rawParallel' | 'connector';
    const seconds: Record<Side, number> = { raw: 0, rawParallel: 0, connector: 0 };
    const rounds: Record<Side, number[]> = { raw: [], rawParallel: [], connector: [] };
    const sides: Record<Side, (r: number) => Promise<void>> = {
      raw: async (r) => {
        await ldapadd(rawFiles[r]!);
      },
      rawParallel: async (r) => {
        await Promise.all(parallelFiles[r]!.map((path) => ldapadd(path)));
      },
      connector: async (r) => {
        const entries = slice(r);
        const upsert = write(connector);
        await workers(CONCURRENCY, entries.length, (i) => upsert(entries[i]!));
      },
    };
    const names: Side[] = ['raw', 'rawParallel', 'connector'];
    for (let r = 0; r < ROUNDS; r++) {
      // The order rotates every round, so each side goes first, in the middle and last alike.
      const order = names.map((_, k) => names[(k + r) % names.length]!);
      for (const side of order) {
        const started = process.hrtime.bigint();
        await sides[side](r);
        const s = Number(process.hrtime.bigint() - started) / 1e9;
        seconds[side] += s;
        rounds[side].push(round(slice(r).length / s));
      }
    }
    const count = async (dir: LdapDirectory) => {
      let accounts = 0;
      let groups = 0;
      for await (const _ of dir.listAccounts()) accounts++;
      for await (const _ of dir.listGroups()) groups++;
      return { accounts, groups };
    };
    const written = {
      raw: await count(raw),
      rawParallel: await count(rawParallel),
      connector: await count(connector),
    };
    if (written.connector.accounts !== EMPLOYEES || written.connector.groups !== GROUPS)
      throw new Error(`the connector wrote ${JSON.stringify(written.connector)}`);

    // A forced resync over a directory already in that state: add → "already exists" → replace.
    const again = Math.min(items.length, 20_000);
    const againStarted = process.hrtime.bigint();
    const upsert = write(connector);
    await workers(CONCURRENCY, again, (i) => upsert(items[i]!));
    const againSeconds = Number(process.hrtime.bigint() - againStarted) / 1e9;

    const disable = await disableToImapRefused(ldap, password, connect(`bench-imap-${runId}`, 1));
    const channels =
      process.env['BENCH_LDAP_CHANNELS'] === '0'
        ? undefined
        : await throughChannels(context, ldap, {
            employees: CHANNEL_EMPLOYEES,
            groups: Math.max(1, Math.round((GROUPS * CHANNEL_EMPLOYEES) / EMPLOYEES)),
            disables: DISABLES,
          });
    const rate = (side: Side) => round(items.length / seconds[side]);
    const bestRaw = Math.max(rate('raw'), rate('rawParallel'));
    return {
      description:
        'entries written into slapd: the LDAP connector (pooled connections, operations in flight, no read-before-write) vs ldapadd of the same LDIF (one process, and one process per connection) into other OUs of the same server, in rotating turns; then disable → IMAP login refused through Dovecot',
      slapd: ldap.version,
      employees: EMPLOYEES,
      groups: GROUPS,
      memberValues: items.reduce(
        (n, i) => n + (i.kind === 'group' ? i.group.memberEmployeeIds.length : 0),
        0,
      ),
      rounds: ROUNDS,
      connector: {
        connections: CONNECTIONS,
        concurrency: CONCURRENCY,
        seconds: round(seconds.connector),
        entriesPerSecond: rate('connector'),
        roundEntriesPerSecond: rounds.connector,
        written: written.connector,
      },
      baselineLdapadd: {
        seconds: round(seconds.raw),
        entriesPerSecond: rate('raw'),
        roundEntriesPerSecond: rounds.raw,
        written: written.raw,
      },
      baselineLdapaddParallel: {
        processes: CONNECTIONS,
        seconds: round(seconds.rawParallel),
        entriesPerSecond: rate('rawParallel'),
        roundEntriesPerSecond: rounds.rawParallel,
        written: written.rawParallel,
      },
      // Against the faster of the two raw loads.
      ratioToRaw: round(rate('connector') / bestRaw),
      ratioToSingleLdapadd: round(rate('connector') / rate('raw')),
      goalRatio: 0.5,
      resyncOverExisting: {
        entries: again,
        seconds: round(againSeconds),
        entriesPerSecond: round(again / againSeconds),
      },
      disableToImapRefused: disable,
      ...(channels ? { throughSyncServiceChannels: channels } : {}),
    };
  } finally {
    await Promise.all([raw.close(), rawParallel.close(), connector.close()]);
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** For DISABLES employees with a mailbox password: connector disable → first refused IMAP LOGIN. */
async function disableToImapRefused(
  ldap: NonNullable<BenchContext['ldap']>,
  password: string,
  dir: LdapDirectory,
) {
  const admin = new Client({ url: ldap.url });
  await admin.bind(ldap.adminDn, password);
  const dovecot = await startDovecot({ ldapUrl: ldap.url, userDnTemplate: `uid=%u,${dir.peopleDn}` });
  try {
    const ids = Array.from({ length: DISABLES }, (_, i) => `imap${i}`);
    for (const id of ids) {
      await dir.upsertAccount({
        employeeId: id,
        email: `${id}@corp.example.test`,
        displayName: id,
        active: true,
      });
      await admin.modify(
        dir.accountDn(id),
        new Change({
          operation: 'replace',
          modification: new Attribute({ type: 'userPassword', values: [`pw-${id}`] }),
        }),
      );
      if ((await imapLogin(dovecot, id, `pw-${id}`)) !== 'ok')
        throw new Error(`${id} cannot log in before the disable`);
    }
    const locked: number[] = [];
    const refusedLoginStarted: number[] = [];
    const refused: number[] = [];
    let loginsTried = 0;
    const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
    for (const id of ids) {
      const started = process.hrtime.bigint();
      await dir.setAccountActive(id, false);
      locked.push(since(started));
      for (;;) {
        loginsTried++;
        const attempt = since(started);
        if ((await imapLogin(dovecot, id, `pw-${id}`)) === 'refused') {
          refusedLoginStarted.push(attempt);
          break;
        }
      }
      refused.push(since(started));
    }
    return {
      path: 'LdapDirectory.setAccountActive → slapd (ppolicy lock) → Dovecot LDAP passdb (auth_bind)',
      employees: DISABLES,
      loginsTried,
      // The lock is in slapd when setAccountActive returns.
      lockCommittedMs: percentiles(locked),
      // The first IMAP LOGIN that was refused had started this long after the disable.
      refusedLoginStartedMs: percentiles(refusedLoginStarted),
      // ...and its NO arrived this long after: Dovecot sends failure replies on a 500 ms tick even with
      // auth_failure_delay = 0 (2 s by default in production), so this is mostly Dovecot's pacing.
      imapLoginRefusedMs: percentiles(refused),
    };
  } finally {
    await dovecot.stop();
    await admin.unbind();
    await dir.close();
  }
}
