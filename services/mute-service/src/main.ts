import './tracing';
import { runServiceProcess } from '@tagguard/grpc-runtime';
import { KafkaTransport } from '@tagguard/messaging';
import { loadMuteServiceConfig, startMuteService } from './app';

runServiceProcess('mute-service', async () => {
  const config = loadMuteServiceConfig();
  // Without brokers the service still serves gRPC; nothing is published, ingested or copied.
  const events =
    config.kafkaBrokers.length > 0
      ? new KafkaTransport({ clientId: 'mute-service', brokers: config.kafkaBrokers })
      : undefined;
  const service = await startMuteService(config, events ? { events } : {});
  if (!events)
    service.logger.warn(
      { event: 'events.off' },
      'KAFKA_BROKERS is not set: no mute events or deliveries are published, no messages ingested, no copies fed',
    );
  return { service, closeAfterStop: events ? [events] : [] };
});
