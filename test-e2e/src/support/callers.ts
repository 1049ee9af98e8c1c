import * as grpc from '@grpc/grpc-js';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { protoRoot } from '@tagguard/grpc-runtime';
import { tagguardClient } from '@tagguard/testing';

const SERVICES = {
  tag: { file: 'tagguard/tag/v1/tag_service.proto', path: ['tagguard', 'tag', 'v1', 'TagService'] },
  audit: { file: 'tagguard/audit/v1/audit_service.proto', path: ['tagguard', 'audit', 'v1', 'AuditService'] },
  members: {
    file: 'tagguard/tag/v1/member_service.proto',
    path: ['tagguard', 'tag', 'v1', 'TagMemberService'],
  },
  timeMachine: {
    file: 'tagguard/tag/v1/time_machine_service.proto',
    path: ['tagguard', 'tag', 'v1', 'TimeMachineService'],
  },
  governance: {
    file: 'tagguard/tag/v1/governance_service.proto',
    path: ['tagguard', 'tag', 'v1', 'TagGovernanceService'],
  },
  directory: {
    file: 'tagguard/sync/v1/directory_service.proto',
    path: ['tagguard', 'sync', 'v1', 'DirectoryService'],
  },
  downstream: {
    file: 'tagguard/sync/v1/downstream_service.proto',
    path: ['tagguard', 'sync', 'v1', 'DownstreamService'],
  },
  policy: {
    file: 'tagguard/permission/v1/policy_service.proto',
    path: ['tagguard', 'permission', 'v1', 'PolicyService'],
  },
  check: {
    file: 'tagguard/permission/v1/check_service.proto',
    path: ['tagguard', 'permission', 'v1', 'CheckService'],
  },
  analysis: {
    file: 'tagguard/permission/v1/analysis_service.proto',
    path: ['tagguard', 'permission', 'v1', 'AnalysisService'],
  },
} as const;

/** gRPC metadata with a caller token signed by the development key, as a platform caller sends it. */
export function signedMetadata(
  tenantId: string,
  actorId = 'admin-1',
  roles: string[] = ['tenant_admin'],
): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${signToken({ tenantId, actorId, roles }, loadDevPrivateKey())}`);
  return metadata;
}

/** A client of a TagGuard business service, loaded from proto/ as any platform caller would. */
export function serviceClient(address: string, service: keyof typeof SERVICES): grpc.Client {
  const { file, path } = SERVICES[service];
  return tagguardClient<grpc.Client>(address, file, protoRoot(), [...path]);
}

/** One unary call; resolves with the response object or rejects with the grpc.ServiceError. */
export function unary<T = Record<string, unknown>>(
  client: grpc.Client,
  method: string,
  request: object,
  metadata: grpc.Metadata,
): Promise<T> {
  const fn = (
    client as unknown as Record<
      string,
      (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: T) => void) => void
    >
  )[method];
  if (!fn) throw new Error(`no method ${method} on this client`);
  return new Promise((resolve, reject) =>
    fn.call(client, request, metadata, (error, value) => (error ? reject(error) : resolve(value))),
  );
}

/** A server-streaming call; resolves with every response once the stream ends. */
export function serverStream<T = Record<string, unknown>>(
  client: grpc.Client,
  method: string,
  request: object,
  metadata: grpc.Metadata,
): Promise<T[]> {
  const fn = (
    client as unknown as Record<string, (r: object, m: grpc.Metadata) => grpc.ClientReadableStream<T>>
  )[method];
  if (!fn) throw new Error(`no method ${method} on this client`);
  return new Promise((resolve, reject) => {
    const seen: T[] = [];
    const call = fn.call(client, request, metadata);
    call.on('data', (message: T) => seen.push(message));
    call.on('error', reject);
    call.on('end', () => resolve(seen));
  });
}
