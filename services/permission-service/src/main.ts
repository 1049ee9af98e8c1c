import './tracing';
import { runServiceProcess } from '@tagguard/grpc-runtime';
import { KafkaTransport } from '@tagguard/messaging';
import { loadPermissionServiceConfig, startPermissionService } from './app';

runServiceProcess('permission-service', async () => {
  const config = loadPermissionServiceConfig();
  // Without brokers the service still serves gRPC; nothing is published and the copies stay as they are.
  const events =
    config.kafkaBrokers.length > 0
      ? new KafkaTransport({ clientId: 'permission-service', brokers: config.kafkaBrokers })
      : undefined;
  const service = await startPermissionService(config, events ? { events } : {});
  if (!events)
    service.logger.warn(
      { event: 'events.off' },
      'KAFKA_BROKERS is not set: no policy events are published, no directory or tag events are read',
    );
  return { service, closeAfterStop: events ? [events] : [] };
});
