import {
  Inject,
  Injectable,
  Module,
  Optional,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { COMPONENT_REGISTRY } from '@tagguard/grpc-runtime';
import type { ComponentHandle, ComponentRegistry } from '@tagguard/telemetry';
import type { WeComConfig } from '../config/wecom.config';
import { DIRECTORY_INGEST, type DirectoryIngest } from '../directory/sources/directory-source.port';
import { startCallbackReceiver, type RunningCallbackReceiver } from './wecom-callback.receiver';
import { WeComDirectorySource } from './wecom-directory.source';
import { WeComDirectorySync, type SyncLog } from './wecom-directory.sync';
import { WeComClient } from './wecom.client';
import { serviceLogger } from '../service-logger';

export const WECOM_CONFIG = Symbol('WeComConfig');
const COMPONENT = 'sync-service.wecom-connector';

/**
 * Runs the WeCom contacts connector for the configured tenant: the callback receiver on its own port,
 * each callback re-read and applied, and full pulls (at start and every interval) reconciled. The
 * DirectoryIngest is whatever provides DIRECTORY_INGEST in the application (the directory module).
 */
@Injectable()
export class WeComConnector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = serviceLogger('WeComConnector');
  private receiver: RunningCallbackReceiver | undefined;
  private component: ComponentHandle | undefined;
  sync: WeComDirectorySync | undefined;
  client: WeComClient | undefined;

  constructor(
    @Inject(WECOM_CONFIG) readonly config: WeComConfig,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Optional() @Inject(COMPONENT_REGISTRY) private readonly registry?: ComponentRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const config = this.config;
    let ingest: DirectoryIngest;
    try {
      ingest = this.moduleRef.get<DirectoryIngest>(DIRECTORY_INGEST, { strict: false });
    } catch {
      // A wiring gap, not a configuration one (the directory module is compiled into the same service):
      // said loudly, and the service still starts without the connector.
      this.logger.error(
        'WECOM_CORP_ID is set but nothing provides DIRECTORY_INGEST (the directory module): the WeCom connector is off',
      );
      return;
    }
    this.component = this.registry?.register({ name: COMPONENT, kind: 'process' });
    const log: SyncLog = {
      info: (fields, message) => this.logger.log(`${message} ${JSON.stringify(fields)}`),
      warn: (fields, message) => this.logger.warn(`${message} ${JSON.stringify(fields)}`),
    };
    this.client = new WeComClient({
      baseUrl: config.baseUrl,
      corpId: config.corpId,
      secret: config.secret,
      limits: { perMinute: config.callsPerMinute, perHour: config.callsPerHour },
    });
    const client = this.client;
    const source = new WeComDirectorySource((tenantId) => {
      if (tenantId !== config.tenantId)
        throw new Error(`WeCom is configured for tenant ${config.tenantId}, not ${tenantId}`);
      return { client, ...(config.agentId !== undefined ? { agentId: config.agentId } : {}) };
    });
    const sync = new WeComDirectorySync(source, ingest, log);
    this.sync = sync;
    if (config.callback) {
      this.receiver = await startCallbackReceiver({
        tenantId: config.tenantId,
        keys: {
          token: config.callback.token,
          encodingAesKey: config.callback.encodingAesKey,
          receiveId: config.corpId,
        },
        host: config.callback.host,
        port: config.callback.port,
        path: config.callback.path,
        onSignal: (signal) => void sync.signal(signal),
        onRejected: (reason, remote) =>
          log.warn({ event: 'wecom.callback_rejected', reason, remote }, 'WeCom callback refused'),
        onReplay: (remote) =>
          log.info({ event: 'wecom.callback_replayed', remote }, 'WeCom callback already handled'),
      });
      this.logger.log(`WeCom callbacks on ${this.receiver.url}`);
    }
    // Health follows every pull, whoever started it: unhealthy with the reason until one succeeds again.
    sync.onPull((outcome) => {
      if (outcome.ok) this.component?.set('running');
      else if (outcome.retryInMs !== undefined)
        this.component?.retrying(outcome.error, outcome.failedInARow, outcome.retryInMs);
      else this.component?.set('failed', outcome.error);
    });
    if (!config.pullOnStart) this.component?.set('running');
    sync.schedule(config.tenantId, config.fullSyncIntervalSeconds, {
      pullNow: config.pullOnStart,
      retry: { firstMs: config.pullRetryFirstMs, maxMs: 600_000 },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.sync?.stop();
    await this.receiver?.close();
    await this.sync?.idle();
    this.component?.set('stopped');
  }
}

@Module({})
export class WeComModule {
  /** Off (an empty module) without a config: WECOM_CORP_ID unset. */
  static forRoot(config: WeComConfig | undefined): DynamicModule {
    if (!config) return { module: WeComModule };
    return {
      module: WeComModule,
      providers: [{ provide: WECOM_CONFIG, useValue: config }, WeComConnector],
      exports: [WeComConnector],
    };
  }
}
