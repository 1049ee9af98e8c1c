import { randomUUID } from 'node:crypto';
import { testInfra } from '@tagguard/testing';
import { demoDirectory, startWeComSandbox, type WeComSandbox } from '@tagguard/wecom-sandbox';
import { Pool } from 'pg';
import { WeComCorpTagsClient } from '../../wecom/corp-tags.client';
import { WeComClient } from '../../wecom/wecom.client';
import { PostgresExmailKeyStore } from '../exmail/exmail-keys';
import { CORP_TAG_GROUP, corpTagMember, CorpTagsDirectory } from './corp-tags-directory';

const CORP = 'wwcorptagsdir0001';
let sandbox: WeComSandbox;
let pool: Pool;
beforeAll(async () => {
  sandbox = await startWeComSandbox({ corps: [{ corpId: CORP, secret: 'sec' }] });
  sandbox.admin(CORP).seed(demoDirectory());
  pool = new Pool({ connectionString: testInfra().postgresUrl, max: 2 });
});
afterAll(async () => {
  await sandbox.close();
  await pool.end();
});

const library = () =>
  sandbox
    .admin(CORP)
    .corpTags.groups.filter((g) => g.group_name === CORP_TAG_GROUP)
    .flatMap((g) => g.tag.map((t) => t.name));

describe('CorpTagsDirectory (WeCom sandbox, PostgreSQL key store)', () => {
  it('given a corp tag two TagGuard tags map to (shared before D121), when one tag is removed, then the corp tag stays for the other', async () => {
    const customer = sandbox.admin(CORP).snapshot().externalContacts[0]!;
    const follower = customer.follow_user[0]!.userid;
    const keys = new PostgresExmailKeyStore(pool, `test-${randomUUID()}`);
    const port = new CorpTagsDirectory(
      new WeComCorpTagsClient(new WeComClient({ baseUrl: sandbox.url, corpId: CORP, secret: 'sec' })),
      keys,
      `test/${randomUUID()}`,
    );
    const member = corpTagMember(follower, customer.external_userid);
    await port.upsertGroup({
      groupId: 'tag-a',
      displayName: '共享名',
      email: '',
      memberEmployeeIds: [member],
    });
    // What a pre-D121 connector left: tag-b mapped to tag-a's corp tag.
    await keys.put('group', 'tag-b', (await keys.get('group', 'tag-a'))!);
    expect(library()).toEqual(['共享名']);

    await port.removeGroup('tag-b');

    expect(library()).toEqual(['共享名']);
    expect(await keys.get('group', 'tag-b')).toBeUndefined();
    const groups: { groupId: string; memberEmployeeIds: string[] }[] = [];
    for await (const g of port.listGroups()) groups.push(g);
    expect(groups).toEqual([expect.objectContaining({ groupId: 'tag-a', memberEmployeeIds: [member] })]);

    await port.removeGroup('tag-a');
    expect(library()).toEqual([]);
  });
});
