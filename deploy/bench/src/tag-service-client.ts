import * as grpc from '@grpc/grpc-js';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { protoRoot } from '@tagguard/grpc-runtime';
import { tagguardClient } from '@tagguard/testing';

const FILES = {
  TagService: 'tag_service',
  TagMemberService: 'member_service',
  TimeMachineService: 'time_machine_service',
} as const;

/** A benchmark's view of tag-service: signed unary calls and the rebuild stream, over real gRPC. */
export class TagServiceClient {
  private readonly clients = new Map<string, grpc.Client>();

  constructor(
    private readonly address: string,
    private readonly tenantId: string,
    private readonly actorId = 'bench-admin',
    private readonly roles = ['tenant_admin', 'platform_operator', 'tag_recovery'],
  ) {}

  as(tenantId: string, actorId = this.actorId): TagServiceClient {
    return new TagServiceClient(this.address, tenantId, actorId, this.roles);
  }

  unary<T = Record<string, unknown>>(
    service: keyof typeof FILES,
    method: string,
    request: object,
  ): Promise<T> {
    const client = this.client(service) as unknown as Record<
      string,
      (r: object, m: grpc.Metadata, cb: (e: Error | null, v: T) => void) => void
    >;
    return new Promise((resolve, reject) =>
      client[method]!.call(client, request, this.metadata(), (e, v) => (e ? reject(e) : resolve(v))),
    );
  }

  stream<T>(service: keyof typeof FILES, method: string, request: object): Promise<T[]> {
    const client = this.client(service) as unknown as Record<
      string,
      (r: object, m: grpc.Metadata) => grpc.ClientReadableStream<T>
    >;
    const call = client[method]!.call(client, request, this.metadata());
    const out: T[] = [];
    return new Promise((resolve, reject) => {
      call.on('data', (m: T) => out.push(m));
      call.on('error', reject);
      call.on('end', () => resolve(out));
    });
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }

  private metadata(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    metadata.set(
      'authorization',
      `Bearer ${signToken({ tenantId: this.tenantId, actorId: this.actorId, roles: this.roles }, loadDevPrivateKey())}`,
    );
    return metadata;
  }

  private client(service: keyof typeof FILES): grpc.Client {
    let c = this.clients.get(service);
    if (!c) {
      c = tagguardClient<grpc.Client>(this.address, `tagguard/tag/v1/${FILES[service]}.proto`, protoRoot(), [
        'tagguard',
        'tag',
        'v1',
        service,
      ]);
      this.clients.set(service, c);
    }
    return c;
  }
}

/** Calls `read` (a read with a consistency token, which waits up to 5 s) until the read model has caught up. */
export async function untilCaughtUp(read: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await read();
      return;
    } catch (error) {
      if ((error as grpc.ServiceError).code !== grpc.status.UNAVAILABLE || Date.now() > deadline) throw error;
    }
  }
}
