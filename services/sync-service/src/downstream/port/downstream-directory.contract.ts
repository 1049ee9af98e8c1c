import {
  DownstreamRejectedError,
  type DownstreamAccount,
  type DownstreamDirectory,
  type DownstreamGroup,
} from './downstream-directory.port';

/**
 * The one contract suite every connector runs against its real (or sandboxed) server: call it from the
 * connector's *.int.spec.ts with a factory that gives a fresh, empty downstream namespace per test.
 */
export function describeDownstreamDirectoryContract(
  name: string,
  fresh: () => Promise<{ port: DownstreamDirectory; cleanup?: () => Promise<void> }>,
): void {
  describe(`DownstreamDirectory contract: ${name}`, () => {
    let port: DownstreamDirectory;
    let cleanup: (() => Promise<void>) | undefined;
    beforeEach(async () => {
      ({ port, cleanup } = await fresh());
    });
    afterEach(async () => {
      await port.close();
      await cleanup?.();
    });

    const account = (id: string, active = true): DownstreamAccount => ({
      employeeId: id,
      email: `${id}@example.test`,
      displayName: `员工 ${id}`,
      active,
    });
    const all = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
      const out: T[] = [];
      for await (const x of it) out.push(x);
      return out;
    };
    const byId = (a: DownstreamAccount[]) => a.sort((x, y) => x.employeeId.localeCompare(y.employeeId));

    it('given no account, when upserted, then it is listed with exactly that state', async () => {
      await port.upsertAccount(account('zhangsan'));
      expect(await all(port.listAccounts())).toEqual([account('zhangsan')]);
    });

    it('given an account, when upserted again with the same state, then nothing else changes (idempotent)', async () => {
      await port.upsertAccount(account('zhangsan'));
      await port.upsertAccount(account('zhangsan'));
      expect(await all(port.listAccounts())).toEqual([account('zhangsan')]);
    });

    it('given an active account, when disabled and re-enabled, then the listing follows and it is never deleted', async () => {
      await port.upsertAccount(account('lisi'));
      await port.setAccountActive('lisi', false);
      expect(await all(port.listAccounts())).toEqual([account('lisi', false)]);
      await port.setAccountActive('lisi', false);
      expect(await all(port.listAccounts())).toEqual([account('lisi', false)]);
      await port.setAccountActive('lisi', true);
      expect(await all(port.listAccounts())).toEqual([account('lisi', true)]);
    });

    it('given an unknown account, when its status is set, then it is rejected as not_found', async () => {
      await expect(port.setAccountActive('nobody', false)).rejects.toMatchObject({
        constructor: DownstreamRejectedError,
        code: 'not_found',
      });
    });

    it('given accounts, when a group is upserted and its members change, then it has exactly those members', async () => {
      for (const id of ['a1', 'a2', 'a3']) await port.upsertAccount(account(id));
      const group: DownstreamGroup = {
        groupId: 'tag-market-2',
        displayName: '市场二组',
        email: 'market-2@example.test',
        memberEmployeeIds: ['a1', 'a2'],
      };
      await port.upsertGroup(group);
      expect(await all(port.listGroups())).toEqual([group]);
      await port.upsertGroup({ ...group, memberEmployeeIds: ['a2', 'a3'] });
      expect(await all(port.listGroups())).toEqual([{ ...group, memberEmployeeIds: ['a2', 'a3'] }]);
      await port.upsertGroup({ ...group, memberEmployeeIds: [] });
      expect(await all(port.listGroups())).toEqual([{ ...group, memberEmployeeIds: [] }]);
    });

    it('given a group, when removed (twice), then it is gone and its member accounts stay', async () => {
      await port.upsertAccount(account('a1'));
      await port.upsertGroup({
        groupId: 'g1',
        displayName: 'g',
        email: 'g1@example.test',
        memberEmployeeIds: ['a1'],
      });
      await port.removeGroup('g1');
      await port.removeGroup('g1');
      expect(await all(port.listGroups())).toEqual([]);
      expect(byId(await all(port.listAccounts()))).toEqual([account('a1')]);
    });

    it('given a display name with CJK, commas and quotes, then it round-trips unchanged', async () => {
      const odd = { ...account('wangwu'), displayName: '王五, "Ops" + =<x>' };
      await port.upsertAccount(odd);
      expect(await all(port.listAccounts())).toEqual([odd]);
    });
  });
}
