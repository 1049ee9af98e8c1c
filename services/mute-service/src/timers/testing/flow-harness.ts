import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { protoRoot } from '@tagguard/grpc-runtime';
import {
  freePort,
  startServiceProcess,
  tagguardClient,
  testInfra,
  type ServiceProcess,
} from '@tagguard/testing';
import type { Caller } from '../../testing/mute-service-harness';

type Service = 'RuleService' | 'DecideService' | 'UnmuteService' | 'HoldService' | 'AutomationService';
const FILES: Record<Service, string> = {
  RuleService: 'tagguard/mute/v1/rule_service.proto',
  DecideService: 'tagguard/mute/v1/decide_service.proto',
  UnmuteService: 'tagguard/mute/v1/flow_service.proto',
  HoldService: 'tagguard/mute/v1/flow_service.proto',
  AutomationService: 'tagguard/mute/v1/flow_service.proto',
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

/**
 * mute-service as its own OS process on real PostgreSQL and Kafka, restartable on the same schemas and port
 * (a SIGKILL then a restart is the same service coming back), over real gRPC.
 */
export class FlowHarness {
  private readonly clients = new Map<Service, grpc.Client>();
  proc!: ServiceProcess;
  readonly schema: string;
  readonly tenant: Caller = {
    tenantId: `t-${randomUUID().slice(0, 8)}`,
    actorId: 'admin-1',
    roles: ['tenant_admin'],
  };

  private constructor(readonly port: number) {
    this.schema = `mute_flow_${port}_${randomUUID().slice(0, 6)}`;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(env: Record<string, string> = {}): Promise<FlowHarness> {
    const h = new FlowHarness(await freePort());
    await h.startService(env);
    return h;
  }

  async startService(env: Record<string, string> = {}): Promise<void> {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    this.proc = await startServiceProcess(
      'mute-service',
      {
        GRPC_PORT: String(this.port),
        DATABASE_URL: testInfra().postgresUrl,
        DATABASE_SCHEMA: this.schema,
        EVENTSTORE_SCHEMA: `${this.schema}_es`,
        KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
        MUTE_FLOW_TICK_MS: '100',
        KAFKA_CONSUMER_GROUP_SUFFIX: `-${this.schema}`,
        ...env,
      },
      90_000,
    );
  }

  async stop(): Promise<void> {
    for (const c of this.clients.values()) c.close();
    await this.proc.stop('SIGTERM');
  }

  private client(service: Service): grpc.Client {
    let c = this.clients.get(service);
    if (!c) {
      c = tagguardClient<grpc.Client>(this.address, FILES[service], protoRoot(), [
        'tagguard',
        'mute',
        'v1',
        service,
      ]);
      this.clients.set(service, c);
    }
    return c;
  }

  metadata(caller: Caller = this.tenant): grpc.Metadata {
    const m = new grpc.Metadata();
    m.set('authorization', `Bearer ${signToken(caller, loadDevPrivateKey())}`);
    return m;
  }

  call<T = Loose>(
    service: Service,
    method: string,
    request: object,
    caller: Caller = this.tenant,
  ): Promise<T> {
    const client = this.client(service) as unknown as Record<
      string,
      (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: T) => void) => void
    >;
    const fn = client[method];
    if (!fn) throw new Error(`no method ${service}.${method}`);
    return new Promise((resolve, reject) =>
      fn.call(client, request, this.metadata(caller), (e, v) => (e ? reject(e) : resolve(v))),
    );
  }

  async failure(service: Service, method: string, request: object, caller: Caller = this.tenant) {
    try {
      await this.call(service, method, request, caller);
    } catch (error) {
      const e = error as grpc.ServiceError;
      return { code: e.code, field: String(e.metadata.get('tg-field')[0] ?? ''), details: e.details };
    }
    throw new Error(`${method} succeeded, a failure was expected`);
  }
}
