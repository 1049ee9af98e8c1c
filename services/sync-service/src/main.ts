import './tracing';
import { runServiceProcess } from '@tagguard/grpc-runtime';
import { KafkaTransport } from '@tagguard/messaging';
import { downstreamConnectors, loadSyncServiceConfig, startSyncService } from './app';

runServiceProcess('sync-service', async () => {
  const config = loadSyncServiceConfig();
  // Without brokers the service still serves gRPC; nothing is published (logged at start).
  const events =
    config.kafkaBrokers.length > 0
      ? new KafkaTransport({ clientId: 'sync-service', brokers: config.kafkaBrokers })
      : undefined;
  const service = await startSyncService(config, events ? { events } : {}, downstreamConnectors());
  if (!events)
    service.logger.warn(
      { event: 'events.off' },
      'KAFKA_BROKERS is not set: no directory events are published',
    );
  return { service, closeAfterStop: events ? [events] : [] };
});
