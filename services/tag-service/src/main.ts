import './tracing';
import { runServiceProcess } from '@tagguard/grpc-runtime';
import { KafkaTransport } from '@tagguard/messaging';
import { loadTagServiceConfig, startTagService } from './app';

runServiceProcess('tag-service', async () => {
  const config = loadTagServiceConfig();
  // Without brokers the service still serves gRPC; nothing is published or consumed (logged at start).
  const events =
    config.kafkaBrokers.length > 0
      ? new KafkaTransport({ clientId: 'tag-service', brokers: config.kafkaBrokers })
      : undefined;
  const service = await startTagService(config, events ? { events } : {});
  if (!events)
    service.logger.warn(
      { event: 'events.off' },
      'KAFKA_BROKERS is not set: no events are published or consumed',
    );
  return { service, closeAfterStop: events ? [events] : [] };
});
