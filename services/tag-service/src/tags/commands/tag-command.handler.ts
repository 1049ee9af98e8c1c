import { randomUUID } from 'node:crypto';
import type { Principal } from '@tagguard/auth';
import {
  positionToToken,
  StreamNotFoundError,
  type EventStore,
  type RecordedEvent,
} from '@tagguard/event-store';
import { decide, type TagCommand } from '../domain/tag.decider';
import { TAG_EVENT_SCHEMA_VERSION, type TagEvent } from '../domain/tag.events';
import { evolve, initialTagState, type TagState } from '../domain/tag.state';
import { deterministicEventId, tagStream } from '../tag-stream';

export interface WriteResult {
  tagId: string;
  revision: bigint;
  consistencyToken: string;
}

export interface CommandContext {
  principal: Principal;
  correlationId?: string;
  traceparent?: string;
  tracestate?: string;
}

/** Load → decide → append with the revision it was decided on; the edge for every tag command. */
export class TagCommandHandler {
  constructor(private readonly store: EventStore) {}

  async handle(
    command: TagCommand,
    context: CommandContext,
    expectedRevision?: bigint,
  ): Promise<WriteResult> {
    const { tenantId } = context.principal;
    const tagId = command.data.tagId;
    const stream = tagStream(tenantId, tagId);
    const { state, revision, history } = await this.load(stream);

    // A retried create of the same tag with the same content answers like the first one did.
    if (command.type === 'CreateTag' && state.status !== 'absent' && history[0]) {
      const first = history[0].data as { name: string; kind: string };
      if (first.name === command.data.name.normalize('NFC').trim() && first.kind === command.data.kind) {
        return {
          tagId,
          revision: history[0].revision,
          consistencyToken: positionToToken(history[0].position),
        };
      }
    }

    const events = decide(
      command.type === 'CreateTag' ? { ...command, data: { ...command.data, tenantId } } : command,
      state,
    );
    const current = revision ?? -1n;
    const base = expectedRevision ?? current;
    if (events.length === 0) {
      return {
        tagId,
        revision: current,
        consistencyToken: positionToToken(history[history.length - 1]!.position),
      };
    }
    const occurredAt = new Date().toISOString();
    const correlationId = context.correlationId ?? randomUUID();
    const result = await this.store.append(
      stream,
      events.map((event: TagEvent, i) => ({
        // The command's content is part of the id: two different commands on one revision must conflict,
        // never pass for a retry of each other.
        id: deterministicEventId(
          tenantId,
          tagId,
          command.type,
          JSON.stringify(command.data),
          String(base),
          String(i),
        ),
        type: event.type,
        schemaVersion: TAG_EVENT_SCHEMA_VERSION,
        data: event.data,
        metadata: {
          tenantId,
          actorId: context.principal.actorId,
          correlationId,
          occurredAt,
          ...(context.traceparent ? { traceparent: context.traceparent } : {}),
          ...(context.tracestate ? { tracestate: context.tracestate } : {}),
        },
      })),
      revision === undefined ? 'no_stream' : base,
    );
    return { tagId, revision: result.nextRevision, consistencyToken: positionToToken(result.position) };
  }

  private async load(
    stream: string,
  ): Promise<{ state: TagState; revision?: bigint; history: RecordedEvent[] }> {
    try {
      const history = await this.store.readStream(stream);
      const state = history.reduce(
        (s, e) => evolve(s, { type: e.type, data: e.data } as TagEvent),
        initialTagState,
      );
      return { state, revision: history[history.length - 1]?.revision, history };
    } catch (error) {
      if (error instanceof StreamNotFoundError) return { state: initialTagState, history: [] };
      throw error;
    }
  }
}
