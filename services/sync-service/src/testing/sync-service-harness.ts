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

/**
 * sync-service as its own OS process on real PostgreSQL and Kafka, in schemas of its own, called over
 * real gRPC sockets with signed tokens.
 */
export class SyncServiceHarness {
  private client?: grpc.Client;
  private constructor(
    readonly address: string,
    private readonly proc: ServiceProcess,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<SyncServiceHarness> {
    const port = await freePort();
    const schema = `sync_${port}_${randomUUID().slice(0, 6)}`;
    return new SyncServiceHarness(
      `127.0.0.1:${port}`,
      await startServiceProcess('sync-service', {
        GRPC_PORT: String(port),
        DATABASE_URL: testInfra().postgresUrl,
        DATABASE_SCHEMA: schema,
        EVENTSTORE_SCHEMA: `${schema}_es`,
        KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
        ...env,
      }),
    );
  }

  async stop(): Promise<void> {
    this.client?.close();
    await this.proc.stop('SIGTERM');
  }

  /** A caller of a fresh tenant (tests never share tenants), a tenant admin unless told otherwise. */
  static admin(tenantId = `tenant-${randomUUID().slice(0, 8)}`, roles = ['tenant_admin']): Caller {
    return { tenantId, actorId: 'admin-1', roles };
  }

  call<T = Record<string, unknown>>(method: string, request: object, caller?: Caller): Promise<T> {
    this.client ??= tagguardClient<grpc.Client>(
      this.address,
      'tagguard/sync/v1/directory_service.proto',
      protoRoot(),
      ['tagguard', 'sync', 'v1', 'DirectoryService'],
    );
    const client = this.client as unknown as Record<
      string,
      (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: T) => void) => void
    >;
    const fn = client[method];
    if (!fn) throw new Error(`no method ${method}`);
    const metadata = new grpc.Metadata();
    if (caller)
      metadata.set(
        'authorization',
        `Bearer ${signToken({ tenantId: caller.tenantId, actorId: caller.actorId, roles: caller.roles }, loadDevPrivateKey())}`,
      );
    return new Promise((resolve, reject) =>
      fn.call(client, request, metadata, (e, v) => (e ? reject(e) : resolve(v))),
    );
  }

  /** The error a call fails with (status, tg-field, tg-error-code), or a failure if it succeeds. */
  async failure(
    method: string,
    request: object,
    caller?: Caller,
  ): Promise<{ code: grpc.status; field: string; errorCode: string; details: string }> {
    try {
      await this.call(method, request, caller);
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
