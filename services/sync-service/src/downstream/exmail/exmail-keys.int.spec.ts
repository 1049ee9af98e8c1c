import { randomUUID } from 'node:crypto';
import { testInfra } from '@tagguard/testing';
import { Pool } from 'pg';
import { PostgresExmailKeyStore } from './exmail-keys';

let pool: Pool;
beforeAll(() => {
  pool = new Pool({ connectionString: testInfra().postgresUrl, max: 2 });
});
afterAll(() => pool.end());

describe('PostgresExmailKeyStore (PostgreSQL)', () => {
  it('given marks of several tags, when listed by one prefix, then only the keys that start with it, in key order', async () => {
    const keys = new PostgresExmailKeyStore(pool, `test-${randomUUID()}`);
    // A prefix LIKE would read as a pattern ('_', '%'), and neighbours that share its first characters.
    for (const key of ['t_1|u1/wm1', 't_1|u2/wm2', 'tx1|u1/wm1', 't_10|u1/wm1', 't%|u1/wm1', 't_1|b|u3/wm3'])
      await keys.put('account', key, key.slice(key.lastIndexOf('|') + 1));
    await keys.put('group', 't_1|', 'not an account');
    expect((await keys.list('account', 't_1|')).map((r) => r.key)).toEqual([
      't_1|b|u3/wm3',
      't_1|u1/wm1',
      't_1|u2/wm2',
    ]);
    expect((await keys.list('account', 't%|')).map((r) => r.key)).toEqual(['t%|u1/wm1']);
    expect(await keys.list('account')).toHaveLength(6);
    expect(await keys.list('account', 'nothing|')).toEqual([]);
  });

  it('given a table whose keys sort in a language collation (a default install), then a prefix read is still an index range, not a scan', async () => {
    const table = `keys_icu_${randomUUID().slice(0, 8)}`;
    await pool.query(
      `CREATE TABLE ${table} (namespace text NOT NULL, kind text NOT NULL, key text COLLATE "en-x-icu" NOT NULL,
         address text NOT NULL, PRIMARY KEY (namespace, kind, key))`,
    );
    try {
      const keys = new PostgresExmailKeyStore(pool, 'n', table);
      await pool.query(
        `INSERT INTO ${table} SELECT 'n', 'account', 't' || (i % 500) || '|u' || i, 'a' FROM generate_series(1, 20000) i`,
      );
      await pool.query(`ANALYZE ${table}`);
      expect(await keys.list('account', 't7|')).toHaveLength(40);
      const { rows } = await pool.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT key FROM ${table} WHERE namespace = 'n' AND kind = 'account' AND starts_with(key, 't7|')`,
      );
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toContain(`${table}_prefix`);
      expect(plan).toMatch(/Index Cond: .*key.* >= 't7\|'/);
    } finally {
      await pool.query(`DROP TABLE ${table}`);
    }
  });
});
