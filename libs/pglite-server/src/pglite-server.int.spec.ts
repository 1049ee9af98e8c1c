import { Pool } from 'pg';
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
});
