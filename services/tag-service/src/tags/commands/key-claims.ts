import { createHash } from 'node:crypto';
import { StreamNotFoundError, streamName, type EventStore, type RecordedEvent } from '@tagguard/event-store';
import { TagError } from '../domain/tag.errors';
import { derivedId } from '../streams';
import { IDEMPOTENCY_WINDOW_MS, SCHEMA_VERSION, type CommandContext } from './event-writer';

/** Not a tag-service category the projection or the relay reads: claims are the write side's own. */
export const KEY_CATEGORY = 'tagRequestKey';

export interface KeyClaim {
  stream: string;
  requestHash: string;
  /** Which use of the key this is: a key used again after the window is a new generation (new ids). */
  generation: string;
  /** Already recorded for this request (a retry); otherwise committed before the first append. */
  claimed: boolean;
  revision?: bigint;
  /** The answer of a request that changed nothing, kept on the claim (there is no event to carry it). */
  result?: unknown;
}

interface Claimed {
  requestHash: string;
  result?: unknown;
}

/**
 * A caller's idempotency key is bound tenant-wide to the first request that used it: one small stream
 * per key holds the request's hash. Answers stay in the metadata of the events they describe (D19);
 * the claim is what refuses the same key on another tag, another RPC or another moment.
 */
export class KeyClaims {
  constructor(private readonly store: EventStore) {}

  async inspect(context: CommandContext, requestHash: string, now: Date): Promise<KeyClaim> {
    const key = context.idempotencyKey!;
    const stream = streamName(
      KEY_CATEGORY,
      `${context.principal.tenantId}.${createHash('sha256').update(key).digest('hex').slice(0, 40)}`,
    );
    const last = await this.last(stream);
    const live = last && now.getTime() - last.recordedAt.getTime() < IDEMPOTENCY_WINDOW_MS;
    if (!last || !live)
      return {
        stream,
        requestHash,
        generation: last ? String(last.revision + 1n) : '0',
        claimed: false,
        ...(last ? { revision: last.revision } : {}),
      };
    const data = last.data as Claimed;
    if (data.requestHash !== requestHash)
      throw new TagError(
        'TAG.INVALID_ARGUMENT',
        'was already used for a different request (another scope, moment, tag or option)',
        'idempotency_key',
      );
    return {
      stream,
      requestHash,
      generation: String(last.revision),
      claimed: true,
      revision: last.revision,
      ...(data.result !== undefined ? { result: data.result } : {}),
    };
  }

  /** Records the claim; a concurrent claim of the same key makes this a version conflict (decided again). */
  async commit(claim: KeyClaim, context: CommandContext, now: Date, result?: unknown): Promise<void> {
    await this.store.append(
      claim.stream,
      [
        {
          id: derivedId('claim', claim.stream, claim.generation, claim.requestHash),
          type: 'RequestKeyClaimed',
          schemaVersion: SCHEMA_VERSION,
          data: { requestHash: claim.requestHash, ...(result !== undefined ? { result } : {}) },
          metadata: {
            tenantId: context.principal.tenantId,
            actorId: context.principal.actorId,
            correlationId: context.correlationId ?? claim.generation,
            occurredAt: now.toISOString(),
          },
        },
      ],
      claim.revision === undefined ? 'no_stream' : claim.revision,
    );
  }

  private async last(stream: string): Promise<RecordedEvent | undefined> {
    try {
      return (await this.store.readStream(stream, { direction: 'backwards', maxCount: 1 }))[0];
    } catch (error) {
      if (error instanceof StreamNotFoundError) return undefined;
      throw error;
    }
  }
}
