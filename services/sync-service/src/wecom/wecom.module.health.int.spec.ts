import 'reflect-metadata';
import { Global, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { COMPONENT_REGISTRY } from '@tagguard/grpc-runtime';
import { ComponentRegistry } from '@tagguard/telemetry';
import { demoDirectory, startWeComSandbox, type WeComSandbox } from '@tagguard/wecom-sandbox';
import { loadWeComConfig } from '../config/wecom.config';
import { DIRECTORY_INGEST } from '../directory/sources/directory-source.port';
import { RecordingIngest } from './testing/recording-ingest';
import { WeComConnector, WeComModule } from './wecom.module';

const CORP = 'wwhealth000000001';
const registry = new ComponentRegistry();
const ingest = new RecordingIngest();

@Global()
@Module({
  providers: [
    { provide: DIRECTORY_INGEST, useValue: ingest },
    { provide: COMPONENT_REGISTRY, useValue: registry },
  ],
  exports: [COMPONENT_REGISTRY],
})
class Runtime {}

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
const connectorStatus = () => registry.list().find((c) => c.name === 'sync-service.wecom-connector');

// A revoked secret (gettoken answers 40001) must show in health, and a failed pull must be retried soon,
// not at the next 6-hourly pull; a good pull makes the connector healthy again.
describe('WeCom connector health follows every pull', () => {
  let sandbox: WeComSandbox;
  let app: INestApplicationContext;
  beforeAll(async () => {
    sandbox = await startWeComSandbox({ corps: [{ corpId: CORP, secret: 'sec' }] });
    sandbox.admin(CORP).seed(demoDirectory());
    sandbox.admin(CORP).config.secret = 'revoked'; // the configured secret no longer works
    const config = loadWeComConfig({
      WECOM_CORP_ID: CORP,
      WECOM_TENANT_ID: 'tenant-h',
      WECOM_SECRET: 'sec',
      WECOM_BASE_URL: sandbox.url,
      WECOM_PULL_RETRY_FIRST_MS: '100',
    })!;
    @Module({ imports: [Runtime, WeComModule.forRoot(config)] })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    await app.init();
  });
  afterAll(async () => {
    await app?.close();
    await sandbox?.close();
  });

  it('a failed start pull: unhealthy with the reason, retried with backoff, healthy after the retry that works', async () => {
    await eventually(() =>
      expect(connectorStatus()).toMatchObject({
        state: 'retrying',
        lastError: expect.stringContaining('40001'),
      }),
    );
    // Retried (at 100, 200, 400… ms), not at the 6-hourly pull; an administrator restores the secret.
    await eventually(() => expect(connectorStatus()?.retries).toBeGreaterThanOrEqual(2));
    expect(connectorStatus()?.state).toBe('retrying');
    expect(ingest.reconciled).toHaveLength(0);
    sandbox.admin(CORP).config.secret = 'sec';
    await eventually(() => expect(connectorStatus()?.state).toBe('running'));
    expect(ingest.reconciled).toHaveLength(1);
  });

  it('a later pull that fails (the secret revoked) turns health back to failing, and the retry recovers it', async () => {
    const connector = app.get(WeComConnector);
    sandbox.admin(CORP).config.secret = 'revoked';
    sandbox.admin(CORP).revokeTokens();
    await expect(connector.sync!.fullSync('tenant-h')).rejects.toThrow('40001');
    expect(connectorStatus()).toMatchObject({
      state: 'retrying',
      lastError: expect.stringContaining('40001'),
    });
    sandbox.admin(CORP).config.secret = 'sec';
    await eventually(() => expect(connectorStatus()?.state).toBe('running'));
    expect(ingest.reconciled).toHaveLength(2);
  });
});
