import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { TokenVerifier } from '@tagguard/auth';
import { auditV1 } from '@tagguard/contracts';
import { quoteIdent } from '@tagguard/event-store';
import { Pool } from 'pg';
import { Observable } from 'rxjs';
import type { TreeHeadKey } from '../config/tree-head-key';
import { AuditError, authorizeTrailReader } from './audit-access';
import { AuditLogReader, leafBytesOfRow, type StoredRecordRow, type TreeSize } from './audit-log.reader';
import { AUDIT_SCHEMA, TREE_HEAD_KEY } from './audit-trail.tokens';
import { TreeHeads, type IssuedTreeHead } from './tree-heads';
import { leafHash } from './tree/rfc9162';

interface Row {
  seq: string;
  event_id: string;
  event_type: string;
  actor_id: string;
  actor_department_id: string | null;
  subject_id: string;
  correlation_id: string;
  occurred_at: Date;
  recorded_at: Date;
  data: unknown;
  leaf_index: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An int64 request field (a string here): a safe non-negative integer, or INVALID_ARGUMENT naming it. */
function size(value: string | undefined, field: string, min = 0): number {
  const n = Number(value ?? '0');
  if (!Number.isSafeInteger(n) || n < min)
    throw new AuditError('AUDIT.INVALID_ARGUMENT', `must be an integer >= ${min}`, field);
  return n;
}

@Controller()
@auditV1.AuditServiceControllerMethods()
export class AuditGrpcController implements auditV1.AuditServiceController {
  private readonly log: AuditLogReader;

  constructor(
    @Inject(Pool) private readonly pool: Pool,
    @Inject(AUDIT_SCHEMA) private readonly schema: string,
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
    @Inject(TreeHeads) private readonly heads: TreeHeads,
    @Inject(TREE_HEAD_KEY) private readonly key: TreeHeadKey,
  ) {
    this.log = new AuditLogReader(pool, schema);
  }

  async listAuditRecords(
    request: auditV1.ListAuditRecordsRequest,
    metadata?: Metadata,
  ): Promise<auditV1.ListAuditRecordsResponse> {
    const { tenantId } = authorizeTrailReader(metadata, this.verifier);
    const pageSize = request.pageSize === 0 ? 100 : request.pageSize;
    if (pageSize < 1 || pageSize > 500)
      throw new AuditError('AUDIT.INVALID_ARGUMENT', 'must be between 0 and 500', 'page_size');
    const after = request.pageToken ? Number(Buffer.from(request.pageToken, 'base64url').toString()) : 0;
    if (!Number.isSafeInteger(after) || after < 0)
      throw new AuditError(
        'AUDIT.INVALID_ARGUMENT',
        'is not a token returned by ListAuditRecords',
        'page_token',
      );
    const { rows } = await this.pool.query<Row>(
      `SELECT seq, event_id::text, event_type, actor_id, actor_department_id, subject_id, correlation_id, occurred_at, recorded_at, data, leaf_index
       FROM ${quoteIdent(this.schema)}.audit_records
       WHERE tenant_id = $1 AND seq > $2 AND ($3 = '' OR subject_id = $3)
       ORDER BY seq LIMIT $4`,
      [tenantId, after, request.subjectId, pageSize + 1],
    );
    const page = rows.slice(0, pageSize);
    return {
      records: page.map(toRecord),
      nextPageToken:
        rows.length > pageSize ? Buffer.from(page[page.length - 1]!.seq).toString('base64url') : '',
    };
  }

  async getSignedTreeHead(
    request: auditV1.GetSignedTreeHeadRequest,
    metadata?: Metadata,
  ): Promise<auditV1.GetSignedTreeHeadResponse> {
    const { tenantId } = authorizeTrailReader(metadata, this.verifier);
    const treeSize = size(request.treeSize, 'tree_size');
    const head = await this.headOf(tenantId, treeSize === 0 ? undefined : treeSize);
    if (!head)
      throw new AuditError(
        'AUDIT.NOT_FOUND',
        treeSize === 0
          ? 'no tree head has been issued yet (IssueTreeHead)'
          : `no tree head was issued for size ${treeSize}`,
        'tree_size',
      );
    return { treeHead: this.toHead(head) };
  }

