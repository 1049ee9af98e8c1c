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
});
