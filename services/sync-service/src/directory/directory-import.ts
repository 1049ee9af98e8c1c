import { openEventStore } from '@tagguard/event-store';
import { PostgresCheckpointStore } from '@tagguard/messaging';
import type { SyncServiceConfig } from '../config/sync-service.config';
import { DirectoryCommands } from './commands/directory-commands';
import { DirectoryWriter } from './commands/directory-writer';
import { WriteSnapshots } from './commands/write-snapshots';
import type { DirectorySnapshot } from './domain/directory.model';
import { DirectoryViewProjection } from './projections/directory-view/directory-view.projection';
import { openReadModel } from './projections/directory-view/read-model';
import { DirectoryReconciler } from './reconcile/directory-ingest';
import type { ReconcileReport } from './sources/directory-source.port';

export interface DirectoryImport {
  /** Reconciles `snapshot` into the tenant's directory through the write path (what a full pull does). */
  importSnapshot(tenantId: string, snapshot: DirectorySnapshot): Promise<ReconcileReport>;
  /** Resolves once the mirror (read model) shows every write of this import. */
  settled(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The directory's ingest without the gRPC server, for a benchmark or a one-off load: the same write
 * path, projection and reconcile the service runs (no relay, no lease: run it on a schema alone).
 */
export async function openDirectoryImport(
  config: Pick<
    SyncServiceConfig,
    'eventStoreUrl' | 'eventStoreSchema' | 'databaseUrl' | 'databaseSchema' | 'poolSize'
  >,
): Promise<DirectoryImport> {
  const store = await openEventStore({
    url: config.eventStoreUrl,
    schema: config.eventStoreSchema,
    listen: true,
    poolSize: config.poolSize,
  });
  const db = await openReadModel(config.databaseUrl, config.databaseSchema, config.poolSize);
  const projection = new DirectoryViewProjection(
    store,
    db,
    await PostgresCheckpointStore.create(db, config.databaseSchema),
  );
  await projection.start();
  const commands = new DirectoryCommands(
    new DirectoryWriter(store, await WriteSnapshots.create(db, config.databaseSchema)),
  );
  const ingest = new DirectoryReconciler(commands, db, projection);
  return {
    importSnapshot: (tenantId, snapshot) =>
      ingest.reconcile(tenantId, { snapshot, failures: [] }, { source: 'import' }),
    settled: (timeoutMs = 600_000) => commands.writer.settled(projection, timeoutMs),
    async close() {
      await projection.stop();
      await store.close();
      await db.destroy();
    },
  };
}
