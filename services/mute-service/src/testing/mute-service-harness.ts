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

export interface Caller {
  tenantId: string;
  actorId: string;
  roles: string[];
}

type Service = 'RuleService' | 'DecideService';
const FILES: Record<Service, string> = {
  RuleService: 'tagguard/mute/v1/rule_service.proto',
  DecideService: 'tagguard/mute/v1/decide_service.proto',
};

/** mute-service as its own OS process on real PostgreSQL and Kafka, in schemas of its own, over real gRPC. */
export class MuteServiceHarness {
  private readonly clients = new Map<Service, grpc.Client>();
  private constructor(
    readonly address: string,
    readonly schema: string,
    private readonly proc: ServiceProcess,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<MuteServiceHarness> {
    const port = await freePort();
    const schema = `mute_${port}_${randomUUID().slice(0, 6)}`;
    return new MuteServiceHarness(
      `127.0.0.1:${port}`,
      schema,
      await startServiceProcess(
        'mute-service',
        {
          GRPC_PORT: String(port),
          DATABASE_URL: testInfra().postgresUrl,
          DATABASE_SCHEMA: schema,
          EVENTSTORE_SCHEMA: `${schema}_es`,
          KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
          ...env,
        },
        90_000,
      ),
    );
  }

  async stop(): Promise<void> {
    for (const c of this.clients.values()) c.close();
    await this.proc.stop('SIGTERM');
  }

  static admin(tenantId = `tenant-${randomUUID().slice(0, 8)}`, roles = ['tenant_admin']): Caller {
    return { tenantId, actorId: 'admin-1', roles };
  }

  private client(service: Service): grpc.Client {
    let client = this.clients.get(service);
    if (!client) {
      client = tagguardClient<grpc.Client>(this.address, FILES[service], protoRoot(), [
        'tagguard',
        'mute',
        'v1',
        service,
      ]);
      this.clients.set(service, client);
    }
    return client;
  }

  /** The caller's bearer token, and any other metadata keys (e.g. `tg-consistency-token`). */
  metadata(caller?: Caller, extra: Record<string, string> = {}): grpc.Metadata {
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
    if (caller)
      metadata.set(
        'authorization',
        `Bearer ${signToken({ tenantId: caller.tenantId, actorId: caller.actorId, roles: caller.roles }, loadDevPrivateKey())}`,
      );
    return metadata;
  }

  call<T = Record<string, unknown>>(
    method: string,
    request: object,
    caller?: Caller,
    service: Service = 'RuleService',
    extra: Record<string, string> = {},
  ): Promise<T> {
    const client = this.client(service);
    const fn = (
      client as unknown as Record<
        string,
        (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: T) => void) => void
      >
    )[method];
    if (!fn) throw new Error(`no method ${method}`);
    return new Promise((resolve, reject) =>
      fn.call(client, request, this.metadata(caller, extra), (e, v) => (e ? reject(e) : resolve(v))),
    );
  }

  decide<T = Record<string, unknown>>(
    method: string,
    request: object,
    caller?: Caller,
    extra: Record<string, string> = {},
  ): Promise<T> {
    return this.call<T>(method, request, caller, 'DecideService', extra);
  }

  /** The bidirectional DecideStream: writes the requests, collects the answers until the server ends. */
  stream<T = Record<string, unknown>>(
    requests: object[],
    caller: Caller,
    extra: Record<string, string> = {},
  ): Promise<T[]> {
    const client = this.client('DecideService') as unknown as {
      decideStream(m: grpc.Metadata): grpc.ClientDuplexStream<object, T>;
    };
    const call = client.decideStream(this.metadata(caller, extra));
    const answers: T[] = [];
    return new Promise((resolve, reject) => {
      call.on('data', (d: T) => answers.push(d));
      call.on('error', reject);
      call.on('end', () => resolve(answers));
      for (const r of requests) call.write(r);
      call.end();
    });
  }

  /** DecideStream that is expected to end with an error: the answers before it, and its status and field. */
  streamFailure<T = Record<string, unknown>>(requests: object[], caller: Caller) {
    const client = this.client('DecideService') as unknown as {
      decideStream(m: grpc.Metadata): grpc.ClientDuplexStream<object, T>;
    };
    const call = client.decideStream(this.metadata(caller));
    const answers: T[] = [];
    return new Promise<{ answers: T[]; code: grpc.status; field: string }>((resolve, reject) => {
      call.on('data', (d: T) => answers.push(d));
      call.on('error', (e: grpc.ServiceError) =>
        resolve({ answers, code: e.code, field: String(e.metadata.get('tg-field')[0] ?? '') }),
      );
      call.on('end', () => reject(new Error('the stream ended without an error')));
      for (const r of requests) call.write(r);
      call.end();
    });
  }

  async failure(
    method: string,
    request: object,
    caller?: Caller,
    service: Service = 'RuleService',
    extra: Record<string, string> = {},
  ) {
    try {
      await this.call(method, request, caller, service, extra);
    } catch (error) {
      const e = error as grpc.ServiceError;
      return {
        code: e.code,
        field: String(e.metadata.get('tg-field')[0] ?? ''),
        errorCode: String(e.metadata.get('tg-error-code')[0] ?? ''),
        details: e.details,
      };
    }
    throw new Error(`${method} succeeded, a failure was expected`);
  }
}
