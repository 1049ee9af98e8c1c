import {
  readEventSourcedConfig,
  readServingConfig,
  type EventSourcedConfig,
  type ServingConfig,
} from '@tagguard/grpc-runtime';

export type PermissionServiceConfig = ServingConfig & EventSourcedConfig;

/** Reads and validates the environment; a missing or bad variable fails the start, naming it. */
export function loadPermissionServiceConfig(
  env: Record<string, string | undefined> = process.env,
): PermissionServiceConfig {
  return {
    ...readServingConfig(env, 50052),
    ...readEventSourcedConfig(env, {
      eventStoreSchema: 'permission_eventstore',
      databaseSchema: 'permission_service',
      relayBatchSize: 500,
    }),
  };
}
