import { createSchemaIfMissing, quoteIdent } from '@tagguard/event-store';
import { DataSource } from 'typeorm';
import { COPY_SEQUENCE, DirectoryCopyRow, TagCopyRow } from '../../copies/copy.entities';
import { PolicyObjectView } from './policy-view.entities';

/**
 * permission-service's own database schema, through TypeORM: the policy read model and the local copies.
 * TypeORM creates the tables from the entities at start, under an advisory lock so that two starting
 * instances do not race on the DDL.
 */
export async function openReadModel(url: string, schema: string, poolSize = 10): Promise<DataSource> {
  const db = new DataSource({
    type: 'postgres',
    url,
    schema,
    entities: [PolicyObjectView, DirectoryCopyRow, TagCopyRow],
    synchronize: false,
    extra: { max: poolSize },
  });
  await db.initialize();
  const runner = db.createQueryRunner();
  const lock = `permission-service.read-model.${schema}`;
  try {
    await runner.connect();
    await runner.query(`SELECT pg_advisory_lock(hashtext($1))`, [lock]);
    await createSchemaIfMissing(runner, schema);
    await runner.query(`CREATE SEQUENCE IF NOT EXISTS ${quoteIdent(schema)}.${quoteIdent(COPY_SEQUENCE)}`);
    await db.synchronize();
    await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [lock]);
  } finally {
    await runner.release();
  }
  return db;
}
