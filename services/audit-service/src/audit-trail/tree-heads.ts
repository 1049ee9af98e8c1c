import type { LoggerService } from '@nestjs/common';
import type { Pool } from 'pg';
import { quoteIdent } from '@tagguard/event-store';
import type { TreeHeadKey } from '../config/tree-head-key';
import { splitFrontier } from './audit-records.table';
import { rootOfFrontier } from './tree/rfc9162';
import { logIdOf, signTreeHead, type SignedTreeHead } from './tree/tree-head';

export type WitnessStatus = 'NOT_CONFIGURED' | 'PENDING' | 'ACCEPTED' | 'FAILED';

export interface IssuedTreeHead extends SignedTreeHead {
  keyId: string;
  witnessStatus: WitnessStatus | string;
}

/** What a witness receives (POST, JSON): the head and everything needed to check it offline. */
export function witnessBody(head: IssuedTreeHead, publicKeyPem: string) {
  return {
    log_id: head.logId,
    tree_size: head.treeSize,
    timestamp_ms: head.timestampMs,
    root_hash: head.rootHash.toString('base64'),
    signature: head.signature.toString('base64'),
    key_id: head.keyId,
    public_key_pem: publicKeyPem,
  };
}

/**
 * Signs tree heads — on demand and every interval for each log that grew — and sends each to the
 * tenant's witness (the HQ audit endpoint): a head the witness holds is one a database administrator
 * cannot take back, so a later rewrite of rows and hashes fails the consistency proof against it.
 */
export class TreeHeads {
  private readonly s: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: Pool,
    schema: string,
    private readonly key: TreeHeadKey,
    private readonly witnesses: Map<string, string>,
    private readonly logger: LoggerService,
    private readonly now: () => number = Date.now,
  ) {
    this.s = quoteIdent(schema);
  }

  witnessOf(tenantId: string): string | undefined {
    return this.witnesses.get(tenantId) ?? this.witnesses.get('*');
  }

  /** Signs the tenant's log as it is now, stores the head, and hands it to the witness. */
  async issue(tenantId: string): Promise<IssuedTreeHead> {
    const {
      rows: [tree],
    } = await this.pool.query<{ tree_id: number; size: string; frontier: Buffer }>(
      `INSERT INTO ${this.s}.merkle_trees (tenant_id) VALUES ($1)
       ON CONFLICT (tenant_id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id RETURNING tree_id, size, frontier`,
      [tenantId],
    );
    const signed = signTreeHead(
      {
        logId: logIdOf(tenantId),
        timestampMs: this.now(),
        treeSize: Number(tree!.size),
        rootHash: rootOfFrontier(splitFrontier(tree!.frontier)),
      },
      this.key.privateKey,
    );
    const witness = this.witnessOf(tenantId);
    const head: IssuedTreeHead = {
      ...signed,
      keyId: this.key.keyId,
      witnessStatus: witness ? 'PENDING' : 'NOT_CONFIGURED',
    };
    await this.pool.query(
      `INSERT INTO ${this.s}.tree_heads (tree_id, tree_size, timestamp_ms, root_hash, signature, key_id, witness_status)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [
        tree!.tree_id,
        head.treeSize,
        head.timestampMs,
        head.rootHash,
        head.signature,
        head.keyId,
        head.witnessStatus,
      ],
    );
    if (witness) head.witnessStatus = await this.sendToWitness(tree!.tree_id, head, witness);
    return head;
  }

  private async sendToWitness(treeId: number, head: IssuedTreeHead, url: string): Promise<WitnessStatus> {
    let status: WitnessStatus;
    let detail = '';
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(witnessBody(head, this.key.publicKeyPem)),
        signal: AbortSignal.timeout(5_000),
      });
      status = response.ok ? 'ACCEPTED' : 'FAILED';
      if (!response.ok) detail = `HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`;
    } catch (error) {
      status = 'FAILED';
      detail = (error as Error).message;
    }
    if (status === 'FAILED')
      this.logger.warn(
        `the witness ${url} did not take the tree head of ${head.logId} at ${head.treeSize}: ${detail}`,
      );
    await this.pool.query(
      `UPDATE ${this.s}.tree_heads SET witness_status = $4, witness_detail = $5
       WHERE tree_id = $1 AND tree_size = $2 AND timestamp_ms = $3`,
      [treeId, head.treeSize, head.timestampMs, status, detail],
    );
    return status;
  }

  /** One head for every log that grew since its last head; a failed witness delivery is retried. */
  async issueDue(): Promise<number> {
    const { rows } = await this.pool.query<{ tenant_id: string; grew: boolean; tree_id: number }>(
      `SELECT t.tenant_id, t.tree_id, t.size > coalesce(max(h.tree_size), -1) AS grew
       FROM ${this.s}.merkle_trees t LEFT JOIN ${this.s}.tree_heads h USING (tree_id)
       GROUP BY t.tree_id, t.tenant_id, t.size`,
    );
    let issued = 0;
    for (const row of rows) {
      if (row.grew) {
        await this.issue(row.tenant_id);
        issued += 1;
        continue;
      }
      const witness = this.witnessOf(row.tenant_id);
      if (!witness) continue;
      const { rows: failed } = await this.pool.query<{
        tree_size: string;
        timestamp_ms: string;
        root_hash: Buffer;
        signature: Buffer;
        key_id: string;
      }>(
        `SELECT tree_size, timestamp_ms, root_hash, signature, key_id FROM ${this.s}.tree_heads
         WHERE tree_id = $1 AND witness_status IN ('FAILED', 'PENDING') ORDER BY tree_size DESC, timestamp_ms DESC LIMIT 1`,
        [row.tree_id],
      );
      const f = failed[0];
      if (f)
        await this.sendToWitness(
          row.tree_id,
          {
            logId: logIdOf(row.tenant_id),
            treeSize: Number(f.tree_size),
            timestampMs: Number(f.timestamp_ms),
            rootHash: f.root_hash,
            signature: f.signature,
            keyId: f.key_id,
            witnessStatus: 'PENDING',
          },
          witness,
        );
    }
    return issued;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.running = this.running
        .then(() => this.issueDue())
        .then(
          () => undefined,
          (error: unknown) => this.logger.warn(`periodic tree heads failed: ${(error as Error).message}`),
        );
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
