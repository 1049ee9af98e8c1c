import { randomUUID } from 'node:crypto';
import type { EventStore } from '@tagguard/event-store';
import type { CommandContext } from '../commands/event-writer';
import { SCHEMA_VERSION } from '../commands/event-writer';
import { rebuildStream } from '../streams';
import type { RebuildProgress } from './read-model-rebuilder';

/** A rebuild that ran to its end (its last phase), written so the audit trail holds who rebuilt and how. */
export type ReadModelsRebuiltEvent = {
  type: 'ReadModelsRebuilt';
  data: {
    rebuildId: string;
    verifyOnly: boolean;
    acceptDifferences: boolean;
    /** The last phase: swapped, kept_live, cancelled or failed. */
    outcome: string;
    /** Tables whose rebuilt rows differed from the live ones. */
    differences: number;
  };
};

export async function recordRebuild(
  store: EventStore,
  context: CommandContext,
  options: { verifyOnly: boolean; acceptDifferences: boolean },
  last: RebuildProgress,
): Promise<void> {
  const rebuildId = randomUUID();
  const event: ReadModelsRebuiltEvent = {
    type: 'ReadModelsRebuilt',
    data: {
      rebuildId,
      ...options,
      outcome: last.phase,
      differences: last.checks.filter((c) => !c.equal).length,
    },
  };
  const { principal } = context;
  await store.append(
    rebuildStream(principal.tenantId, rebuildId),
    [
      {
        id: rebuildId,
        type: event.type,
        schemaVersion: SCHEMA_VERSION,
        data: event.data,
        metadata: {
          tenantId: principal.tenantId,
          actorId: principal.actorId,
          correlationId: context.correlationId ?? rebuildId,
          occurredAt: new Date().toISOString(),
          ...(context.traceparent ? { traceparent: context.traceparent } : {}),
        },
      },
    ],
    'no_stream',
  );
}
