import { PostgresEventStore } from '@tagguard/event-store';
import { PostgresCheckpointStore } from '@tagguard/messaging';
import { testInfra } from '@tagguard/testing';
import type { DataSource } from 'typeorm';
import { DirectoryCommands } from '../commands/directory-commands';
import { DirectoryWriter } from '../commands/directory-writer';
import { WriteSnapshots } from '../commands/write-snapshots';
import { DirectoryViewProjection } from '../projections/directory-view/directory-view.projection';
import { openReadModel } from '../projections/directory-view/read-model';
import { DirectoryReconciler } from '../reconcile/directory-ingest';

export interface DirectoryWriteSide {
  store: PostgresEventStore;
  db: DataSource;
  projection: DirectoryViewProjection;
  commands: DirectoryCommands;
  ingest: DirectoryReconciler;
  close(): Promise<void>;
}

/** The directory's write side, projection and ingest in the test's process, on the shared PostgreSQL. */
export async function openDirectoryWriteSide(
  schema: string,
  startProjection = true,
): Promise<DirectoryWriteSide> {
  const store = await PostgresEventStore.connect({
    connectionString: testInfra().postgresUrl,
    schema: `${schema}_es`,
  });
  const db = await openReadModel(testInfra().postgresUrl, schema);
  const checkpoints = await PostgresCheckpointStore.create(db, schema);
  const projection = new DirectoryViewProjection(store, db, checkpoints);
  if (startProjection) await projection.start();
  const commands = new DirectoryCommands(new DirectoryWriter(store, await WriteSnapshots.create(db, schema)));
  return {
    store,
    db,
    projection,
    commands,
    ingest: new DirectoryReconciler(commands, db, projection),
    async close() {
      await projection.stop();
      await store.close();
      await db.destroy();
    },
  };
}
