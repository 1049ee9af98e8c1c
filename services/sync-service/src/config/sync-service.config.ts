import {
  readEventSourcedConfig,
  readServingConfig,
  type EventSourcedConfig,
  type ServingConfig,
} from '@tagguard/grpc-runtime';
import { loadWeComConfig, type WeComConfig } from './wecom.config';

export interface SyncServiceConfig extends ServingConfig, EventSourcedConfig {
  /** The WeCom contacts connector (WECOM_*); off when WECOM_CORP_ID is unset. */
  wecom?: WeComConfig;
}

/** Reads and validates the environment; a missing or bad variable fails the start, naming it. */
export function loadSyncServiceConfig(
  env: Record<string, string | undefined> = process.env,
): SyncServiceConfig {
  return {
    ...readServingConfig(env, 50055),
    ...readEventSourcedConfig(env, {
      eventStoreSchema: 'sync_eventstore',
      databaseSchema: 'sync_service',
      relayBatchSize: 500,
    }),
    wecom: loadWeComConfig(env),
  };
}
