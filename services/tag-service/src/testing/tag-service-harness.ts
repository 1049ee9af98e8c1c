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

const SERVICES = {
  tags: ['tag_service', 'TagService'],
  members: ['member_service', 'TagMemberService'],
  bin: ['recycle_bin_service', 'RecycleBinService'],
  governance: ['governance_service', 'TagGovernanceService'],
  automations: ['automation_service', 'TagAutomationService'],
  timeMachine: ['time_machine_service', 'TimeMachineService'],
} as const;
export type ServiceName = keyof typeof SERVICES;

export interface Caller {
  tenantId: string;
  actorId: string;
  roles: string[];
  departmentId?: string;
}

/**
 * tag-service as its own OS process on real PostgreSQL and Kafka, in a schema of its own, called over real
 * gRPC sockets with signed tokens: what every tag-service gRPC spec starts from.
 */
export class TagServiceHarness {
  private readonly clients = new Map<ServiceName, grpc.Client>();
  private constructor(
    readonly address: string,
    readonly schema: string,
    private proc: ServiceProcess,
    private readonly env: Record<string, string>,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<TagServiceHarness> {
    const port = await freePort();
    const schema = `tag_${port}_${randomUUID().slice(0, 6)}`;
    const all = {
      GRPC_PORT: String(port),
      DATABASE_URL: testInfra().postgresUrl,
      DATABASE_SCHEMA: schema,
      EVENTSTORE_SCHEMA: `${schema}_es`,
      KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
      PURGE_INTERVAL_MS: '200',
      ...env,
    };
    return new TagServiceHarness(
      `127.0.0.1:${port}`,
      schema,
      await startServiceProcess('tag-service', all),
      all,
    );
  }

  /** Stops the process and starts a new one on the same port, database and schemas (nothing in memory survives). */
  async restart(): Promise<void> {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    await this.proc.stop('SIGTERM');
    this.proc = await startServiceProcess('tag-service', this.env);
  }

  /** Every JSON line the service process wrote to stdout so far. */
  get logLines(): Record<string, unknown>[] {
    return this.proc.lines;
  }

  async stop(): Promise<void> {
    for (const c of this.clients.values()) c.close();
    await this.proc.stop('SIGTERM');
  }

  /** A caller of a fresh tenant (tests never share tenants), a tenant admin unless told otherwise. */
  static admin(
    tenantId = `tenant-${randomUUID().slice(0, 8)}`,
    actorId = 'admin-1',
    extra: Partial<Caller> = {},
  ): Caller {
    return { tenantId, actorId, roles: ['tenant_admin'], ...extra };
  }

  call<T = Record<string, unknown>>(
    service: ServiceName,
    method: string,
    request: object,
    caller?: Caller,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const client = this.client(service) as unknown as Record<
      string,
      (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: T) => void) => void
    >;
    const fn = client[method];
    if (!fn) throw new Error(`no method ${method} on ${service}`);
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
    if (caller)
      metadata.set(
        'authorization',
        `Bearer ${signToken({ tenantId: caller.tenantId, actorId: caller.actorId, roles: caller.roles, ...(caller.departmentId ? { departmentId: caller.departmentId } : {}) }, loadDevPrivateKey())}`,
      );
    return new Promise((resolve, reject) =>
      fn.call(client, request, metadata, (e, v) => (e ? reject(e) : resolve(v))),
    );
  }

  /** The error a call fails with (status code, tg-field trailer, tg-error-code), or a failure if it succeeds. */
  async failure(
    service: ServiceName,
    method: string,
    request: object,
    caller?: Caller,
  ): Promise<{ code: grpc.status; field: string; errorCode: string; details: string }> {
    try {
      await this.call(service, method, request, caller);
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

  private client(service: ServiceName): grpc.Client {
    let client = this.clients.get(service);
    if (!client) {
      const [file, name] = SERVICES[service];
      client = tagguardClient<grpc.Client>(this.address, `tagguard/tag/v1/${file}.proto`, protoRoot(), [
        'tagguard',
        'tag',
        'v1',
        name,
      ]);
      this.clients.set(service, client);
    }
    return client;
  }
}

export const customer = (id: string, attributes: Record<string, string> = {}) => ({
  kind: 'MEMBER_KIND_CUSTOMER',
  id,
  attributes,
});
export const customers = (n: number, prefix = 'c') =>
  Array.from({ length: n }, (_, i) => customer(`${prefix}${String(i).padStart(4, '0')}`));
