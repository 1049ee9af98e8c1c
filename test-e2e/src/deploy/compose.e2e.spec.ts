import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { loadAuditServiceConfig } from '@tagguard/audit-service';
import { loadMuteServiceConfig } from '@tagguard/mute-service';
import { loadPermissionServiceConfig } from '@tagguard/permission-service';
import { loadSyncServiceConfig } from '@tagguard/sync-service';
import { loadTagServiceConfig } from '@tagguard/tag-service';

// No Docker engine runs here, so docker-compose.yml is never started in CI. What can be checked without
// one is checked: each service's environment in the file satisfies that service's own config reader,
// and the distributed mode has the infrastructure the brief fixes.
const compose = YAML.parse(readFileSync(join(__dirname, '..', '..', '..', 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, { environment?: Record<string, string>; image?: string }> };

describe('docker-compose.yml (distributed mode)', () => {
  it.each([
    ['tag-service', loadTagServiceConfig],
    ['permission-service', loadPermissionServiceConfig],
    ['mute-service', loadMuteServiceConfig],
    ['audit-service', loadAuditServiceConfig],
    ['sync-service', loadSyncServiceConfig],
  ] as const)('%s: its environment passes its config reader, with Kafka and OTLP set', (name, load) => {
    const env = compose.services[name]?.environment;
    expect(env).toBeDefined();
    expect(() => load(env!)).not.toThrow();
    expect(env).toMatchObject({
      KAFKA_BROKERS: 'kafka:9092',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
      OTEL_SERVICE_NAME: name,
    });
  });

  it('runs Kafka, KurrentDB, PostgreSQL, an OpenTelemetry collector and Jaeger, and tag-service on KurrentDB', () => {
    const images = Object.values(compose.services).map((s) => s.image?.split(':')[0]);
    expect(images).toEqual(
      expect.arrayContaining([
        'apache/kafka',
        'kurrentplatform/kurrentdb',
        'postgres',
        'otel/opentelemetry-collector-contrib',
        'jaegertracing/all-in-one',
      ]),
    );
    expect(loadTagServiceConfig(compose.services['tag-service']!.environment!).eventStoreUrl).toMatch(
      /^kurrentdb:\/\//,
    );
  });
});
