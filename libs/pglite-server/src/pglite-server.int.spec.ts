import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { startPgliteServer, type PgliteServer } from './pglite-server';

describe('startPgliteServer', () => {
  let server: PgliteServer;
  beforeAll(async () => {
    server = await startPgliteServer();
  }, 60_000);
  afterAll(() => server.stop());

  it('answers simple and parameterised queries over the wire', async () => {
    const pool = new Pool({ connectionString: server.url, max: 4 });
    try {
      expect((await pool.query('select 1 as x')).rows).toEqual([{ x: 1 }]);
      expect((await pool.query('select $1::int as y', [5])).rows).toEqual([{ y: 5 }]);
    } finally {
      await pool.end();
    }
  });

  it('refuses COPY FROM STDIN with a clear error and keeps serving (inside a transaction too)', async () => {
    const pool = new Pool({ connectionString: server.url, max: 2 });
    try {
      await pool.query('CREATE TABLE copy_target (x int)');
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await expect(
          pipeline(Readable.from(['1\n2\n']), client.query(copyFrom('COPY copy_target FROM STDIN'))),
        ).rejects.toThrow(/COPY FROM STDIN is not supported/);
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      await pool.query('INSERT INTO copy_target VALUES (3)');
      expect((await pool.query('SELECT x FROM copy_target')).rows).toEqual([{ x: 3 }]);
    } finally {
      await pool.end();
    }
  });
});
