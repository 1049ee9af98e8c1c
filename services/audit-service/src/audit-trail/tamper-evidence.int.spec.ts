import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import { Pool } from 'pg';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import { protoRoot, type RunningGrpcService } from '@tagguard/grpc-runtime';
import { InProcessTransport, type IntegrationMessage, type MessagePublisher } from '@tagguard/messaging';
import { freePort, tagguardClient, testInfra } from '@tagguard/testing';
import { loadAuditServiceConfig, startAuditService } from '../app';
import { startWitnessServer } from '../testing/witness-server';
import { resolveTreeHeadKey } from '../config/tree-head-key';
import { leafBytesOfRow, type StoredRecordRow } from './audit-log.reader';
import { TreeHeads } from './tree-heads';
import { appendLeaves, leafHash, type Hash } from './tree/rfc9162';
import { hashLeaf, verifyConsistency, verifyInclusion } from './tree/rfc9162.verify';
import { verifyTreeHead } from './tree/tree-head';

// Issue 14 item 2 on a real PostgreSQL and real gRPC: every audited event is a leaf of its tenant's
// RFC 9162 tree; proofs verify with the independent RFC verifier; rows edited or deleted in SQL are named
// by VerifyTrail; a consistent rewrite of rows and hashes fails against the head the witness holds.
const run = randomUUID().slice(0, 8);
const schema = `audit_te_${run}`;
const tenant = (name: string) => `${name}-${run}`;

