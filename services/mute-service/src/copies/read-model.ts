import { createSchemaIfMissing, quoteIdent } from '@tagguard/event-store';
import { DataSource } from 'typeorm';
import { COPY_SEQUENCE, DirectoryCopyRow, TagCopyRow, TagMemberCopyRow } from './copy.entities';

/**
 * mute-service's own database schema, through TypeORM: the local copies. TypeORM creates the tables from
 * the entities at start, under an advisory lock so that two starting instances do not race on the DDL.
 */
export async function openReadModel(url: string, schema: string, poolSize = 10): Promise<DataSource> {
  const db = new DataSource({
    type: 'postgres',
    url,
    schema,
    entities: [DirectoryCopyRow, TagCopyRow, TagMemberCopyRow],
    synchronize: false,
    extra: { max: poolSize },
  });
  await db.initialize();
  const runner = db.createQueryRunner();
  const lock = `mute-service.read-model.${schema}`;
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
