import { topicName } from '@tagguard/messaging';

/**
 * A refused attempt (gRPC PERMISSION_DENIED: not authorized, or a frozen operator), published by the
 * service that refused it on its own topic `<service>.public.access.denied.v1` — apart from the service's
 * change topic, so that the local copies fed by those never see it (decision D103). The refusal wrote no
 * domain state; this fact is the only trace it leaves, and audit-service records it. The Kafka key is the
 * tenant. Version 1; a breaking change gets a new topic.
 */
export const accessDeniedTopicV1 = (service: string): string =>
  topicName({ service, visibility: 'public', aggregate: 'access', event: 'denied', version: 1 });

export const TAG_ACCESS_DENIED_TOPIC_V1 = accessDeniedTopicV1('tag-service');
export const PERMISSION_ACCESS_DENIED_TOPIC_V1 = accessDeniedTopicV1('permission-service');
export const DIRECTORY_ACCESS_DENIED_TOPIC_V1 = accessDeniedTopicV1('sync-service');
export const MUTE_ACCESS_DENIED_TOPIC_V1 = accessDeniedTopicV1('mute-service');

export type AccessDeniedV1 = {
  tenantId: string;
  actorId: string;
  /** The token's roles when it was refused. */
  roles: string[];
  /** The gRPC method, `/<package>.<Service>/<Method>`. */
  rpc: string;
  /** The object the request named (its first `*_id` field), when it named one. */
  resource: { field: string; id: string } | null;
  /** The refusal's stable code (`TAG.PERMISSION_DENIED`, `TAG.OPERATOR_FROZEN`) and its message. */
  code: string;
  reason: string;
};

export type AccessDeniedIntegrationEventV1 = { type: 'access.denied.v1'; data: AccessDeniedV1 };

export const ACCESS_DENIED_INTEGRATION_TYPES_V1: readonly AccessDeniedIntegrationEventV1['type'][] = [
  'access.denied.v1',
];

/** Validates an inbound message's type and fields; consumers call it before trusting the payload. */
export function parseAccessDeniedIntegrationEventV1(
  type: string,
  data: unknown,
): AccessDeniedIntegrationEventV1 {
  if (type !== 'access.denied.v1') throw new Error(`unknown access-denied integration event type "${type}"`);
  const d = data as Record<string, unknown>;
  for (const field of ['tenantId', 'actorId', 'rpc', 'code', 'reason']) {
    if (typeof d?.[field] !== 'string') throw new Error(`${type}: field "${field}" must be a string`);
  }
  if (!Array.isArray(d['roles'])) throw new Error(`${type}: field "roles" must be a list`);
  return { type, data: d as unknown as AccessDeniedV1 };
}
