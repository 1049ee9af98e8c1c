import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Attribute, Change, Client } from 'ldapts';
import { Pool } from 'pg';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import { protoRoot } from '@tagguard/grpc-runtime';
import { openDirectoryImport } from '@tagguard/sync-service';
import { KafkaTransport } from '@tagguard/messaging';
import {
  freePort,
  imapLogin,
  startDovecot,
  startServiceProcess,
  tagguardClient,
  type ServiceProcess,
} from '@tagguard/testing';
import { percentiles, round } from './measure';
import type { BenchContext } from './registry';

type Ldap = NonNullable<BenchContext['ldap']>;
type Unary = (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: unknown) => void) => void;

const DISABLE_CONCURRENCY = Number(process.env['BENCH_LDAP_DISABLE_CONCURRENCY'] ?? 10);
/** "bulk" (default): the directory loaded before the service starts; "grpc": ImportDirectory calls (~200/s). */
const IMPORT = process.env['BENCH_LDAP_CHANNEL_IMPORT'] === 'grpc' ? 'grpc' : 'bulk';
const id = (i: number) => `emp${String(i).padStart(6, '0')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;

/**
 * The same directory through sync-service (its own process, the production main.ts offering "ldap"):
 * EMPLOYEES employees loaded into its event store, GROUPS member tags published on tag-service's topic, then the
 * employees → accounts and tags → groups channels enabled (their first push is the whole desired state
 * into an empty OU), a ForceResync over the synced OU with its progress stream, and DisableEmployee over
 * gRPC → Dovecot refusing the IMAP login, for DISABLES employees.
 */
export async function throughChannels(
  { postgresUrl, kafkaBrokers }: BenchContext,
  ldap: Ldap,
  counts: { employees: number; groups: number; disables: number },
) {
  const run = randomUUID().replace(/-/g, '').slice(0, 8);
  const tenantId = `bench-channel-${run}`;
  const schema = `bench_ldapch_${run}`;
  const port = await freePort();
  const pool = new Pool({ connectionString: postgresUrl, max: 2 });
  const transport = new KafkaTransport({ clientId: 'bench-tag-service', brokers: kafkaBrokers });
  let service: ServiceProcess | undefined;
  const clients: grpc.Client[] = [];
  try {
    // Bulk (default): sync-service's own ingest (openDirectoryImport: the reconcile a full pull runs, the
    // same write path, events and mirror as ImportDirectory) in this process, on the service's schemas,
    // before the service starts; the service's planner then reads those events like any others.
    let importStarted = process.hrtime.bigint();
    let loadSeconds = 0;
    if (IMPORT === 'bulk') {
      const load = await openDirectoryImport({
        eventStoreUrl: postgresUrl,
        eventStoreSchema: `${schema}_es`,
        databaseUrl: postgresUrl,
        databaseSchema: schema,
        poolSize: 8,
      });
      try {
        const employees = Array.from({ length: counts.employees }, (_, i) => ({
          employeeId: id(i),
          name: `员工 ${i}`,
          departmentIds: ['d1'],
          mainDepartmentId: null,
          position: '',
          status: 'active' as const,
          leaderInDepartmentIds: [],
        }));
        const report = await load.importSnapshot(tenantId, {
          departments: [{ departmentId: 'd1', name: '全员', parentId: null, order: 0, leaderIds: [] }],
          employees,
          partners: [],
          partnerStaff: [],
          customers: [],
        });
        if (report.failures.length) throw new Error(`directory load: ${report.failures.length} failures`);
        await load.settled();
        loadSeconds = since(importStarted);
      } finally {
        await load.close();
      }
    }
    service = await startServiceProcess(
      'sync-service',
      {
        DATABASE_URL: postgresUrl,
        DATABASE_SCHEMA: schema,
        EVENTSTORE_SCHEMA: `${schema}_es`,
        KAFKA_BROKERS: kafkaBrokers.join(','),
        GRPC_PORT: String(port),
        LDAP_URL: ldap.url,
        LDAP_BASE_DN: ldap.baseDn,
        LDAP_BIND_DN: ldap.adminDn,
        LDAP_BIND_PASSWORD_FILE: ldap.passwordFile,
      },
      90_000,
    );
    const client = (file: string, name: string) => {
      const c = tagguardClient<grpc.Client>(
        `127.0.0.1:${port}`,
        `tagguard/sync/v1/${file}.proto`,
        protoRoot(),
        ['tagguard', 'sync', 'v1', name],
      );
      clients.push(c);
      return c;
    };
    const directory = client('directory_service', 'DirectoryService');
    const downstream = client('downstream_service', 'DownstreamService');
    const metadata = () => {
      const m = new grpc.Metadata();
      m.set(
        'authorization',
        `Bearer ${signToken({ tenantId, actorId: 'bench', roles: ['tenant_admin'] }, loadDevPrivateKey())}`,
      );
      return m;
    };
    const call = <T = Record<string, unknown>>(c: grpc.Client, method: string, request: object) =>
      new Promise<T>((resolve, reject) =>
        ((c as unknown as Record<string, Unary>)[method] as Unary).call(c, request, metadata(), (e, v) =>
          e ? reject(e) : resolve(v as T),
        ),
      );
    const count = async (table: string) =>
      Number(
        (
          await pool.query<{ n: string }>(
            `SELECT count(*) AS n FROM "${schema}".${table} WHERE tenant_id = $1`,
            [tenantId],
          )
        ).rows[0]!.n,
      );

    // gRPC: one department, EMPLOYEES employees, 1,000 per ImportDirectory.
    if (IMPORT === 'grpc') importStarted = process.hrtime.bigint();
    if (IMPORT === 'grpc') await call(directory, 'UpsertDepartment', { departmentId: 'd1', name: '全员' });
    for (let from = 0; IMPORT === 'grpc' && from < counts.employees; from += 1_000) {
      const items = [];
      for (let i = from; i < Math.min(counts.employees, from + 1_000); i++)
        items.push({ employee: { employeeId: id(i), name: `员工 ${i}`, departmentIds: ['d1'] } });
      const answer = await call<{ failed: number }>(directory, 'ImportDirectory', { items });
      if (answer.failed) throw new Error(`ImportDirectory: ${answer.failed} items failed`);
    }
    while ((await count('employees')) < counts.employees) await sleep(200);
    const importSeconds = IMPORT === 'bulk' ? loadSeconds : since(importStarted);

    // The tags, as tag-service's relay publishes them; sync-service keeps its own copy.
    await transport.ensureTopics([TAG_EVENTS_TOPIC_V1]);
    const publisher = await transport.publisher();
    const memberValues = Math.ceil(counts.employees / counts.groups) * counts.groups;
    for (let from = 0; from < counts.groups; from += 100) {
      const messages = [];
      for (let g = from; g < Math.min(counts.groups, from + 100); g++) {
        const members = [];
        for (let i = g; i < counts.employees; i += counts.groups)
          members.push({ kind: 'employee', id: id(i) });
        const data = [
          {
            type: 'tag.created.v1',
            data: {
              tenantId,
              revision: '0',
              tagId: `tag-${g}`,
              name: `市场${g}组`,
              kind: 'member',
              nodeType: 'tag',
              parentId: null,
            },
          },
          {
            type: 'tag.members_added.v1',
            data: { tenantId, revision: '1', tagId: `tag-${g}`, source: 'admin', members },
          },
        ];
        for (const e of data)
          messages.push({
            topic: TAG_EVENTS_TOPIC_V1,
            key: `tag-${g}`,
            eventId: randomUUID(),
            type: e.type,
            schemaVersion: 1,
            data: e.data,
            metadata: {
              tenantId,
              actorId: 'bench',
              correlationId: randomUUID(),
              occurredAt: new Date().toISOString(),
            },
          });
      }
      await publisher.publish(messages);
    }
    while ((await count('downstream_tag_members')) < Math.min(memberValues, counts.employees))
      await sleep(200);
    await publisher.close();

    const configure = (channelId: string, kind: string) =>
      call(downstream, 'ConfigureChannel', {
        channelId,
        kind,
        connector: 'ldap',
        settings: { mailDomain: 'corp.example.test' },
      });
    type State = { queueDepth: string; appliedTotal: string; failedTotal: string; status: string };
    const drained = async (channelId: string, atLeast: number) => {
      for (;;) {
        const { state } = await call<{ state: State }>(downstream, 'GetChannelState', { channelId });
        if (Number(state.appliedTotal) + Number(state.failedTotal) >= atLeast && state.queueDepth === '0')
          return state;
        await sleep(250);
      }
    };
    const push = async (channelId: string, kind: string, total: number) => {
      await configure(channelId, kind);
      const started = process.hrtime.bigint();
      await call(downstream, 'EnableChannel', { channelId });
      const state = await drained(channelId, total);
      const seconds = since(started);
      return {
        entries: total,
        seconds: round(seconds),
        entriesPerSecond: round(total / seconds),
        failed: Number(state.failedTotal),
      };
    };
    const accountsPush = await push('mail', 'CHANNEL_KIND_EMPLOYEE_ACCOUNTS', counts.employees);
    const groupsPush = await push('groups', 'CHANNEL_KIND_TAG_GROUPS', counts.groups);

    // ForceResync over the synced OU: server-streamed progress, then the report.
    const resyncStarted = process.hrtime.bigint();
    const messages = await new Promise<Record<string, unknown>[]>((resolve, reject) => {
      const out: Record<string, unknown>[] = [];
      const stream = (
        downstream as unknown as Record<
          string,
          (r: object, m: grpc.Metadata) => grpc.ClientReadableStream<Record<string, unknown>>
        >
      )['ForceResync']!.call(downstream, { channelId: 'mail' }, metadata());
      stream.on('data', (m: Record<string, unknown>) => out.push(m));
      stream.on('error', reject);
      stream.on('end', () => resolve(out));
    });
    const resyncSeconds = since(resyncStarted);
    const report = messages.find((m) => m['report'])?.['report'];

    const disable = await disableOverGrpc(ldap, tenantId, counts.disables, (employeeId) =>
      call(directory, 'DisableEmployee', { employeeId }),
    );
    return {
      path: 'sync-service process (production main.ts, connector "ldap"): directory events → channels → LdapDirectory → slapd',
      directoryLoad: {
        how:
          IMPORT === 'bulk'
            ? "openDirectoryImport in the bench process before the service starts (sync-service's reconcile write path: the same events and mirror as ImportDirectory, no gRPC); the service then projects and plans them"
            : 'ImportDirectory over gRPC, 1,000 items a call',
        employees: counts.employees,
        seconds: round(importSeconds),
        employeesPerSecond: round(counts.employees / importSeconds),
      },
      accountsChannelFirstPush: accountsPush,
      groupsChannelFirstPush: groupsPush,
      forceResyncOverSynced: {
        entries: counts.employees,
        seconds: round(resyncSeconds),
        entriesPerSecond: round(counts.employees / resyncSeconds),
        progressMessages: messages.length - 1,
        report,
      },
      disableEmployeeToImapRefused: disable,
    };
  } finally {
    for (const c of clients) c.close();
    await service?.stop('SIGTERM');
    await transport.close();
    await pool.end();
  }
}

/** DisableEmployee over gRPC → the first refused IMAP LOGIN, for `n` employees with mailbox passwords. */
async function disableOverGrpc(
  ldap: Ldap,
  tenantId: string,
  n: number,
  disable: (employeeId: string) => Promise<unknown>,
) {
  const { readFileSync } = await import('node:fs');
  const peopleDn = `ou=people,ou=${tenantId},${ldap.baseDn}`;
  const admin = new Client({ url: ldap.url });
  await admin.bind(ldap.adminDn, readFileSync(ldap.passwordFile, 'utf8'));
  const dovecot = await startDovecot({ ldapUrl: ldap.url, userDnTemplate: `uid=%u,${peopleDn}` });
  try {
    const ids = Array.from({ length: n }, (_, i) => id(i));
    for (const e of ids) {
      await admin.modify(
        `uid=${e},${peopleDn}`,
        new Change({
          operation: 'replace',
          modification: new Attribute({ type: 'userPassword', values: [`pw-${e}`] }),
        }),
      );
      if ((await imapLogin(dovecot, e, `pw-${e}`)) !== 'ok')
        throw new Error(`${e} cannot log in before the disable`);
    }
    const refusedLoginStarted: number[] = [];
    const refused: number[] = [];
    let loginsTried = 0;
    // DISABLE_CONCURRENCY employees at a time (each timed alone), polling IMAP every 50 ms.
    let next = 0;
    await Promise.all(
      Array.from({ length: DISABLE_CONCURRENCY }, async () => {
        for (let k = next++; k < ids.length; k = next++) {
          const e = ids[k]!;
          const started = process.hrtime.bigint();
          await disable(e);
          for (;;) {
            loginsTried++;
            const attempt = since(started) * 1000;
            if ((await imapLogin(dovecot, e, `pw-${e}`)) === 'refused') {
              refusedLoginStarted.push(attempt);
              break;
            }
            await sleep(50);
          }
          refused.push(since(started) * 1000);
        }
      }),
    );
    return {
      employees: n,
      concurrency: DISABLE_CONCURRENCY,
      loginsTried,
      // The first refused IMAP LOGIN had started this long after DisableEmployee was called.
      refusedLoginStartedMs: percentiles(refusedLoginStarted),
      // Its NO arrived this long after (Dovecot answers failures on a 500 ms tick, see the connector-level figure).
      imapLoginRefusedMs: percentiles(refused),
    };
  } finally {
    await dovecot.stop();
    await admin.unbind();
  }
}
