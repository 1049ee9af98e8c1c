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

type Service = 'PolicyService' | 'CheckService' | 'AnalysisService';
const FILES: Record<Service, string> = {
  PolicyService: 'tagguard/permission/v1/policy_service.proto',
  CheckService: 'tagguard/permission/v1/check_service.proto',
  AnalysisService: 'tagguard/permission/v1/analysis_service.proto',
};

/**
 * permission-service as its own OS process on real PostgreSQL and Kafka, in schemas of its own, called
 * over real gRPC sockets with signed tokens.
 */
export class PermissionServiceHarness {
  private readonly clients = new Map<Service, grpc.Client>();
  private constructor(
    readonly address: string,
    readonly schema: string,
    private readonly proc: ServiceProcess,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<PermissionServiceHarness> {
    const port = await freePort();
    const schema = `perm_${port}_${randomUUID().slice(0, 6)}`;
    return new PermissionServiceHarness(
      `127.0.0.1:${port}`,
      schema,
      await startServiceProcess(
        'permission-service',
        {
          GRPC_PORT: String(port),
          DATABASE_URL: testInfra().postgresUrl,
          DATABASE_SCHEMA: schema,
          EVENTSTORE_SCHEMA: `${schema}_es`,
          KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
          ...env,
        },
        90_000,
      ), // a loaded CI machine: the start folds the policy and opens two schemas
    );
  }

  async stop(): Promise<void> {
    for (const c of this.clients.values()) c.close();
    await this.proc.stop('SIGTERM');
  }

  /** A caller of a fresh tenant (tests never share tenants), a tenant admin unless told otherwise. */
  static admin(tenantId = `tenant-${randomUUID().slice(0, 8)}`, roles = ['tenant_admin']): Caller {
    return { tenantId, actorId: 'admin-1', roles };
  }

  call<T = Record<string, unknown>>(
    method: string,
    request: object,
    caller?: Caller,
    service: Service = 'PolicyService',
  ): Promise<T> {
    let client = this.clients.get(service);
    if (!client) {
      client = tagguardClient<grpc.Client>(this.address, FILES[service], protoRoot(), [
        'tagguard',
        'permission',
        'v1',
        service,
      ]);
      this.clients.set(service, client);
    }
    const fns = client as unknown as Record<
      string,
      (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: T) => void) => void
    >;
    const fn = fns[method];
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

  check<T = Record<string, unknown>>(method: string, request: object, caller?: Caller): Promise<T> {
    return this.call<T>(method, request, caller, 'CheckService');
  }

  /** The error a call fails with (status, tg-field, tg-error-code), or a failure if it succeeds. */
  async failure(
    method: string,
    request: object,
    caller?: Caller,
    service: Service = 'PolicyService',
  ): Promise<{ code: grpc.status; field: string; errorCode: string; details: string }> {
    try {
      await this.call(method, request, caller, service);
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