function caller(tenantId: string, roles = ['auditor']): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(
    'authorization',
    `Bearer ${signToken({ tenantId, actorId: 'auditor-1', roles }, loadDevPrivateKey())}`,
  );
  return metadata;
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('the tamper-evident audit trail (RFC 9162 tree, signed heads, witness)', () => {
  const keyDir = mkdtempSync(join(tmpdir(), 'audit-te-'));
  const keyFile = join(keyDir, 'tree-head-key.pem');
  let service: RunningGrpcService;
  let transport: InProcessTransport;
  let publisher: MessagePublisher;
  let client: grpc.Client;
  let pool: Pool;
  let witness: Awaited<ReturnType<typeof startWitnessServer>>;

  const call = (method: string, request: object, metadata: grpc.Metadata): Promise<Obj> =>
    new Promise((resolve, reject) =>
      (client as unknown as Record<string, (...a: unknown[]) => void>)[method]!.call(
        client,
        request,
        metadata,
        (e: grpc.ServiceError | null, v: Obj) => (e ? reject(e) : resolve(v)),
      ),
    );
  const exportLines = (tenantId: string, treeSize = '0', roles = ['auditor']): Promise<string[]> =>
    new Promise((resolve, reject) => {
      const lines: string[] = [];
      const stream = (
        client as unknown as Record<string, (...a: unknown[]) => grpc.ClientReadableStream<Obj>>
      )['ExportRecords']!.call(client, { treeSize }, caller(tenantId, roles));
      stream.on('data', (m: Obj) => lines.push(m['line'] as string));
      stream.on('error', reject);
      stream.on('end', () => resolve(lines));
    });
  const events = (tenantId: string, n: number): IntegrationMessage[] =>
    Array.from({ length: n }, (_, i) => {
      const tagId = randomUUID();
      return {
        topic: TAG_EVENTS_TOPIC_V1,
        key: tagId,
        eventId: randomUUID(),
        type: 'tag.created.v1',
        schemaVersion: 1,
        data: {
          tenantId,
          revision: '0',
          tagId,
          name: `VIP客户${i}`,
          kind: 'customer',
          nodeType: 'tag',
          parentId: null,
        },
        metadata: {
          tenantId,
          actorId: 'admin-1',
          correlationId: randomUUID(),
          occurredAt: new Date().toISOString(),
        },
      };
    });
  const ingest = async (tenantId: string, n: number) => {
    const batch = events(tenantId, n);
    for (const m of batch) await publisher.publish([m]);
    return batch;
  };
  const verify = (tenantId: string) => call('VerifyTrail', {}, caller(tenantId));
  const rows = async (tenantId: string) =>
    (
      await pool.query<StoredRecordRow>(
        `SELECT leaf_index, event_id::text, tenant_id, event_type, actor_id, subject_id, correlation_id,
           occurred_at, recorded_at, data, leaf_hash FROM "${schema}".audit_records WHERE tenant_id = $1 ORDER BY leaf_index`,
        [tenantId],
      )
    ).rows;

  beforeAll(async () => {
    const { postgresUrl } = testInfra();
    pool = new Pool({ connectionString: postgresUrl });
    witness = await startWitnessServer();
    transport = new InProcessTransport();
    const port = await freePort();
    service = await startAuditService(
      loadAuditServiceConfig({
        GRPC_PORT: String(port),
        DATABASE_URL: postgresUrl,
        DATABASE_SCHEMA: schema,
        AUDIT_TREE_HEAD_KEY_FILE: keyFile,
        AUDIT_TREE_HEAD_INTERVAL_MS: '3600000',
        AUDIT_WITNESS_URLS: `*=${witness.url}`,
      }),
      { events: transport, logDestination: { write: () => undefined } },
    );
    publisher = await transport.publisher();
    client = tagguardClient(`127.0.0.1:${port}`, 'tagguard/audit/v1/audit_service.proto', protoRoot(), [
      'tagguard',
      'audit',
      'v1',
      'AuditService',
    ]);
  });
  afterAll(async () => {
    client?.close();
    await service?.stop('test end');
    await transport?.close();
    await witness?.close();
    await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool?.end();
  });

  it('gives each event one leaf in arrival order, per tenant; a redelivered event adds no leaf', async () => {
    const a = await ingest(tenant('a'), 12);
    await ingest(tenant('b'), 3);
    for (const m of a.slice(0, 4)) await publisher.publish([m]);
    const page = await call('ListAuditRecords', { pageSize: 500 }, caller(tenant('a')));
    expect(page['records'].map((r: Obj) => r['leafIndex'])).toEqual(a.map((_, i) => String(i)));
    expect(page['records'].map((r: Obj) => r['eventId'])).toEqual(a.map((m) => m.eventId));
    await expect(verify(tenant('a'))).resolves.toMatchObject({
      ok: true,
      treeSize: '12',
      recordsChecked: '12',
    });
    await expect(verify(tenant('b'))).resolves.toMatchObject({ ok: true, treeSize: '3' });
  });

  it('signs tree heads, hands them to the witness, and proves every record and the growth between heads', async () => {
    const t = tenant('proofs');
    const first = await ingest(t, 21);
    const head1 = (await call('IssueTreeHead', {}, caller(t)))['treeHead'] as Obj;
    const second = await ingest(t, 12);
    const head2 = (await call('IssueTreeHead', {}, caller(t, ['security_officer'])))['treeHead'] as Obj;
    const publicKeyPem = head1['publicKeyPem'] as string;
    const asHead = (h: Obj) => ({
      logId: h['logId'],
      treeSize: Number(h['treeSize']),
      timestampMs: Number(h['timestampMs']),
      rootHash: h['rootHash'] as Buffer,
      signature: h['signature'] as Buffer,
    });
    expect(head1).toMatchObject({ logId: `tagguard/audit/${t}`, treeSize: '21', witnessStatus: 'ACCEPTED' });
    expect(head2).toMatchObject({ treeSize: '33', witnessStatus: 'ACCEPTED' });
    expect(verifyTreeHead(asHead(head1), publicKeyPem)).toBe(true);
    expect(verifyTreeHead({ ...asHead(head1), treeSize: 22 }, publicKeyPem)).toBe(false);
    const witnessed = witness.received.filter((w) => w.log_id === `tagguard/audit/${t}`);
    expect(witnessed.map((w) => w.tree_size)).toEqual([21, 33]);
    expect(witnessed[1]!.root_hash).toBe((head2['rootHash'] as Buffer).toString('base64'));
    // The same key after a restart: the file was generated once, owner-only.
    expect(resolveTreeHeadKey({ AUDIT_TREE_HEAD_KEY_FILE: keyFile }).publicKeyPem).toBe(publicKeyPem);

    const all = [...first, ...second];
    for (const [size, head] of [
      [21, head1],
      [33, head2],
    ] as const)
      for (let i = 0; i < size; i++) {
        const proof = await call(
          'GetInclusionProof',
          { leafIndex: String(i), treeSize: String(size) },
          caller(t),
        );
        expect(proof['record']['eventId']).toBe(all[i]!.eventId);
        expect(hashLeaf(Buffer.from(proof['canonicalRecord'], 'utf8'))).toEqual(proof['leafHash']);
        expect(verifyInclusion(i, size, proof['leafHash'], proof['auditPath'], head['rootHash'])).toBe(true);
      }
    // By event id, against the latest signed head (tree_size 0), which comes with the proof.
    const byId = await call('GetInclusionProof', { eventId: all[7]!.eventId }, caller(t, ['tenant_admin']));
    expect(byId).toMatchObject({ leafIndex: '7', treeSize: '33' });
    expect(verifyInclusion(7, 33, byId['leafHash'], byId['auditPath'], byId['treeHead']['rootHash'])).toBe(
      true,
    );

    for (let m = 1; m <= 33; m++) {
      const c = await call(
        'GetConsistencyProof',
        { firstTreeSize: String(m), secondTreeSize: '33' },
        caller(t),
      );
      expect(verifyConsistency(m, 33, c['firstRootHash'], head2['rootHash'], c['proof'])).toBe(true);
    }
    const c = await call('GetConsistencyProof', { firstTreeSize: '21' }, caller(t));
    expect(verifyConsistency(21, 33, head1['rootHash'], head2['rootHash'], c['proof'])).toBe(true);
    await expect(call('GetSignedTreeHead', { treeSize: '21' }, caller(t))).resolves.toMatchObject({
      treeHead: { treeSize: '21', rootHash: head1['rootHash'] },
    });
    // By leaf index against the latest head: the path is planned for the head size last seen (33); a new
    // head makes that guess wrong, and the proof must follow the new head.
    await call('GetInclusionProof', { leafIndex: '30' }, caller(t));
    await ingest(t, 3);
    const head3 = (await call('IssueTreeHead', {}, caller(t)))['treeHead'] as Obj;
    for (const i of [30, 35]) {
      const p = await call('GetInclusionProof', { leafIndex: String(i) }, caller(t));
      expect(p).toMatchObject({ treeSize: '36', treeHead: { treeSize: '36' } });
      expect(verifyInclusion(i, 36, p['leafHash'], p['auditPath'], head3['rootHash'])).toBe(true);
    }
  });

  it('lets only auditors, security officers and tenant admins read, each only its own tenant, and names bad fields', async () => {
    const t = tenant('access');
    const [m] = await ingest(t, 3);
    await call('IssueTreeHead', {}, caller(t));
    for (const method of [
      'ListAuditRecords',
      'GetSignedTreeHead',
      'IssueTreeHead',
      'GetInclusionProof',
      'GetConsistencyProof',
      'VerifyTrail',
    ])
      await expect(call(method, {}, caller(t, ['tag_editor']))).rejects.toMatchObject({
        code: grpc.status.PERMISSION_DENIED,
        metadata: expect.objectContaining({}),
      });
    await expect(exportLines(t, '0', ['tag_editor'])).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
    await expect(exportLines(tenant('other'), '-1')).resolves.toEqual([]);
    await expect(
      call('GetInclusionProof', { eventId: m!.eventId }, caller(tenant('other'))),
    ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    const list = await call('ListAuditRecords', { pageSize: 500 }, caller(tenant('other'), ['tenant_admin']));
    expect(list['records']).toEqual([]);
    // Beyond the log: its 3 records and the 7 refusals above (denied reads are recorded, D103).
    const bad = await call('GetInclusionProof', { leafIndex: '3', treeSize: '99' }, caller(t)).catch(
      (e: grpc.ServiceError) => e,
    );
    expect(bad).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    expect((bad as grpc.ServiceError).metadata.get('tg-field')).toEqual(['tree_size']);
    const both = await call('GetInclusionProof', { leafIndex: '0', eventId: m!.eventId }, caller(t)).catch(
      (e: grpc.ServiceError) => e,
    );
    expect((both as grpc.ServiceError).metadata.get('tg-field')).toEqual(['event_id']);
    const zero = await call(
      'GetConsistencyProof',
      { firstTreeSize: '0', secondTreeSize: '3' },
      caller(t),
    ).catch((e: grpc.ServiceError) => e);
    expect((zero as grpc.ServiceError).metadata.get('tg-field')).toEqual(['first_tree_size']);
  });

  it('is verified offline by the CLI from ExportRecords and a tree head, and the CLI catches an edited export', async () => {
    const t = tenant('offline');
    await ingest(t, 17);
    const sth = await call('IssueTreeHead', {}, caller(t));
    await ingest(t, 2); // beyond the head: the export of tree_size 0 stops at the head
    const lines = await exportLines(t);
    expect(lines).toHaveLength(17);
    const dir = mkdtempSync(join(tmpdir(), 'audit-verify-'));
    const files = {
      records: join(dir, 'export.jsonl'),
      head: join(dir, 'sth.json'),
      key: join(dir, 'key.pem'),
    };
    writeFileSync(files.records, lines.join('\n') + '\n');
    // As grpcurl prints it: bytes in base64.
    const head = sth['treeHead'] as Obj;
    writeFileSync(
      files.head,
      JSON.stringify({
        treeHead: {
          ...head,
          rootHash: head['rootHash'].toString('base64'),
          signature: head['signature'].toString('base64'),
        },
      }),
    );
    writeFileSync(files.key, head['publicKeyPem']);
    const cli = (records: string) =>
      promisify(execFile)(
        process.execPath,
        [
          '-r',
          '@swc-node/register',
          'services/audit-service/src/cli/audit-verify.ts',
          '--records',
          records,
          '--tree-head',
          files.head,
          '--public-key',
          files.key,
        ],
        { cwd: join(__dirname, '../../../..') },
      ).then(
        ({ stdout }) => ({ code: 0, out: JSON.parse(stdout) as Obj }),
        (e: { code: number; stdout: string }) => ({ code: e.code, out: JSON.parse(e.stdout) as Obj }),
      );
    await expect(cli(files.records)).resolves.toMatchObject({
      code: 0,
      out: { ok: true, treeSize: 17, recordsRead: 17 },
    });
    const edited = lines.map((l, i) => (i === 5 ? l.replace('VIP客户5', 'VIP客户X') : l));
    writeFileSync(join(dir, 'edited.jsonl'), edited.join('\n'));
    await expect(cli(join(dir, 'edited.jsonl'))).resolves.toMatchObject({ code: 1, out: { ok: false } });
    writeFileSync(join(dir, 'short.jsonl'), lines.filter((_, i) => i !== 9).join('\n'));
    await expect(cli(join(dir, 'short.jsonl'))).resolves.toMatchObject({
      code: 1,
      out: { ok: false, problem: 'record at line 10 says leaf 10, expected leaf 9' },
    });
  }, 60_000);

  it('names the first bad record when one row is UPDATEd and another DELETEd in SQL', async () => {
    const t = tenant('tamper');
    const batch = await ingest(t, 20);
    await expect(verify(t)).resolves.toMatchObject({ ok: true });
    await pool.query(
      `UPDATE "${schema}".audit_records SET data = jsonb_set(data, '{name}', '"意向客户"') WHERE tenant_id = $1 AND leaf_index = 6`,
      [t],
    );
    await pool.query(`DELETE FROM "${schema}".audit_records WHERE tenant_id = $1 AND leaf_index = 13`, [t]);
    await expect(verify(t)).resolves.toMatchObject({
      ok: false,
      firstBad: { leafIndex: '6', eventId: batch[6]!.eventId, problem: 'RECORD_ALTERED' },
    });
    // Put the edited row back: now the deleted one is the first bad record.
    await pool.query(
      `UPDATE "${schema}".audit_records SET data = jsonb_set(data, '{name}', '"VIP客户6"') WHERE tenant_id = $1 AND leaf_index = 6`,
      [t],
    );
    const verdict = await verify(t);
    expect(verdict).toMatchObject({
      ok: false,
      firstBad: { leafIndex: '13', eventId: '', problem: 'RECORD_MISSING' },
    });
    expect(verdict['firstBad']['detail']).toContain(batch[14]!.eventId);
    // A deleted tail is missed by no gap: the tree's size still counts it.
    const tail = tenant('tail');
    await ingest(tail, 5);
    await pool.query(`DELETE FROM "${schema}".audit_records WHERE tenant_id = $1 AND leaf_index = 4`, [tail]);
    await expect(verify(tail)).resolves.toMatchObject({
      ok: false,
      firstBad: { leafIndex: '4', problem: 'RECORD_MISSING' },
    });
  });

  it('catches a consistent rewrite of rows AND hashes by the consistency proof against the witnessed head', async () => {
    const t = tenant('rewrite');
    await ingest(t, 16);
    await call('IssueTreeHead', {}, caller(t));
    await ingest(t, 5);
    const held = witness.received.find((w) => w.log_id === `tagguard/audit/${t}`)!;
    expect(held.tree_size).toBe(16);

    // A database administrator edits a record and recomputes every leaf hash, subtree and the right edge.
    const rewrite = async () => {
      await pool.query(
        `UPDATE "${schema}".audit_records SET data = jsonb_set(data, '{name}', '"rewritten"') WHERE tenant_id = $1 AND leaf_index = 3`,
        [t],
      );
      const all = await rows(t);
      const leaves: Hash[] = all.map((r) => leafHash(leafBytesOfRow(r)));
      for (const [i, r] of all.entries())
        await pool.query(
          `UPDATE "${schema}".audit_records SET leaf_hash = $3 WHERE tenant_id = $1 AND leaf_index = $2`,
          [t, r.leaf_index, leaves[i]],
        );
      const {
        rows: [tree],
      } = await pool.query<{ tree_id: number }>(
        `SELECT tree_id FROM "${schema}".merkle_trees WHERE tenant_id = $1`,
        [t],
      );
      const rebuilt = appendLeaves(0, [], leaves);
      await pool.query(`DELETE FROM "${schema}".merkle_nodes WHERE tree_id = $1`, [tree!.tree_id]);
      for (const n of rebuilt.nodes)
        await pool.query(`INSERT INTO "${schema}".merkle_nodes VALUES ($1, $2, $3, $4)`, [
          tree!.tree_id,
          n.level,
          n.index,
          n.hash,
        ]);
      await pool.query(`UPDATE "${schema}".merkle_trees SET frontier = $2 WHERE tree_id = $1`, [
        tree!.tree_id,
        Buffer.concat(rebuilt.frontier),
      ]);
      return tree!.tree_id;
    };
    const treeId = await rewrite();
    // The signed head kept in the database no longer matches; VerifyTrail says so...
    await expect(verify(t)).resolves.toMatchObject({
      ok: false,
      firstBad: { problem: 'TREE_HEAD_MISMATCH', leafIndex: '15' },
    });
    // ...so the administrator deletes the heads too: now the database agrees with itself.
    await pool.query(`DELETE FROM "${schema}".tree_heads WHERE tree_id = $1`, [treeId]);
    await expect(verify(t)).resolves.toMatchObject({ ok: true, treeSize: '21' });
    // But the witness still holds the head of size 16, which the server cannot re-sign or take back.
    const fresh = (await call('IssueTreeHead', {}, caller(t)))['treeHead'] as Obj;
    const proof = await call('GetConsistencyProof', { firstTreeSize: '16', secondTreeSize: '21' }, caller(t));
    expect(
      verifyConsistency(16, 21, Buffer.from(held.root_hash, 'base64'), fresh['rootHash'], proof['proof']),
    ).toBe(false);
    // (The same proof checks against the rewritten prefix: it is the witness that catches the rewrite.)
    expect(verifyConsistency(16, 21, proof['firstRootHash'], fresh['rootHash'], proof['proof'])).toBe(true);
  });

  it('issues heads periodically for logs that grew, and retries a witness that failed', async () => {
    const t = tenant('periodic');
    await ingest(t, 4);
    const key = resolveTreeHeadKey({ AUDIT_TREE_HEAD_KEY_FILE: keyFile });
    const heads = new TreeHeads(pool, schema, key, new Map([[t, witness.url]]), new Logger('test'));
    witness.failNext(1);
    await heads.issueDue();
    const status = async () =>
      (
        await pool.query<{ tree_size: string; witness_status: string }>(
          `SELECT h.tree_size, h.witness_status FROM "${schema}".tree_heads h JOIN "${schema}".merkle_trees t USING (tree_id) WHERE t.tenant_id = $1`,
          [t],
        )
      ).rows;
    await expect(status()).resolves.toEqual([{ tree_size: '4', witness_status: 'FAILED' }]);
    await heads.issueDue(); // nothing grew: no new head, but the failed delivery is retried
    await expect(status()).resolves.toEqual([{ tree_size: '4', witness_status: 'ACCEPTED' }]);
    expect(
      witness.received.filter((w) => w.log_id === `tagguard/audit/${t}`).map((w) => w.tree_size),
    ).toEqual([4]);
    expect(readFileSync(keyFile, 'utf8')).toContain('PRIVATE KEY');
  });
});
