import {
  readEventSourcedConfig,
  readServingConfig,
  type EventSourcedConfig,
  type ServingConfig,
} from '@tagguard/grpc-runtime';

export type MuteServiceConfig = ServingConfig & EventSourcedConfig;

/** Reads and validates the environment; a missing or bad variable fails the start, naming it. */
export function loadMuteServiceConfig(
  env: Record<string, string | undefined> = process.env,
): MuteServiceConfig {
  return {
    ...readServingConfig(env, 50053),
    ...readEventSourcedConfig(env, {
      eventStoreSchema: 'mute_eventstore',
      databaseSchema: 'mute_service',
      relayBatchSize: 500,
    }),
  };
}
