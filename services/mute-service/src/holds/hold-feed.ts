import type { EventStore, GlobalPosition, Subscription } from '@tagguard/event-store';
import type { ComponentHandle } from '@tagguard/telemetry';
import type { Pool } from 'pg';
import type { RecordedDecision } from '../messages/domain/message.decider';
import { DIGEST_CATEGORY, MESSAGE_CATEGORY } from '../streams';
import type { DigestReleasedData } from './domain/digest-stream.decider';
import { createTables, inTransaction, table } from '../timers/sql';
import type { HoldStore } from './hold-store';

/**
 * Feeds the hold store from mute-service's event store, checkpointed in the transaction of its writes:
 * a HOLD (MessageDecided) becomes a held row, its release (HeldMessageReleased) marks it released, a digest
 * (DigestReleased, muteDigest-*) becomes a digest row, so both tables are projections (D110). The unmute
 * reports' lines are the unmute feed's (UnmuteStore). Fed from the store, not from the decision call, so a crash between
 * the decision's append and its hold cannot lose the hold. Writes are idempotent: instances may all run it.
 */
export class HoldFeed {
  private subscription?: Subscription;
  private readonly checkpoints: string;

  private constructor(
    private readonly pool: Pool,
    schema: string,
    private readonly store: EventStore,
    private readonly holds: HoldStore,
    private readonly component?: ComponentHandle,
  ) {
    this.checkpoints = table(schema, 'mute_flow_checkpoints');
  }

  static async create(
    pool: Pool,
    schema: string,
    store: EventStore,
    holds: HoldStore,
    component?: ComponentHandle,
  ): Promise<HoldFeed> {
    await createTables(pool, schema, 'mute-flow-checkpoints', [
      `CREATE TABLE IF NOT EXISTS ${table(schema, 'mute_flow_checkpoints')} (
        name text PRIMARY KEY, commit_pos numeric NOT NULL, prepare_pos numeric NOT NULL)`,
    ]);
    return new HoldFeed(pool, schema, store, holds, component);
  }

  async start(): Promise<void> {
    const { rows } = await this.pool.query<{ commit_pos: string; prepare_pos: string }>(
      `SELECT commit_pos::text, prepare_pos::text FROM ${this.checkpoints} WHERE name = 'hold-feed'`,
    );
    const after: GlobalPosition | undefined = rows[0]
      ? { commit: BigInt(rows[0].commit_pos), prepare: BigInt(rows[0].prepare_pos) }
      : undefined;
    this.component?.set('starting');
    await new Promise<void>((resolve, reject) => {
      this.subscription = this.store.subscribe({
        ...(after ? { after } : {}),
        filter: {
          categories: [MESSAGE_CATEGORY, DIGEST_CATEGORY],
          eventTypes: ['MessageDecided', 'HeldMessageReleased', 'DigestReleased'],
        },
        batchSize: 500,
        onEvents: async (events) => {
          await inTransaction(this.pool, async (tx) => {
            for (const e of events) {
              if (e.type === 'DigestReleased') {
                await this.holds.recordDigest(tx, e.data as DigestReleasedData);
                continue;
              }
              if (e.type === 'HeldMessageReleased') {
                const r = e.data as { messageId: string; releaseId: string };
                await this.holds.markReleased(tx, e.metadata.tenantId, r.messageId, r.releaseId);
                continue;
              }
              const d = e.data as RecordedDecision;
              const m = d.message;
              if (d.outcome === 'HOLD' && d.releaseAt !== null)
                await this.holds.hold(tx, {
                  tenantId: m.tenantId,
                  messageId: m.messageId,
                  recipientId: m.recipientId,
                  releaseAt: d.releaseAt,
                  sentAt: m.sentAt,
                  message: m as unknown as Record<string, unknown>,
                  reason: d.winner.why,
                  throttleKeys: d.throttles.map((t) => t.key),
                });
            }
            const last = events[events.length - 1]!.position;
            await tx.query(
              `INSERT INTO ${this.checkpoints} (name, commit_pos, prepare_pos) VALUES ('hold-feed', $1, $2)
               ON CONFLICT (name) DO UPDATE SET commit_pos = $1, prepare_pos = $2
                 WHERE (${this.checkpoints}.commit_pos, ${this.checkpoints}.prepare_pos) < ($1::numeric, $2::numeric)`,
              [last.commit.toString(), last.prepare.toString()],
            );
          });
        },
        onCaughtUp: () => {
          this.component?.set('running');
          resolve();
        },
        onError: (error) => {
          this.component?.set('failed', error);
          reject(error as Error);
        },
        onRetry: (error, attempt, delayMs) => this.component?.retrying(error, attempt, delayMs),
        onRecovered: () => this.component?.set('running'),
      });
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.component?.set('stopped');
  }
}
