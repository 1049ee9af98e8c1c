import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { TAG_EVENTS_TOPIC_V1, type TagIntegrationEventV1 } from '@tagguard/contracts';
import { protoRoot } from '@tagguard/grpc-runtime';
import { KafkaTransport, type MessagePublisher } from '@tagguard/messaging';
import {
  freePort,
  startServiceProcess,
  tagguardClient,
  testInfra,
  type ServiceProcess,
} from '@tagguard/testing';
import { MemoryDownstreamServer } from './memory-downstream';

export interface Caller {
  tenantId: string;
  actorId: string;
  roles: string[];
}

// Answers are read loosely in specs (deep fields of generated messages).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;
type Unary = (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: unknown) => void) => void;
type Streaming = (r: object, m: grpc.Metadata) => grpc.ClientReadableStream<unknown>;

/**
 * sync-service as its own OS process (the test entry offering the "test-http" connector) on real
 * PostgreSQL and Kafka, a MemoryDownstreamServer in this process, gRPC over sockets with signed tokens,
 * and tag-service's public topic fed as tag-service's relay would.
 */
export class DownstreamHarness {
  private clients = new Map<string, grpc.Client>();
  proc!: ServiceProcess;
  private publisher?: MessagePublisher;
  private transport?: KafkaTransport;
  readonly schema = `sync_ds_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  readonly tenant: Caller = {
    tenantId: `t-${randomUUID().slice(0, 8)}`,
    actorId: 'admin-1',
    roles: ['tenant_admin'],
  };
  address = '';

  private constructor(readonly downstream: MemoryDownstreamServer) {}

  /** `production`: the service's own main.ts (its production connectors only, e.g. "ldap" from LDAP_*). */
  private production = false;

  /** `env` may depend on the harness (e.g. WECOM_TENANT_ID: its tenant). */
  static async start(
    env: Record<string, string> | ((h: DownstreamHarness) => Record<string, string>) = {},
    options: { production?: boolean } = {},
  ): Promise<DownstreamHarness> {
    const h = new DownstreamHarness(await MemoryDownstreamServer.start());
    h.production = options.production ?? false;
    await h.startService(typeof env === 'function' ? env(h) : env);
    return h;
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      DATABASE_URL: testInfra().postgresUrl,
      DATABASE_SCHEMA: this.schema,
      EVENTSTORE_SCHEMA: `${this.schema}_es`,
      KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
      TEST_DOWNSTREAM_URL: this.downstream.url,
      ...extra,
    };
  }

  async startService(env: Record<string, string> = {}): Promise<void> {
    const port = this.address ? this.address.split(':')[1]! : String(await freePort());
    this.address = `127.0.0.1:${port}`;
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    this.proc = await startServiceProcess(
      'sync-service',
      this.env({ GRPC_PORT: port, ...env }),
      60_000,
      this.production
        ? join('services', 'sync-service', 'src', 'main.ts')
        : join(
            'services',
            'sync-service',
            'src',
            'downstream',
            'testing',
            'sync-service-with-test-downstream.main.ts',
          ),
    );
  }

  async stop(): Promise<void> {
    for (const c of this.clients.values()) c.close();
    await this.proc.stop('SIGTERM');
    await this.publisher?.close();
    await this.transport?.close();
    await this.downstream.stop();
  }

  private client(service: 'DirectoryService' | 'DownstreamService'): Record<string, Unary & Streaming> {
    let c = this.clients.get(service);
    if (!c) {
      const file = service === 'DirectoryService' ? 'directory_service' : 'downstream_service';
      c = tagguardClient<grpc.Client>(this.address, `tagguard/sync/v1/${file}.proto`, protoRoot(), [
        'tagguard',
        'sync',
        'v1',
        service,
      ]);
      this.clients.set(service, c);
    }
    return c as unknown as Record<string, Unary & Streaming>;
  }

  metadata(caller: Caller = this.tenant): grpc.Metadata {
    const m = new grpc.Metadata();
    m.set('authorization', `Bearer ${signToken(caller, loadDevPrivateKey())}`);
    return m;
  }

  call<T = Loose>(
    service: 'DirectoryService' | 'DownstreamService',
    method: string,
    request: object,
    caller: Caller = this.tenant,
  ): Promise<T> {
    const client = this.client(service);
    return new Promise((resolve, reject) =>
      (client[method] as Unary).call(
        client,
        request,
        this.metadata(caller),
        (e: grpc.ServiceError | null, v: unknown) => (e ? reject(e) : resolve(v as T)),
      ),
    );
  }

  directory<T = Loose>(method: string, request: object): Promise<T> {
    return this.call<T>('DirectoryService', method, request);
  }

  downstreamCall<T = Loose>(method: string, request: object, caller?: Caller): Promise<T> {
    return this.call<T>('DownstreamService', method, request, caller);
  }

  /** Every message of a server stream (rejects with the stream's error). */
  stream<T = Loose>(method: string, request: object): Promise<T[]> {
    const client = this.client('DownstreamService');
    const s = (client[method] as Streaming).call(
      client,
      request,
      this.metadata(),
    ) as grpc.ClientReadableStream<T>;
    const out: T[] = [];
    return new Promise((resolve, reject) => {
      s.on('data', (m: T) => out.push(m));
      s.on('error', reject);
      s.on('end', () => resolve(out));
    });
  }

  async failure(
    service: 'DirectoryService' | 'DownstreamService',
    method: string,
    request: object,
    caller?: Caller,
  ) {
    try {
      await this.call(service, method, request, caller);
    } catch (error) {
      const e = error as grpc.ServiceError;
      return { code: e.code, field: String(e.metadata.get('tg-field')[0] ?? ''), details: e.details };
    }
    throw new Error(`${method} succeeded, a failure was expected`);
  }

  /** Publishes tag events on tag-service's topic, keyed by tag as its relay does. */
  async publishTagEvents(events: TagIntegrationEventV1[]): Promise<void> {
    if (!this.publisher) {
      this.transport = new KafkaTransport({
        clientId: 'test-tag-service',
        brokers: testInfra().kafkaBrokers,
      });
      await this.transport.ensureTopics([TAG_EVENTS_TOPIC_V1]);
      this.publisher = await this.transport.publisher();
    }
    await this.publisher.publish(
      events.map((e) => ({
        topic: TAG_EVENTS_TOPIC_V1,
        key: 'tagId' in e.data ? String(e.data.tagId) : e.data.tenantId,
        eventId: randomUUID(),
        type: e.type,
        schemaVersion: 1,
        data: e.data,
        metadata: {
          tenantId: e.data.tenantId,
          actorId: 'tag-admin',
          correlationId: randomUUID(),
          occurredAt: new Date().toISOString(),
        },
      })),
    );
  }
}