  async issueTreeHead(
    _request: auditV1.IssueTreeHeadRequest,
    metadata?: Metadata,
  ): Promise<auditV1.IssueTreeHeadResponse> {
    const { tenantId } = authorizeTrailReader(metadata, this.verifier);
    return { treeHead: this.toHead(await this.heads.issue(tenantId)) };
  }

  async getInclusionProof(
    request: auditV1.GetInclusionProofRequest,
    metadata?: Metadata,
  ): Promise<auditV1.GetInclusionProofResponse> {
    const { tenantId } = authorizeTrailReader(metadata, this.verifier);
    const byLeaf = request.leafIndex !== undefined;
    if (byLeaf === (request.eventId !== ''))
      throw new AuditError(
        'AUDIT.INVALID_ARGUMENT',
        'exactly one of event_id and leaf_index is required',
        'event_id',
      );
    if (!byLeaf && !UUID.test(request.eventId))
      throw new AuditError('AUDIT.INVALID_ARGUMENT', 'must be a UUID', 'event_id');
    const leafIndex = byLeaf ? size(request.leafIndex, 'leaf_index') : undefined;
    const wanted = size(request.treeSize, 'tree_size');
    // One round trip in the usual case (the leaf named, the head's size known): see inclusionBundle.
    const bundle = await this.log.inclusionBundle(
      tenantId,
      byLeaf ? { leafIndex: leafIndex! } : { eventId: request.eventId },
      wanted,
    );
    const { treeSize, head } = this.checkSized(bundle.tree, bundle.head, wanted, 'tree_size');
    const row = bundle.row;
    if (!row || row.leaf_index === null)
      throw new AuditError(
        'AUDIT.NOT_FOUND',
        "no such record in this tenant's trail",
        byLeaf ? 'leaf_index' : 'event_id',
      );
    const index = Number(row.leaf_index);
    if (index >= treeSize)
      throw new AuditError(
        'AUDIT.FAILED_PRECONDITION',
        `the record is leaf ${index}, not in the tree of ${treeSize} (ask for a later tree head)`,
        'tree_size',
      );
    const path = await bundle.proofFor(treeSize);
    const leaf = leafBytesOfRow(row);
    return {
      leafIndex: String(index),
      treeSize: String(treeSize),
      leafHash: leafHash(leaf),
      auditPath: path,
      canonicalRecord: leaf.toString('utf8'),
      record: toRecord({ ...row, seq: '0' }),
      treeHead: head ? this.toHead(head) : undefined,
    };
  }

  async getConsistencyProof(
    request: auditV1.GetConsistencyProofRequest,
    metadata?: Metadata,
  ): Promise<auditV1.GetConsistencyProofResponse> {
    const { tenantId } = authorizeTrailReader(metadata, this.verifier);
    const first = size(request.firstTreeSize, 'first_tree_size', 1);
    const wanted = size(request.secondTreeSize, 'second_tree_size');
    // One round trip in the usual case (the second size named, or the latest head's size known).
    const bundle = await this.log.consistencyBundle(tenantId, first, wanted);
    const { treeSize: second } = this.checkSized(bundle.tree, bundle.head, wanted, 'second_tree_size');
    if (first > second)
      throw new AuditError(
        'AUDIT.INVALID_ARGUMENT',
        `must not exceed the second tree size ${second}`,
        'first_tree_size',
      );
    const { proof, firstRoot, secondRoot } = await bundle.proofFor(second);
    return {
      firstTreeSize: String(first),
      secondTreeSize: String(second),
      proof,
      firstRootHash: firstRoot,
      secondRootHash: secondRoot,
    };
  }

