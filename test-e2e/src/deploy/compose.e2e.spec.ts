import { spawnSync } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { loadAuditServiceConfig } from '@tagguard/audit-service';
import { loadMuteServiceConfig } from '@tagguard/mute-service';
import { loadPermissionServiceConfig } from '@tagguard/permission-service';
import { loadSyncServiceConfig } from '@tagguard/sync-service';
import { loadTagServiceConfig } from '@tagguard/tag-service';
import { grpcChannelCredentials, protoRoot } from '@tagguard/grpc-runtime';
import {
  checkHealth,
  freePort,
  generateComposeSecrets,
  startServiceProcess,
  tagguardClient,
  testInfra,
} from '@tagguard/testing';

// No Docker engine runs here, so docker-compose.yml is never started in CI. What can be checked without
// one is checked: each service's environment in the file, with what deploy/compose/setup.sh generates at
// the paths compose mounts, satisfies that service's own config reader (keys, TLS), and the distributed
// mode has the infrastructure the brief fixes.
const root = join(__dirname, '..', '..', '..');
interface ComposeService {
  environment?: Record<string, string>;
  image?: string;
  env_file?: { path: string; required: boolean }[];
  volumes?: { type: string; source: string; target: string; read_only: boolean; bind?: object }[];
}
const compose = YAML.parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, ComposeService> };
const SERVICES = [
  ['tag-service', loadTagServiceConfig],
  ['permission-service', loadPermissionServiceConfig],
  ['mute-service', loadMuteServiceConfig],
  ['audit-service', loadAuditServiceConfig],
  ['sync-service', loadSyncServiceConfig],
] as const;

