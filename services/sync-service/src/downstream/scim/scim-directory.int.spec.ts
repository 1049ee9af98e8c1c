import { startScimServer, type ScimTestServer } from '../../testing/scim-server';
import { describeDownstreamDirectoryContract } from '../port/downstream-directory.contract';
import {
  DownstreamRejectedError,
  DownstreamUnavailableError,
  type DownstreamAccount,
} from '../port/downstream-directory.port';
import { SCIM_PATCH, ScimDirectory, TAGGUARD_GROUP_EXTENSION } from './scim-directory';

const TOKEN = 'scim-test-token';
let server: ScimTestServer;

beforeAll(async () => {
  server = await startScimServer({ token: TOKEN });
});
afterAll(() => server.close());

function fresh(options: Partial<ConstructorParameters<typeof ScimDirectory>[0]> = {}): ScimDirectory {
  server.users.clear();
  server.groups.clear();
  server.requests.length = 0;
  return new ScimDirectory({ baseUrl: server.url, bearerToken: TOKEN, baseDelayMs: 5, ...options });
}

describeDownstreamDirectoryContract('scim (scimmy + scimmy-routers)', async () => ({ port: fresh() }));

describe('ScimDirectory, SCIM specifics', () => {
  const account = (id: string, active = true): DownstreamAccount => ({
    employeeId: id,
    email: `${id.replace('@', '.')}@example.test`,
    displayName: id,
    active,
  });
  const patches = () => server.requests.filter((r) => r.method === 'PATCH');

  // An id with the characters WeCom userids may hold. The client escapes a literal as a JSON string
  // (RFC 7644 §3.4.2.2), but scimmy 1.3.5's filter parser refuses \" inside one, so no quote here.
  it('finds a user by filter=externalId eq "…" and creates it with externalId and active', async () => {
    const port = fresh();
    await port.upsertAccount(account('li.si-01@hq', false));
    expect(server.requests[0]).toMatchObject({ method: 'GET' });
    expect(decodeURIComponent(server.requests[0]!.path)).toBe(
      '/Users?filter=externalId eq "li.si-01@hq"&count=2',
    );
    const [stored] = [...server.users.values()];
    expect(stored).toMatchObject({
      externalId: 'li.si-01@hq',
      userName: 'li.si-01.hq@example.test',
      active: false,
    });
    await port.setAccountActive('li.si-01@hq', true);
    expect([...server.users.values()][0]!['active']).toBe(true);
  });

  it('disabling sends one PATCH replace of active with If-Match = the version read', async () => {
    const port = fresh();
    await port.upsertAccount(account('lisi'));
    const [user] = [...server.users.values()];
    await port.setAccountActive('lisi', false);
    expect(patches()).toEqual([
      {
        method: 'PATCH',
        path: `/Users/${user!.id}`,
        ifMatch: 'W/"1"',
        body: { schemas: [SCIM_PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] },
      },
    ]);
    await port.setAccountActive('lisi', false);
    expect(patches()).toHaveLength(1); // already so: nothing sent
  });

  it('group members change by PATCH add / remove operations, never by replacing the list', async () => {
    const port = fresh();
    for (const id of ['a1', 'a2', 'a3']) await port.upsertAccount(account(id));
    const idOf = (e: string) => [...server.users.values()].find((u) => u['externalId'] === e)!.id;
    const group = {
      groupId: 'tag-1',
      displayName: '市场二组',
      email: 'm2@example.test',
      memberEmployeeIds: ['a1', 'a2'],
    };
    await port.upsertGroup(group);
    await port.upsertGroup({ ...group, memberEmployeeIds: ['a2', 'a3'] });
    expect(patches()).toHaveLength(1);
    expect(patches()[0]!.body).toEqual({
      schemas: [SCIM_PATCH],
      Operations: [
        { op: 'add', path: 'members', value: [{ value: idOf('a3') }] },
        { op: 'remove', path: `members[value eq "${idOf('a1')}"]` },
      ],
    });
    expect(server.requests.some((r) => r.method === 'PUT')).toBe(false);
    const [stored] = [...server.groups.values()];
    expect(stored!['members']).toEqual([{ value: idOf('a2') }, { value: idOf('a3') }]);
    expect(stored![TAGGUARD_GROUP_EXTENSION]).toEqual({ email: 'm2@example.test' });
  });

  it('412: the resource is read again and the PATCH retried once with the new version', async () => {
    const port = fresh();
    await port.upsertAccount(account('lisi'));
    const [user] = [...server.users.values()];
    server.interfere(user!.id, 1);
    await port.setAccountActive('lisi', false);
    expect(patches().map((p) => p.ifMatch)).toEqual(['W/"1"', 'W/"2"']);
    expect(server.requests.some((r) => r.method === 'GET' && r.path === `/Users/${user!.id}`)).toBe(true);
    expect(server.users.get(user!.id)!['active']).toBe(false);
  });

  it('412 again after the retry: refused as a conflict, nothing applied', async () => {
    const port = fresh();
    await port.upsertAccount(account('lisi'));
    const [user] = [...server.users.values()];
    server.interfere(user!.id, 2);
    await expect(port.setAccountActive('lisi', false)).rejects.toMatchObject({
      constructor: DownstreamRejectedError,
      code: 'conflict',
    });
    expect(patches()).toHaveLength(2);
    expect(server.users.get(user!.id)!['active']).toBe(true);
  });

  it('a group delete carries If-Match and survives one 412', async () => {
    const port = fresh();
    await port.upsertAccount(account('a1'));
    await port.upsertGroup({
      groupId: 'g',
      displayName: 'g',
      email: 'g@example.test',
      memberEmployeeIds: ['a1'],
    });
    const [group] = [...server.groups.values()];
    server.interfere(group!.id, 1);
    await port.removeGroup('g');
    expect(server.requests.filter((r) => r.method === 'DELETE').map((r) => r.ifMatch)).toEqual([
      'W/"1"',
      'W/"2"',
    ]);
    expect(server.groups.size).toBe(0);
  });

  it('lists page by page (startIndex, count) until totalResults', async () => {
    const port = fresh({ pageSize: 2 });
    for (const id of ['u1', 'u2', 'u3', 'u4', 'u5']) await port.upsertAccount(account(id));
    server.requests.length = 0;
    const listed: string[] = [];
    for await (const a of port.listAccounts()) listed.push(a.employeeId);
    expect(listed.sort()).toEqual(['u1', 'u2', 'u3', 'u4', 'u5']);
    expect(
      server.requests.map((r) => /startIndex=(\d+)&count=(\d+)/.exec(r.path)!.slice(1).join('/')),
    ).toEqual(['1/2', '3/2', '5/2']);
  });

  it('a member without a SCIM user is not_found; a bad bearer token is unauthorized; no server is unavailable', async () => {
    const port = fresh();
    await expect(
      port.upsertGroup({
        groupId: 'g',
        displayName: 'g',
        email: 'g@example.test',
        memberEmployeeIds: ['ghost'],
      }),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect(server.groups.size).toBe(0);
    const wrong = new ScimDirectory({ baseUrl: server.url, bearerToken: 'nope' });
    await expect(wrong.upsertAccount(account('x'))).rejects.toMatchObject({ code: 'unauthorized' });
    const down = new ScimDirectory({
      baseUrl: 'http://127.0.0.1:9/scim/v2',
      bearerToken: TOKEN,
      maxAttempts: 2,
      baseDelayMs: 1,
    });
    await expect(down.upsertAccount(account('x'))).rejects.toBeInstanceOf(DownstreamUnavailableError);
  });
});
