import { randomUUID } from 'node:crypto';
import { testInfra } from '@tagguard/testing';
import { demoDirectory, startWeComSandbox, type WeComSandbox } from '@tagguard/wecom-sandbox';
import { Pool } from 'pg';
import { WeComCorpTagsClient } from '../../wecom/corp-tags.client';
import { WeComClient } from '../../wecom/wecom.client';
import { PostgresExmailKeyStore } from '../exmail/exmail-keys';
import {
  CORP_TAG_GROUP,
  CORP_TAG_NAME_MAX,
  corpTagMember,
  corpTagName,
  CorpTagsDirectory,
} from './corp-tags-directory';

const CORP = 'wwcorptagsdir0001';
let sandbox: WeComSandbox;
let pool: Pool;
beforeAll(async () => {
  sandbox = await startWeComSandbox({ corps: [{ corpId: CORP, secret: 'sec' }] });
  pool = new Pool({ connectionString: testInfra().postgresUrl, max: 2 });
});
afterAll(async () => {
  await sandbox.close();
  await pool.end();
});

/** The demo directory with a second customer of lisi's. */
function seed() {
  const directory = demoDirectory();
  const first = directory.externalContacts[0]!;
  directory.externalContacts.push({
    ...first,
    external_userid: 'wmDemoCustomer0002',
    name: '王客户',
    follow_user: first.follow_user.map((f) => ({ ...f, tags: [] })),
  });
  sandbox.admin(CORP).seed(directory);
  return [corpTagMember('lisi', 'wmDemoCustomer0001'), corpTagMember('lisi', 'wmDemoCustomer0002')];
}

const library = () =>
  sandbox
    .admin(CORP)
    .corpTags.groups.filter((g) => g.group_name === CORP_TAG_GROUP)
    .flatMap((g) => g.tag.map((t) => t.name))
    .sort();
/** The corp tags on a customer as lisi sees them. */
const marksOf = (externalUserId: string) =>
  sandbox
    .admin(CORP)
    .snapshot()
    .externalContacts.find((c) => c.external_userid === externalUserId)!
    .follow_user.find((f) => f.userid === 'lisi')!
    .tags.map((t) => t.tag_name)
    .sort();

/** A connector whose tag-b shares tag-a's corp tag, as a connector before D121 left it: c1 on both, c2 on tag-b only. */
async function shared() {
  const [c1, c2] = seed();
  const keys = new PostgresExmailKeyStore(pool, `test-${randomUUID()}`);
  const tags = new WeComCorpTagsClient(
    new WeComClient({ baseUrl: sandbox.url, corpId: CORP, secret: 'sec' }),
  );
  const port = new CorpTagsDirectory(tags, keys, `test/${randomUUID()}`);
  await port.upsertGroup({ groupId: 'tag-a', displayName: '共享名', email: '', memberEmployeeIds: [c1!] });
  const corpTagId = (await keys.get('group', 'tag-a'))!;
  await keys.put('group', 'tag-b', corpTagId);
  await tags.mark('lisi', 'wmDemoCustomer0002', { add: [corpTagId] });
  for (const m of [c1!, c2!]) await keys.put('account', `tag-b|${m}`, m);
  return { port, keys, c1: c1!, c2: c2! };
}

describe('CorpTagsDirectory (WeCom sandbox, PostgreSQL key store)', () => {
  it("given a corp tag two TagGuard tags map to (shared before D121), when one tag is removed, then the corp tag stays for the other, without the removed tag's own customers", async () => {
    const { port, keys, c1 } = await shared();
    expect([marksOf('wmDemoCustomer0001'), marksOf('wmDemoCustomer0002')]).toEqual([['共享名'], ['共享名']]);

    await port.removeGroup('tag-b');

    expect(library()).toEqual(['共享名']);
    expect([marksOf('wmDemoCustomer0001'), marksOf('wmDemoCustomer0002')]).toEqual([['共享名'], []]);
    expect(await keys.get('group', 'tag-b')).toBeUndefined();
    const groups: { groupId: string; memberEmployeeIds: string[] }[] = [];
    for await (const g of port.listGroups()) groups.push(g);
    expect(groups).toEqual([expect.objectContaining({ groupId: 'tag-a', memberEmployeeIds: [c1] })]);

    await port.removeGroup('tag-a');
    expect(library()).toEqual([]);
  });

  it('given a shared corp tag, when the other tag is upserted, then it moves to a corp tag of its own and takes only its customers along', async () => {
    const { port, c1, c2 } = await shared();

    await port.upsertGroup({
      groupId: 'tag-b',
      displayName: '共享名',
      email: '',
      memberEmployeeIds: [c1, c2],
    });

    const own = '共享名 ·tag-b';
    expect(library()).toEqual(['共享名', own]);
    expect([marksOf('wmDemoCustomer0001'), marksOf('wmDemoCustomer0002')]).toEqual([['共享名', own], [own]]);
  });

  it('given TagGuard names longer than a corp tag name may be, when upserted, then each corp tag is the name cut to fit with its id, read back as the full name', async () => {
    const [c1] = seed();
    const keys = new PostgresExmailKeyStore(pool, `test-${randomUUID()}`);
    const tags = new WeComCorpTagsClient(
      new WeComClient({ baseUrl: sandbox.url, corpId: CORP, secret: 'sec' }),
    );
    const port = new CorpTagsDirectory(tags, keys, `test/${randomUUID()}`);
    const east = '华东区重点客户二零二六年度春季促销活动报名成功待回访客户名单一';
    const west = '华东区重点客户二零二六年度春季促销活动报名成功待回访客户名单二';
    const a = randomUUID();
    const b = randomUUID();
    expect([...east].length).toBeGreaterThan(CORP_TAG_NAME_MAX);

    await port.upsertGroup({ groupId: a, displayName: east, email: '', memberEmployeeIds: [c1!] });
    await port.upsertGroup({ groupId: b, displayName: west, email: '', memberEmployeeIds: [] });

    const cut = (id: string) => `${[...east].slice(0, 20).join('')} ·${id.slice(0, 8)}`;
    const ours = () => library().filter((n) => n.startsWith('华东区'));
    expect(ours()).toEqual([cut(a), cut(b)].sort());
    expect(ours().map((n) => [...n].length)).toEqual([30, 30]);
    expect(marksOf('wmDemoCustomer0001')).toEqual([cut(a)]);
    const groups: { groupId: string; displayName: string }[] = [];
    for await (const g of port.listGroups()) if (g.groupId === a || g.groupId === b) groups.push(g);
    expect(groups.map((g) => [g.groupId, g.displayName]).sort()).toEqual(
      [
        [a, east],
        [b, west],
      ].sort(),
    );
    // A name that fits keeps it as is.
    expect(corpTagName('VIP客户', a, false)).toBe('VIP客户');

    await port.removeGroup(a);
    await port.removeGroup(b);
    expect(ours()).toEqual([]);
  });
});
