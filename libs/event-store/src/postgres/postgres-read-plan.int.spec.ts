import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { testInfra } from '@tagguard/testing';
import { PostgresEventStore, readAllSql } from './postgres-event-store';

interface PlanNode {
  'Node Type': string;
  Plans?: PlanNode[];
}
const nodeTypes = (node: PlanNode): string[] => [node['Node Type'], ...(node.Plans ?? []).flatMap(nodeTypes)];

describe('PostgresEventStore reads after a bulk import', () => {
  const schema = `es_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const s = `"${schema}"`;
  let sql: Client;
  const stores: PostgresEventStore[] = [];
  beforeAll(async () => {
    sql = new Client({ connectionString: testInfra().postgresUrl });
    await sql.connect();
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await sql.end();
  });

  it('reads a category in index order, not by scanning and sorting the whole category', async () => {
    stores.push(
      await PostgresEventStore.connect({ connectionString: testInfra().postgresUrl, schema, listen: false }),
    );
    // Imported in one statement, as a migration or a benchmark's seeding would, with autoanalyze held off.
    await sql.query(`ALTER TABLE ${s}.events SET (autovacuum_enabled = false)`);
    await sql.query(`INSERT INTO ${s}.events (event_id, stream_id, category, stream_revision, event_type, schema_version, data, metadata)
      SELECT gen_random_uuid(), c || '-' || (g % 500), c, g / 500, 'Imported', 1, '{}', '{}'
      FROM generate_series(0, 59999) g, LATERAL (SELECT CASE WHEN g % 10 = 0 THEN 'tags' ELSE 'members' END AS c) x`);
    const stats = () =>
      sql.query<{ reltuples: number }>(`SELECT reltuples FROM pg_class WHERE oid = '${s}.events'::regclass`);
    expect((await stats()).rows[0]!.reltuples).toBeLessThan(0); // no statistics yet

    // A service starts on the imported store and catches up on one category.
    const store = await PostgresEventStore.connect({
      connectionString: testInfra().postgresUrl,
      schema,
      listen: false,
    });
    stores.push(store);

    const { text, values } = readAllSql(s, { filter: { categories: ['members'] }, maxCount: 500 });
    const { rows } = await sql.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `EXPLAIN (FORMAT JSON) ${text}`,
      values,
    );
    const plan = nodeTypes(rows[0]!['QUERY PLAN'][0].Plan);
    expect(plan).not.toContain('Sort');
    expect(plan).not.toContain('Bitmap Heap Scan');
    const batch = await store.readAll({ filter: { categories: ['members'] }, maxCount: 500 });
    expect(batch).toHaveLength(500);
    expect(batch.every((e) => e.streamId.startsWith('members-'))).toBe(true);
  });
});
