import { PostgresEventStore } from '@tagguard/event-store';
import { PostgresCheckpointStore } from '@tagguard/messaging';
import { testInfra } from '@tagguard/testing';
import type { DataSource } from 'typeorm';
import { TagCommands } from '../tags/commands/tag-commands';
import { CatalogViewProjection } from '../tags/projections/catalog-view/catalog-view.projection';
import { openReadModel } from '../tags/read-model';

export interface WriteSide {
  store: PostgresEventStore;
  db: DataSource;
  checkpoints: PostgresCheckpointStore;
  projection: CatalogViewProjection;
  commands: TagCommands;
  close(): Promise<void>;
}

/**
 * tag-service's write side and running catalog projection in the test's own process, on the shared
 * PostgreSQL (event store in `<schema>_es`, read model in `<schema>`), with the clock the test moves.
 */
export async function openWriteSide(schema: string, clock: () => Date): Promise<WriteSide> {
  const store = await PostgresEventStore.connect({
    connectionString: testInfra().postgresUrl,
    schema: `${schema}_es`,
  });
  const db = await openReadModel(testInfra().postgresUrl, schema);
  const checkpoints = await PostgresCheckpointStore.create(db, schema);
  const projection = new CatalogViewProjection(store, db, checkpoints);
  await projection.start();
  return {
    store,
    db,
    checkpoints,
    projection,
    commands: new TagCommands(store, clock),
    async close() {
      await projection.stop();
      await store.close();
      await db.destroy();
    },
  };
}