  async verifyTrail(
    _request: auditV1.VerifyTrailRequest,
    metadata?: Metadata,
  ): Promise<auditV1.VerifyTrailResponse> {
    const { tenantId } = authorizeTrailReader(metadata, this.verifier);
    const verdict = await this.log.verify(tenantId, this.key.publicKeyPem);
    return {
      ok: verdict.ok,
      treeSize: String(verdict.treeSize),
      rootHash: verdict.rootHash,
      recordsChecked: String(verdict.recordsChecked),
      treeHeadsChecked: String(verdict.treeHeadsChecked),
      firstBad: verdict.firstBad && { ...verdict.firstBad, leafIndex: String(verdict.firstBad.leafIndex) },
    };
  }

  exportRecords(
    request: auditV1.ExportRecordsRequest,
    metadata?: Metadata,
  ): Observable<auditV1.ExportRecordsResponse> {
    return new Observable((subscriber) => {
      let cancelled = false;
      void (async () => {
        const { tenantId } = authorizeTrailReader(metadata, this.verifier);
        const wanted = size(request.treeSize === '-1' ? '0' : request.treeSize, 'tree_size');
        const to =
          request.treeSize === '-1'
            ? Number.MAX_SAFE_INTEGER
            : (await this.sizedTree(tenantId, String(wanted), 'tree_size')).treeSize;
        for await (const page of this.log.records(tenantId, to)) {
          if (cancelled) return;
          for (const row of page) subscriber.next({ line: leafBytesOfRow(row).toString('utf8') });
        }
        subscriber.complete();
      })().catch((error: unknown) => subscriber.error(error));
      return () => {
        cancelled = true;
      };
    });
  }

  /** The tree and the size a proof is for: `requested`, or 0 for the latest signed head's size. */
  private async sizedTree(
    tenantId: string,
    requested: string,
    field: string,
  ): Promise<{ tree: TreeSize; treeSize: number; head?: IssuedTreeHead }> {
    const wanted = size(requested, field);
    const { tree, head } = await this.log.treeAndHead(tenantId, wanted);
    return this.checkSized(tree, head, wanted, field);
  }

  private checkSized(
    tree: TreeSize | undefined,
    head: IssuedTreeHead | undefined,
    wanted: number,
    field: string,
  ): { tree: TreeSize; treeSize: number; head?: IssuedTreeHead } {
    if (!tree) throw new AuditError('AUDIT.NOT_FOUND', "this tenant's trail is empty", field);
    if (wanted > tree.size)
      throw new AuditError('AUDIT.INVALID_ARGUMENT', `must not exceed the log's size ${tree.size}`, field);
    if (wanted === 0 && !head)
      throw new AuditError(
        'AUDIT.FAILED_PRECONDITION',
        'no tree head has been issued yet (IssueTreeHead), name a size',
        field,
      );
    return { tree, treeSize: wanted === 0 ? head!.treeSize : wanted, ...(head ? { head } : {}) };
  }

  private async headOf(tenantId: string, treeSize?: number): Promise<IssuedTreeHead | undefined> {
    return (await this.log.treeAndHead(tenantId, treeSize ?? 0)).head;
  }

  private toHead(head: IssuedTreeHead): auditV1.SignedTreeHead {
    return {
      logId: head.logId,
      treeSize: String(head.treeSize),
      timestampMs: String(head.timestampMs),
      rootHash: head.rootHash,
      signature: head.signature,
      keyId: head.keyId,
      publicKeyPem: this.key.publicKeyPem,
      witnessStatus: head.witnessStatus,
    };
  }
}

function toRecord(r: Row | (StoredRecordRow & { seq: string })): auditV1.AuditRecord {
  return {
    eventId: r.event_id,
    eventType: r.event_type,
    actorId: r.actor_id,
    actorDepartmentId: r.actor_department_id ?? '',
    subjectId: r.subject_id,
    correlationId: r.correlation_id,
    occurredAt: r.occurred_at.toISOString(),
    recordedAt: r.recorded_at.toISOString(),
    dataJson: JSON.stringify(r.data),
    leafIndex: r.leaf_index ?? '0',
  };
}
