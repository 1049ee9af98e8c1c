import '../../tracing';
import { runServiceProcess } from '@tagguard/grpc-runtime';
import { KafkaTransport } from '@tagguard/messaging';
import { downstreamConnectors, loadSyncServiceConfig, startSyncService } from '../../app';
import { HttpMemoryDownstreamDirectory } from './memory-downstream';

// TEST SUPPORT ONLY: sync-service as its own process, offering one extra connector, "test-http", that
// writes to the MemoryDownstreamServer at TEST_DOWNSTREAM_URL (in the test's process, so a SIGKILL of this
// process leaves the downstream as it was). The production main.ts never offers it.
runServiceProcess('sync-service', async () => {
  const config = loadSyncServiceConfig();
  const url = process.env['TEST_DOWNSTREAM_URL'];
  if (!url) throw new Error('TEST_DOWNSTREAM_URL is required');
  const events =
    config.kafkaBrokers.length > 0
      ? new KafkaTransport({ clientId: 'sync-service', brokers: config.kafkaBrokers })
      : undefined;
  const service = await startSyncService(config, events ? { events } : {}, {
    ...downstreamConnectors(),
    'test-http': () => new HttpMemoryDownstreamDirectory(url),
  });
  return { service, closeAfterStop: events ? [events] : [] };
});
