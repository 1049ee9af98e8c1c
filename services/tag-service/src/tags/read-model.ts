import { createSchemaIfMissing } from '@tagguard/event-store';
import { DataSource } from 'typeorm';
import { DirectoryObjectView } from './directory-copy/directory-copy.entity';
import { PolicyObjectView } from './policy-copy/policy-copy.entity';
import { CATALOG_VIEW_ENTITIES } from './projections/catalog-view/catalog-view.entities';

/**
 * tag-service's own read-model database (its own schema), through TypeORM. The tables are derived data
 * (a projection rebuild recreates every row), so TypeORM creates and alters them from the entities at
 * start; an advisory lock keeps two starting instances from racing on the DDL.
 */
export async function openReadModel(url: string, schema: string, poolSize = 10): Promise<DataSource> {
  const db = new DataSource({
    type: 'postgres',
    url,
    schema,
    // The directory and policy copies are not derived from tag-service's events: a rebuild leaves them.
    entities: [...CATALOG_VIEW_ENTITIES, DirectoryObjectView, PolicyObjectView],
    synchronize: false,
    extra: { max: poolSize },
  });
  await db.initialize();
  const runner = db.createQueryRunner();
  try {
    await runner.connect();
    await runner.query(`SELECT pg_advisory_lock(hashtext($1))`, [`tag-service.read-model.${schema}`]);
    await createSchemaIfMissing(runner, schema);
    await db.synchronize();
    await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`tag-service.read-model.${schema}`]);
  } finally {
    await runner.release();
  }
  return db;
}