/** The container's environment (env_file, then environment), with /run/tagguard as setup.sh wrote it here. */
function containerEnv(name: string, secrets: { dir: string; services: string }): Record<string, string> {
  const service = compose.services[name]!;
  const fromFile = Object.fromEntries(
    readFileSync(join(secrets.dir, 'compose.env'), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return Object.fromEntries(
    Object.entries({ ...fromFile, ...service.environment }).map(([k, v]) => [
      k,
      String(v).replace(/^\/run\/tagguard\//, `${secrets.services}/`),
    ]),
  );
}

describe('docker-compose.yml (distributed mode)', () => {
  const secrets = generateComposeSecrets();
  const mutual = generateComposeSecrets({ mtls: true });

  it.each(SERVICES)(
    '%s: its environment with the generated secrets passes its config reader, with Kafka, OTLP and TLS set',
    (name, load) => {
      const env = containerEnv(name, secrets);
      const config = load(env);
      expect(config.grpcTls).toBeDefined();
      expect(config.grpcTls?.clientCa).toBeUndefined();
      expect(load(containerEnv(name, mutual)).grpcTls?.clientCa).toBeDefined();
      expect(env).toMatchObject({
        GRPC_HOST: '0.0.0.0',
        KAFKA_BROKERS: 'kafka:9092',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
        OTEL_SERVICE_NAME: name,
      });
    },
  );

  it.each([
    ['tag-service', loadTagServiceConfig],
    ['audit-service', loadAuditServiceConfig],
    ['sync-service', loadSyncServiceConfig],
  ] as const)('%s verifies tokens with the generated key, and without it refuses to start', (name, load) => {
    const env = containerEnv(name, secrets);
    expect(load(env).auth).toMatchObject({
      development: false,
      source: `${secrets.services}/signing-key.pub.pem`,
    });
    const { AUTH_PUBLIC_KEY_FILE: _key, ...withoutKey } = env;
    expect(() => load(withoutKey)).toThrow(/^AUTH_PUBLIC_KEY_FILE: .*AUTH_ALLOW_DEV_KEY/);
  });

  it('every service refuses to start without setup.sh: a required env_file and a mount with no fallback', () => {
    for (const [name] of SERVICES) {
      const service = compose.services[name]!;
      expect(service.env_file).toEqual([{ path: './deploy/compose/secrets/compose.env', required: true }]);
      expect(service.volumes).toEqual([
        expect.objectContaining({
          type: 'bind',
          source: './deploy/compose/secrets/services',
          target: '/run/tagguard',
          read_only: true,
          bind: { create_host_path: false },
        }),
      ]);
    }
  });

  it('no generated secret is committed or sent to an image build: deploy/compose/secrets is ignored by git and docker', () => {
    const ignored = spawnSync('git', ['check-ignore', '-q', 'deploy/compose/secrets/signing-key.pem'], {
      cwd: root,
    });
    expect(ignored.status).toBe(0);
    const tracked = spawnSync('git', ['ls-files', 'deploy/compose'], { cwd: root, encoding: 'utf8' });
    expect(tracked.stdout.trim().split('\n')).toEqual(['deploy/compose/setup.sh']);
    // Nor the image's build context.
    expect(readFileSync(join(root, '.dockerignore'), 'utf8').split('\n')).toContain('deploy/compose/secrets');
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
    expect(loadTagServiceConfig(containerEnv('tag-service', secrets)).eventStoreUrl).toMatch(
      /^kurrentdb:\/\//,
    );
  });

  it.each([
    ['TLS', secrets],
    ['mTLS', mutual],
  ] as const)(
    'mute-service as a process with its compose environment serves %s on its port',
    async (mode, generated) => {
      // Its compose environment, on loopback (nothing listens beyond it here), without Kafka or OTLP.
      const {
        KAFKA_BROKERS: _k,
        OTEL_EXPORTER_OTLP_ENDPOINT: _o,
        OTEL_TRACES_EXPORTER: _t,
        ...env
      } = containerEnv('mute-service', generated);
      const port = await freePort();
      const schema = `compose_mute_${port}`;
      const proc = await startServiceProcess('mute-service', {
        ...env,
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(port),
        // The compose database is `postgres:5432` inside the compose network; here the test's own.
        DATABASE_URL: testInfra().postgresUrl,
        EVENTSTORE_URL: testInfra().postgresUrl,
        DATABASE_SCHEMA: schema,
        EVENTSTORE_SCHEMA: `${schema}_es`,
      });
      try {
        const ca = generated.read('services/ca.pem');
        const operator = { ca, cert: generated.read('client.pem'), key: generated.read('client.key') };
        const address = `localhost:${port}`;
        await expect(checkHealth(address, '', grpcChannelCredentials(operator))).resolves.toBe('SERVING');
        await expect(checkHealth(address)).rejects.toMatchObject({ code: status.UNAVAILABLE });
        const withoutCert = checkHealth(address, '', grpcChannelCredentials({ ca }));
        if (mode === 'TLS') await expect(withoutCert).resolves.toBe('SERVING');
        else await expect(withoutCert).rejects.toMatchObject({ code: status.UNAVAILABLE });
        expect(proc.lines).toContainEqual(
          expect.objectContaining({ event: 'service.started', tls: mode.toLowerCase() }),
        );
      } finally {
        await proc.stop('SIGTERM');
      }
    },
    60_000,
  );

  it('tag-service with its compose environment takes tokens of the generated key and refuses forged ones', async () => {
    // The attack the distributed mode was open to: a tenant-admin token minted with the committed key.
    const {
      KAFKA_BROKERS: _k,
      OTEL_EXPORTER_OTLP_ENDPOINT: _o,
      OTEL_TRACES_EXPORTER: _t,
      ...env
    } = containerEnv('tag-service', secrets);
    const port = await freePort();
    const schema = `compose_tag_${port}`;
    const proc = await startServiceProcess('tag-service', {
      ...env,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(port),
      DATABASE_URL: testInfra().postgresUrl,
      EVENTSTORE_URL: testInfra().postgresUrl,
      DATABASE_SCHEMA: schema,
      EVENTSTORE_SCHEMA: `${schema}_es`,
    });
    const client = tagguardClient<grpc.Client>(
      `localhost:${port}`,
      'tagguard/tag/v1/tag_service.proto',
      protoRoot(),
      ['tagguard', 'tag', 'v1', 'TagService'],
      grpcChannelCredentials({ ca: secrets.read('services/ca.pem') }),
    );
    const listTags = (privateKey: string) =>
      new Promise<grpc.ServiceError | null>((resolve) => {
        const metadata = new grpc.Metadata();
        const token = signToken(
          { tenantId: 'tenant-a', actorId: 'admin-1', roles: ['tenant_admin'] },
          privateKey,
        );
        metadata.set('authorization', `Bearer ${token}`);
        (client as unknown as Record<string, (...a: unknown[]) => void>)['ListTags']!.call(
          client,
          { pageSize: 20 },
          metadata,
          (error: grpc.ServiceError | null) => resolve(error),
        );
      });
    try {
      expect(await listTags(secrets.read('signing-key.pem').toString())).toBeNull();
      expect(await listTags(loadDevPrivateKey())).toMatchObject({ code: status.UNAUTHENTICATED });
    } finally {
      client.close();
      await proc.stop('SIGTERM');
    }
  }, 60_000);
});
