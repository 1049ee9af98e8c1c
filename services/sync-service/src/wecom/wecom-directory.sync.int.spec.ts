import { randomUUID } from 'node:crypto';
import { demoDirectory, startWeComSandbox, type WeComSandbox } from '@tagguard/wecom-sandbox';
import type { DirectoryObjectRef } from '../directory/domain/directory.model';
import { EmployeeView } from '../directory/projections/directory-view/directory-view.entities';
import type { DirectorySource, PullResult } from '../directory/sources/directory-source.port';
import { employeeStream } from '../directory/streams';
import { openDirectoryWriteSide, type DirectoryWriteSide } from '../directory/testing/directory-write-side';
import { WeComDirectorySource } from './wecom-directory.source';
import { WeComDirectorySync } from './wecom-directory.sync';
import { WeComClient } from './wecom.client';

const CORP = 'wwsyncrace00000001';
const SECRET = 'sync-secret';
const quiet = { info: () => undefined, warn: () => undefined };

/** The real WeCom source, with a moment between the end of its pull and the reconcile for a test to act in. */
class SourceWithPause implements DirectorySource {
  afterPull: (() => Promise<void>) | undefined;
  constructor(private readonly real: DirectorySource) {}
  async pullAll(tenantId: string): Promise<PullResult> {
    const pulled = await this.real.pullAll(tenantId);
    await this.afterPull?.();
    return pulled;
  }
  read: DirectorySource['read'] = (tenantId, ref) => this.real.read(tenantId, ref);
}

// The sandbox over HTTP and the real ingest on PostgreSQL: a callback that lands while a full pull runs
// must not be undone by the reconcile of that (older) pull.
describe('WeComDirectorySync: callbacks during a full pull', () => {
  let sandbox: WeComSandbox;
  let side: DirectoryWriteSide;
  beforeAll(async () => {
    side = await openDirectoryWriteSide(`wecom_race_${randomUUID().slice(0, 8)}`);
    sandbox = await startWeComSandbox({ corps: [{ corpId: CORP, secret: SECRET }] });
    sandbox.admin(CORP).seed(demoDirectory());
  });
  afterAll(async () => {
    await sandbox?.close();
    await side?.close();
  });

  it('keeps a disable and a creation signalled during the pull: the stale pull writes nothing over them', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const client = new WeComClient({ baseUrl: sandbox.url, corpId: CORP, secret: SECRET, baseDelayMs: 5 });
    const source = new SourceWithPause(new WeComDirectorySource(() => ({ client, agentId: 1000002 })));
    const sync = new WeComDirectorySync(source, side.ingest, quiet);
    await sync.fullSync(tenant);

    const revision = async (employeeId: string) =>
      (
        await side.store.readStream(employeeStream(tenant, employeeId), {
          direction: 'backwards',
          maxCount: 1,
        })
      )[0]?.revision;
    const admin = sandbox.admin(CORP);
    let afterCallbacks: (bigint | undefined)[] = [];
    source.afterPull = async () => {
      // The pull has read lisi active and department 3 without newbie; now WeCom changes both and calls back.
      await admin.updateUser('lisi', { enable: 0 });
      await admin.upsertUser({
        ...demoDirectory().users.find((u) => u.userid === 'wangwu')!,
        userid: 'newbie',
        name: 'New',
      });
      const refs: DirectoryObjectRef[] = [
        { kind: 'employee', employeeId: 'lisi' },
        { kind: 'employee', employeeId: 'newbie' },
      ];
      await sync.signal({ tenantId: tenant, refs, receivedAt: new Date() });
      afterCallbacks = [await revision('lisi'), await revision('newbie')];
    };
    const report = await sync.fullSync(tenant);

    expect(report.skipped).toEqual(
      expect.arrayContaining([
        { ref: 'employee/lisi', cause: 'signalled during the pull' },
        { ref: 'employee/newbie', cause: 'signalled during the pull' },
      ]),
    );
    // Not even a transient flip: no event on either stream after the callbacks' own.
    expect([await revision('lisi'), await revision('newbie')]).toEqual(afterCallbacks);
    await side.commands.writer.settled(side.projection, 5_000);
    const status = async (employeeId: string) =>
      (await side.db.getRepository(EmployeeView).findOneByOrFail({ tenantId: tenant, employeeId })).status;
    expect([await status('lisi'), await status('newbie')]).toEqual(['disabled', 'active']);
  });
});
