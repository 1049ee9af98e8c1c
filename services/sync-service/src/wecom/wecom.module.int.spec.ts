import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { demoDirectory, startWeComSandbox, type WeComSandbox } from '@tagguard/wecom-sandbox';
import { loadWeComConfig } from '../config/wecom.config';
import { DIRECTORY_INGEST } from '../directory/sources/directory-source.port';
import { RecordingIngest } from './testing/recording-ingest';
import { WeComConnector, WeComModule } from './wecom.module';

const CORP = 'wwmodule000000001';
const KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const ingest = new RecordingIngest();

// Stands in for the directory module: whatever provides DIRECTORY_INGEST somewhere in the application.
@Module({ providers: [{ provide: DIRECTORY_INGEST, useValue: ingest }] })
class DirectoryStandIn {}

const eventually = async (check: () => void, ms = 5_000) => {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
};

describe('WeComModule in a Nest application', () => {
  let sandbox: WeComSandbox;
  let app: INestApplicationContext;

  beforeAll(async () => {
    sandbox = await startWeComSandbox({ corps: [{ corpId: CORP, secret: 'sec' }] });
    sandbox.admin(CORP).seed(demoDirectory());
    const config = loadWeComConfig({
      WECOM_CORP_ID: CORP,
      WECOM_TENANT_ID: 'tenant-a',
      WECOM_SECRET: 'sec',
      WECOM_BASE_URL: sandbox.url,
      WECOM_AGENT_ID: '1000002',
      WECOM_CALLBACK_TOKEN: 'tok',
      WECOM_CALLBACK_AES_KEY: KEY,
      WECOM_CALLBACK_PORT: '0',
    })!;
    @Module({ imports: [DirectoryStandIn, WeComModule.forRoot(config)] })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    await app.init();
  });
  afterAll(async () => {
    await app.close();
    await sandbox.close();
  });

  it('pulls on start, then applies a callback it receives on its own port', async () => {
    await eventually(() => expect(ingest.reconciled).toHaveLength(1));
    expect(ingest.reconciled[0]!.pulled.snapshot.employees).toHaveLength(4);
    expect(ingest.reconciled[0]!.pulled.snapshot.partners).toHaveLength(1);
    const connector = app.get(WeComConnector);
    const url = (connector as unknown as { receiver: { url: string } }).receiver.url;
    expect(new URL(url).hostname).toBe('127.0.0.1');
    sandbox.admin(CORP).setCallback({ url, token: 'tok', encodingAesKey: KEY });
    await sandbox.admin(CORP).updateUser('wangwu', { status: 5 });
    await eventually(() =>
      expect(ingest.applied.map((a) => a.state)).toContainEqual(
        expect.objectContaining({ employeeId: 'wangwu', value: expect.objectContaining({ status: 'left' }) }),
      ),
    );
  });

  it('without a DIRECTORY_INGEST in the application, the connector stays off and calls nobody', async () => {
    const calls = sandbox.admin(CORP).callCount('/cgi-bin/gettoken');
    const config = loadWeComConfig({
      WECOM_CORP_ID: CORP,
      WECOM_TENANT_ID: 't',
      WECOM_SECRET: 'sec',
      WECOM_BASE_URL: sandbox.url,
    })!;
    const lone = await NestFactory.createApplicationContext(WeComModule.forRoot(config), { logger: false });
    await lone.init();
    expect(lone.get(WeComConnector).sync).toBeUndefined();
    await lone.close();
    expect(sandbox.admin(CORP).callCount('/cgi-bin/gettoken')).toBe(calls);
  });

  it('without a config the module provides nothing (the connector is off)', async () => {
    const off = await NestFactory.createApplicationContext(WeComModule.forRoot(undefined), { logger: false });
    expect(() => off.get(WeComConnector)).toThrow();
    await off.close();
  });
});
