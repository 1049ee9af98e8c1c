import { readEnv } from '@tagguard/config';
import {
  readEventSourcedConfig,
  readServingConfig,
  type EventSourcedConfig,
  type ServingConfig,
} from '@tagguard/grpc-runtime';

export interface TagServiceConfig extends ServingConfig, EventSourcedConfig {
  /** How often the recycle bin's timer looks for due purges and expired approvals. */
  purgeIntervalMs: number;
  /** A snapshot of a catalogue or members stream every this many events (time-machine reads). */
  snapshotEvery: number;
  /** How often an instance folds in the policy rows other instances' consumers wrote. */
  policyRefreshMs: number;
}

export function loadTagServiceConfig(
  env: Record<string, string | undefined> = process.env,
): TagServiceConfig {
  const read = readEnv(env);
  return {
    ...readServingConfig(env, 50051),
    ...readEventSourcedConfig(env, {
      eventStoreSchema: 'eventstore',
      databaseSchema: 'tag_service',
      relayBatchSize: 200,
    }),
    purgeIntervalMs: read.integer('PURGE_INTERVAL_MS', { fallback: 30_000, min: 100, max: 3_600_000 }),
    snapshotEvery: read.integer('SNAPSHOT_EVERY', { fallback: 500, min: 10, max: 1_000_000 }),
    policyRefreshMs: read.integer('POLICY_REFRESH_MS', { fallback: 500, min: 50, max: 60_000 }),
  };
}
