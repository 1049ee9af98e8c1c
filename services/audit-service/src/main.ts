import './tracing';
import { runServiceProcess } from '@tagguard/grpc-runtime';
import { KafkaTransport } from '@tagguard/messaging';
import { loadAuditServiceConfig, startAuditService } from './app';

runServiceProcess('audit-service', async () => {
  const config = loadAuditServiceConfig();
  // Without brokers the service still serves gRPC; nothing is published or consumed (logged at start).
  const events =
    config.kafkaBrokers.length > 0
      ? new KafkaTransport({
          clientId: 'audit-service',
          brokers: config.kafkaBrokers,
          sessionTimeoutMs: config.kafkaSessionTimeoutMs,
        })
      : undefined;
  const service = await startAuditService(config, events ? { events } : {});
  if (!events)
    service.logger.warn(
      { event: 'events.off' },
      'KAFKA_BROKERS is not set: no events are published or consumed',
    );
  return { service, closeAfterStop: events ? [events] : [] };
});
