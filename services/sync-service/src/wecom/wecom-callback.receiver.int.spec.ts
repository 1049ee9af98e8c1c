import { encrypt, getSignature } from '@wecom/crypto';
import { demoDirectory, sealEnvelope, startWeComSandbox, type WeComSandbox } from '@tagguard/wecom-sandbox';
import type { Employee } from '../directory/domain/directory.model';
import type { DirectoryChangeSignal } from '../directory/sources/directory-source.port';
import { RecordingIngest } from './testing/recording-ingest';
import { startCallbackReceiver, type RunningCallbackReceiver } from './wecom-callback.receiver';
import { WeComDirectorySource } from './wecom-directory.source';
import { WeComDirectorySync } from './wecom-directory.sync';
import { WeComClient } from './wecom.client';

const CORP = 'wwcallback0000001';
const SECRET = 'callback-secret';
const TENANT = 'tenant-a';
const KEYS = {
  token: 'cbToken123',
  encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  receiveId: CORP,
};
const quiet = { info: () => undefined, warn: () => undefined };

let sandbox: WeComSandbox;
let receiver: RunningCallbackReceiver;
let signals: DirectoryChangeSignal[];
let rejected: string[];
let onSignal: (s: DirectoryChangeSignal) => void;

beforeEach(async () => {
  signals = [];
  rejected = [];
  onSignal = (s) => signals.push(s);
  receiver = await startCallbackReceiver({
    tenantId: TENANT,
    keys: KEYS,
    host: '127.0.0.1',
    port: 0,
    path: '/wecom/callback',
    onSignal: (s) => onSignal(s),
    onRejected: (reason) => rejected.push(reason),
  });
  sandbox = await startWeComSandbox({
    corps: [
      {
        corpId: CORP,
        secret: SECRET,
        callback: { url: receiver.url, token: KEYS.token, encodingAesKey: KEYS.encodingAesKey },
      },
    ],
  });
  sandbox.admin(CORP).seed(demoDirectory());
});
afterEach(async () => {
  await sandbox.close();
  await receiver.close();
});

