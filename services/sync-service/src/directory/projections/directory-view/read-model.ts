import { createSchemaIfMissing } from '@tagguard/event-store';
import { DataSource } from 'typeorm';
import { DIRECTORY_VIEW_ENTITIES } from './directory-view.entities';

/**
 * sync-service's own read-model database (its own schema), through TypeORM. The tables are derived data
 * (a replay recreates every row), so TypeORM creates them from the entities at start, under an advisory
 * lock so that two starting instances do not race on the DDL.
 */
export async function openReadModel(url: string, schema: string, poolSize = 10): Promise<DataSource> {
  const db = new DataSource({
    type: 'postgres',
    url,
    schema,
    entities: DIRECTORY_VIEW_ENTITIES,
    synchronize: false,
    extra: { max: poolSize },
  });
  await db.initialize();
  const runner = db.createQueryRunner();
  const lock = `sync-service.read-model.${schema}`;
  try {
    await runner.connect();
    await runner.query(`SELECT pg_advisory_lock(hashtext($1))`, [lock]);
    await createSchemaIfMissing(runner, schema);
    await db.synchronize();
    await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [lock]);
  } finally {
    await runner.release();
  }
  return db;
}
