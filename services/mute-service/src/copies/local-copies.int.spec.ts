import { randomUUID } from 'node:crypto';
import { testInfra } from '@tagguard/testing';
import type { DataSource } from 'typeorm';
import type { DirectoryChange } from './copy-rows';
import { LocalCopies } from './local-copies';
import { openReadModel } from './read-model';

// mute-service's copies on a real PostgreSQL: the decision path's background refresh.
describe('mute-service local copies', () => {
  const schema = `mute_lc_${randomUUID().slice(0, 8)}`;
  let db: DataSource;
  beforeAll(async () => {
    db = await openReadModel(testInfra().postgresUrl, schema, 2);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('reads a stale copy once however many decisions ask meanwhile', async () => {
    const tenantId = `t-${randomUUID().slice(0, 8)}`;
    const copies = new LocalCopies(db, schema, 0); // every call finds the copy stale
    const zs: DirectoryChange = {
      tenantId,
      kind: 'employee',
      id: 'zs',
      revision: '0',
      departmentIds: ['d1'],
      removed: false,
      parentId: null,
      name: '',
    };
    await copies.applyDirectory(zs);
    await copies.tenant(tenantId);
    const query = jest.spyOn(db, 'query');
    try {
      await Promise.all(Array.from({ length: 200 }, () => copies.tenant(tenantId)));
      // A write's refresh runs after the reads already queued.
      await copies.applyDirectory({ ...zs, id: 'ls' });
      const reads = query.mock.calls.filter(([sql]) => /SELECT kind, object_id/.test(String(sql)));
      expect(reads.length).toBeLessThanOrEqual(3);
    } finally {
      query.mockRestore();
    }
    expect((await copies.tenant(tenantId)).employees.get('ls')).toEqual({ departmentIds: ['d1'] });
  });
});