describe('callback receiver', () => {
  it("answers WeCom's URL verification with the decrypted echostr", async () => {
    await expect(sandbox.admin(CORP).verifyCallbackUrl()).resolves.toMatchObject({ ok: true, status: 200 });
  });

  it('turns each documented change into a signal naming the object to re-read', async () => {
    const admin = sandbox.admin(CORP);
    await admin.updateUser('lisi', { enable: 0 });
    await admin.deleteUser('wangwu');
    await admin.upsertDepartment({ id: 4, name: '销售部', parentid: 1, order: 1, department_leader: [] });
    await admin.deleteExternalContact('wmDemoCustomer0001', 'lisi');
    expect((await admin.callbacksSettled()).map((d) => [d.changeType, d.ok, d.status])).toEqual([
      ['update_user', true, 200],
      ['delete_user', true, 200],
      ['create_party', true, 200],
      ['del_external_contact', true, 200],
    ]);
    expect(signals.map((s) => [s.tenantId, s.refs])).toEqual([
      [TENANT, [{ kind: 'employee', employeeId: 'lisi' }]],
      [TENANT, [{ kind: 'employee', employeeId: 'wangwu' }]],
      [TENANT, [{ kind: 'department', departmentId: '4' }]],
      [TENANT, [{ kind: 'customer', externalUserId: 'wmDemoCustomer0001' }]],
    ]);
    expect(rejected).toEqual([]);
  });

  it('given a wrong token or key on the sender, then the callback is refused (403) and no signal is raised', async () => {
    const admin = sandbox.admin(CORP);
    admin.setCallback({ url: receiver.url, token: 'not-our-token', encodingAesKey: KEYS.encodingAesKey });
    const byToken = await admin.updateUser('lisi', { enable: 0 });
    admin.setCallback({
      url: receiver.url,
      token: KEYS.token,
      encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
    });
    const byKey = await admin.updateUser('lisi', { enable: 1 });
    expect([byToken?.status, byKey?.status]).toEqual([403, 403]);
    await expect(admin.verifyCallbackUrl()).resolves.toMatchObject({ ok: false, status: 403 });
    expect(signals).toEqual([]);
    // A wrong key decrypts to noise, which fails the padding check before the receiveid is compared.
    expect(rejected).toEqual(expect.arrayContaining(['signature', 'decrypt']));
  });

  it('given a tampered body or a replayed signature over other ciphertext, then 403 and nothing happens', async () => {
    const xml =
      '<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event><ChangeType>delete_user</ChangeType><UserID><![CDATA[lisi]]></UserID></xml>';
    const sealed = sealEnvelope({ url: receiver.url, ...KEYS }, CORP, 1000002, xml);
    const send = (body: string, msgSignature = sealed.msgSignature) =>
      fetch(
        `${receiver.url}?msg_signature=${msgSignature}&timestamp=${sealed.timestamp}&nonce=${sealed.nonce}`,
        { method: 'POST', body },
      );
    const other = sealEnvelope(
      { url: receiver.url, ...KEYS },
      CORP,
      1000002,
      xml.replace('lisi', 'zhangsan'),
    );
    expect((await send(other.body)).status).toBe(403);
    expect((await send('<xml><Encrypt></Encrypt></xml>')).status).toBe(403);
    expect((await send(sealed.body, getSignature('x', sealed.timestamp, sealed.nonce, 'y'))).status).toBe(
      403,
    );
    expect(signals).toEqual([]);
    expect((await send(sealed.body)).status).toBe(200);
    expect(signals.map((s) => s.refs)).toEqual([[{ kind: 'employee', employeeId: 'lisi' }]]);
  });

  it('given the same callback twice, then both are answered 200 and only the first is a signal', async () => {
    const xml =
      '<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event><ChangeType>update_user</ChangeType><UserID><![CDATA[lisi]]></UserID></xml>';
    const sealed = sealEnvelope({ url: receiver.url, ...KEYS }, CORP, 1000002, xml);
    const url = `${receiver.url}?msg_signature=${sealed.msgSignature}&timestamp=${sealed.timestamp}&nonce=${sealed.nonce}`;
    expect((await fetch(url, { method: 'POST', body: sealed.body })).status).toBe(200);
    expect((await fetch(url, { method: 'POST', body: sealed.body })).status).toBe(200);
    expect(signals).toHaveLength(1);
    expect(rejected).toEqual([]);
  });

  it('given a correctly signed callback 6 minutes old, then 403 (timestamp) and no signal', async () => {
    const xml =
      '<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event><ChangeType>delete_user</ChangeType><UserID><![CDATA[lisi]]></UserID></xml>';
    const ciphertext = encrypt(KEYS.encodingAesKey, xml, CORP);
    const timestamp = String(Math.floor(Date.now() / 1000) - 360);
    const signature = getSignature(KEYS.token, timestamp, '42', ciphertext);
    const response = await fetch(
      `${receiver.url}?msg_signature=${signature}&timestamp=${timestamp}&nonce=42`,
      {
        method: 'POST',
        body: `<xml><Encrypt><![CDATA[${ciphertext}]]></Encrypt></xml>`,
      },
    );
    expect(response.status).toBe(403);
    expect(signals).toEqual([]);
    expect(rejected).toEqual(['timestamp']);
  });
});

