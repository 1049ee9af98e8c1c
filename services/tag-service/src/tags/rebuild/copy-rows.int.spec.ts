import { randomUUID } from 'node:crypto';
import { testInfra } from '@tagguard/testing';
import { Pool } from 'pg';
import { copyField, copyRows, type CopyColumn } from './copy-rows';

describe('bulk loads on real PostgreSQL (COPY)', () => {
  let pool: Pool;
  const schema = `copy_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    pool = new Pool({ connectionString: testInfra().postgresUrl });
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(
      `CREATE TABLE "${schema}".t (id integer, name text, note text, flag boolean, at timestamptz, big bigint, doc jsonb)`,
    );
  });

  afterAll(async () => {
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    await pool.end();
  });

  it('COPY writes every value back as it was: escapes, nulls, booleans, timestamps, bigints and JSON', async () => {
    await pool.query(`TRUNCATE "${schema}".t`);
    const columns: CopyColumn[] = [
      { property: 'id', column: 'id', json: false },
      { property: 'name', column: 'name', json: false },
      { property: 'note', column: 'note', json: false },
      { property: 'flag', column: 'flag', json: false },
      { property: 'at', column: 'at', json: false },
      { property: 'big', column: 'big', json: false },
      { property: 'doc', column: 'doc', json: true },
    ];
    const at = new Date('2026-11-23T08:00:00.123Z');
    const rows = [
      {
        id: 1,
        name: 'VIP客户\t"a"\\b\nc\rd',
        note: '\\N',
        flag: true,
        at,
        big: '9007199254740993',
        doc: { quote: 'say "hi"\\\n', list: [1, 'two'] },
      },
      { id: 2, name: '', note: null, flag: false, at, big: '0', doc: 'just a string' },
      ...Array.from({ length: 4_500 }, (_, i) => ({
        id: 3 + i,
        name: `c${i}`,
        note: 'ok',
        flag: i % 2 === 0,
        at,
        big: String(i),
        doc: { i },
      })),
    ];
    const client = await pool.connect();
    try {
      await copyRows(client, `"${schema}".t`, columns, rows);
    } finally {
      client.release();
    }

    const { rows: back } = await pool.query(
      `SELECT id, name, note, flag, at, big::text AS big, doc FROM "${schema}".t ORDER BY id`,
    );
    expect(back).toHaveLength(rows.length);
    expect(back.slice(0, 2)).toEqual(rows.slice(0, 2));
    expect(back.at(-1)).toEqual(rows.at(-1));
  });

  it('writes a null as \\N and a backslash-N string escaped, so the two stay apart', () => {
    expect(copyField(null, false)).toBe('\\N');
    expect(copyField('\\N', false)).toBe('\\\\N');
  });
});
