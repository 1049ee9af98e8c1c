import { quoteIdent } from '@tagguard/event-store';
import { DataSource } from 'typeorm';
import { TagView } from './projections/tag-view/tag-view.entity';

/** tag-service's own read-model database (its own schema), through TypeORM. */
export async function openReadModel(url: string, schema: string): Promise<DataSource> {
  const bootstrap = new DataSource({ type: 'postgres', url });
  await bootstrap.initialize();
  await bootstrap.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  await bootstrap.destroy();
  const db = new DataSource({ type: 'postgres', url, schema, entities: [TagView], synchronize: false });
  await db.initialize();
  await db.query(`CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.tag_view (
    tenant_id text NOT NULL, tag_id text NOT NULL, name text NOT NULL, kind text NOT NULL, revision bigint NOT NULL,
    deleted boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, tag_id))`);
  return db;
}