describe('directory sync: callback → re-read → applyObject; pullAll → reconcile', () => {
  it('a disabled, a deleted and a new employee arrive as re-read states through the ingest', async () => {
    const ingest = new RecordingIngest();
    const client = new WeComClient({ baseUrl: sandbox.url, corpId: CORP, secret: SECRET });
    const sync = new WeComDirectorySync(new WeComDirectorySource(() => ({ client })), ingest, quiet);
    onSignal = (s) => void sync.signal(s);
    const admin = sandbox.admin(CORP);
    await admin.updateUser('lisi', { status: 2, enable: 0 });
    await admin.deleteUser('wangwu');
    await admin.upsertUser({ ...admin.snapshot().users[0]!, userid: 'newbie', name: '新人', status: 4 });
    await admin.callbacksSettled();
    await sync.idle();
    expect(
      ingest.applied.map((a) => [
        a.source,
        a.state.kind,
        'employeeId' in a.state && a.state.employeeId,
        a.state.value === 'absent' ? 'absent' : (a.state.value as Employee).status,
      ]),
    ).toEqual([
      ['wecom', 'employee', 'lisi', 'disabled'],
      ['wecom', 'employee', 'wangwu', 'absent'],
      ['wecom', 'employee', 'newbie', 'active'],
    ]);
    expect(sync.outcomes.map((o) => o.changed)).toEqual([true, true, true]);
  });

  it('a re-read that fails is an outcome with its error, and the next signal is still applied', async () => {
    const ingest = new RecordingIngest();
    const client = new WeComClient({ baseUrl: sandbox.url, corpId: CORP, secret: SECRET });
    const sync = new WeComDirectorySync(new WeComDirectorySource(() => ({ client })), ingest, quiet);
    sandbox
      .admin(CORP)
      .plantFault({ path: '/cgi-bin/user/get', errcode: 60011, when: (p) => p['userid'] === 'lisi' });
    await sync.signal({
      tenantId: TENANT,
      refs: [
        { kind: 'employee', employeeId: 'lisi' },
        { kind: 'employee', employeeId: 'zhangsan' },
      ],
      receivedAt: new Date(),
    });
    expect(sync.outcomes.map((o) => [o.ref, o.error ?? 'ok'])).toEqual([
      [
        { kind: 'employee', employeeId: 'lisi' },
        'WeCom /cgi-bin/user/get: errcode 60011 (sandbox: planted fault)',
      ],
      [{ kind: 'employee', employeeId: 'zhangsan' }, 'ok'],
    ]);
    expect(ingest.applied).toHaveLength(1);
  });

  it('a ref still waiting is not queued twice: a burst of callbacks for one user is one re-read', async () => {
    const ingest = new RecordingIngest();
    const client = new WeComClient({ baseUrl: sandbox.url, corpId: CORP, secret: SECRET });
    const sync = new WeComDirectorySync(new WeComDirectorySource(() => ({ client })), ingest, quiet);
    const lisi = { kind: 'employee', employeeId: 'lisi' } as const;
    const first = sync.signal({
      tenantId: TENANT,
      refs: [{ kind: 'employee', employeeId: 'zhangsan' }, lisi],
      receivedAt: new Date(),
    });
    const second = sync.signal({ tenantId: TENANT, refs: [lisi, lisi], receivedAt: new Date() });
    await Promise.all([first, second]);
    expect(ingest.applied.map((a) => 'employeeId' in a.state && a.state.employeeId)).toEqual([
      'zhangsan',
      'lisi',
    ]);
  });

  it('schedule runs full pulls every interval until stopped', async () => {
    const ingest = new RecordingIngest();
    const client = new WeComClient({ baseUrl: sandbox.url, corpId: CORP, secret: SECRET });
    const sync = new WeComDirectorySync(new WeComDirectorySource(() => ({ client })), ingest, quiet);
    sync.schedule(TENANT, 0.05);
    const until = Date.now() + 5_000;
    while (ingest.reconciled.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    sync.stop();
    // A pull already running when it stopped still ends (stop only disarms the timer).
    while (sync.syncing) await new Promise((r) => setTimeout(r, 10));
    const after = ingest.reconciled.length;
    expect(after).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 150));
    expect(ingest.reconciled.length).toBe(after);
  });

  it('fullSync hands the pulled snapshot and its failures to reconcile', async () => {
    const ingest = new RecordingIngest();
    const client = new WeComClient({ baseUrl: sandbox.url, corpId: CORP, secret: SECRET });
    const sync = new WeComDirectorySync(new WeComDirectorySource(() => ({ client })), ingest, quiet);
    sandbox
      .admin(CORP)
      .plantFault({ path: '/cgi-bin/user/list', errcode: 60011, when: (p) => p['department_id'] === '3' });
    const [a, b] = await Promise.all([sync.fullSync(TENANT), sync.fullSync(TENANT)]);
    expect(a).toBe(b); // joined, not pulled twice
    expect(ingest.reconciled).toHaveLength(1);
    expect(ingest.reconciled[0]!.pulled.snapshot.employees.map((e) => e.employeeId).sort()).toEqual([
      'lisi',
      'wangwu',
      'zhangsan',
    ]);
    expect(a.failures).toEqual([
      {
        ref: 'department/3/users',
        covers: { kind: 'department_users', departmentId: '3' },
        errcode: 60011,
        errmsg: 'sandbox: planted fault',
      },
    ]);
  });
});
