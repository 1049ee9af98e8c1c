import { demoDirectory, startWeComSandbox, type WeComSandbox } from '@tagguard/wecom-sandbox';
import { CORP_TAG_ERR, WeComCorpTagsClient } from './corp-tags.client';
import { WeComApiError, WeComClient } from './wecom.client';

const CORP = 'wwcorptags0000001';
const SECRET = 'corp-tags-secret';
let sandbox: WeComSandbox;
let tags: WeComCorpTagsClient;

beforeEach(async () => {
  sandbox = await startWeComSandbox({ corps: [{ corpId: CORP, secret: SECRET }] });
  sandbox.admin(CORP).seed(demoDirectory());
  tags = new WeComCorpTagsClient(new WeComClient({ baseUrl: sandbox.url, corpId: CORP, secret: SECRET }));
});
afterEach(() => sandbox.close());

const followTags = () =>
  sandbox
    .admin(CORP)
    .snapshot()
    .externalContacts.find((c) => c.external_userid === 'wmDemoCustomer0001')!
    .follow_user.find((f) => f.userid === 'lisi')!.tags;

describe('WeComCorpTagsClient against the sandbox', () => {
  it('ensureTag creates the group and tag once; a second call answers the same id without adding', async () => {
    const id = await tags.ensureTag('TagGuard', '重点客户');
    expect(await tags.ensureTag('TagGuard', '重点客户')).toBe(id);
    const library = await tags.list();
    expect(library).toEqual([
      {
        groupId: expect.any(String),
        groupName: 'TagGuard',
        order: 0,
        tags: [{ id, name: '重点客户', order: 0 }],
      },
    ]);
    expect(sandbox.admin(CORP).callCount('/cgi-bin/externalcontact/add_corp_tag')).toBe(1);
  });

  it('mark puts tags on the customer and takes them off; an empty change sends nothing', async () => {
    const vip = await tags.ensureTag('TagGuard', 'VIP');
    const lost = await tags.ensureTag('TagGuard', '流失');
    await tags.mark('lisi', 'wmDemoCustomer0001', { add: [vip, lost] });
    await tags.mark('lisi', 'wmDemoCustomer0001', { remove: [lost] });
    expect(followTags()).toEqual([{ group_name: 'TagGuard', tag_name: 'VIP', type: 1, tag_id: vip }]);
    await tags.mark('lisi', 'wmDemoCustomer0001', {});
    expect(sandbox.admin(CORP).callCount('/cgi-bin/externalcontact/mark_tag')).toBe(2);
  });

  it('edit renames, remove deletes (the tag leaves the customer); list filters by group and tag ids', async () => {
    const vip = await tags.ensureTag('TagGuard', 'VIP');
    const other = await tags.addTags({ groupName: '其他' }, [{ name: 'x' }, { name: 'y' }]);
    await tags.mark('lisi', 'wmDemoCustomer0001', { add: [vip] });
    await tags.edit(vip, { name: 'VIP+' });
    expect((await tags.list({ tagIds: [vip] }))[0]!.tags).toEqual([{ id: vip, name: 'VIP+', order: 0 }]);
    expect((await tags.list({ groupIds: [other.groupId] })).map((g) => g.tags.length)).toEqual([2]);
    await tags.remove({ tagIds: [vip] });
    expect(followTags()).toEqual([]);
    expect((await tags.list()).map((g) => g.groupName)).toEqual(['其他']);
  });

  it('refusals carry WeCom errcodes: not the creator (81011), not a follower (84061), unknown tag (40068)', async () => {
    const console = sandbox.admin(CORP).addConsoleCorpTags('后台', ['t']);
    const vip = await tags.ensureTag('TagGuard', 'VIP');
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 0,
        (e: unknown) => (e instanceof WeComApiError ? e.errcode : -99),
      );
    expect(await code(tags.edit(console.tag[0]!.id, { name: 'x' }))).toBe(CORP_TAG_ERR.notCreator);
    expect(await code(tags.mark('wangwu', 'wmDemoCustomer0001', { add: [vip] }))).toBe(
      CORP_TAG_ERR.notFollower,
    );
    expect(await code(tags.remove({ tagIds: ['etgone'] }))).toBe(CORP_TAG_ERR.unknownTag);
    expect(await code(tags.addTags({ groupId: (await tags.list())[1]!.groupId }, [{ name: 'VIP' }]))).toBe(
      CORP_TAG_ERR.nameTaken,
    );
  });
});
