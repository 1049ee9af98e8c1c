import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { authenticate, type MetadataLike, type TokenVerifier } from '@tagguard/auth';
import {
  categoryOf,
  streamName,
  tenantScopedId,
  type EventStore,
  type RecordedEvent,
} from '@tagguard/event-store';
import type { IntegrationMessage } from '@tagguard/messaging';
import type { GrpcError } from './grpc-error';

/**
 * Nest token of a service's DenialRecorder. When the service's module provides one (through
 * `denialRecorderProvider`), the error filter hands it every call refused with PERMISSION_DENIED (the one
 * place a refusal becomes a status), and the caller hears the refusal only once it is recorded (D103).
 */
export const DENIAL_RECORDER = Symbol('DENIAL_RECORDER');

/** Where a service's recorder registers itself; provided by the runtime to every service (global). */
export class DenialRecorders {
  recorder?: DenialRecorder;
}

/** The provider a service adds: its recorder, built from the given dependencies and registered. */
export function denialRecorderProvider(
  build: (...deps: never[]) => DenialRecorder,
  inject: (string | symbol | (abstract new (...a: never[]) => unknown))[],
) {
  return {
    provide: DENIAL_RECORDER,
    useFactory: (recorders: DenialRecorders, ...deps: never[]) => (recorders.recorder = build(...deps)),
    inject: [DenialRecorders, ...inject],
  };
}

export interface RefusedCall {
  /** `/<package>.<Service>/<Method>`. */
  rpc: string;
  metadata: MetadataLike | undefined;
  request: unknown;
  error: GrpcError;
}

export interface DenialRecorder {
  record(call: RefusedCall): Promise<void>;
}

/** The domain event a denial is appended as, in its own stream `<category>-<tenant>.<uuid>`. */
export type AccessDeniedEvent = {
  type: 'AccessDenied';
  data: {
    rpc: string;
    roles: string[];
    resource: { field: string; id: string } | null;
    code: string;
    reason: string;
  };
};

export const ACCESS_DENIAL_CATEGORY = 'accessDenial';

/**
 * Appends each refusal to the service's own event store, so that its relay publishes it like any other
 * fact (no append-then-publish). A refusal writes no domain state: its stream is its own, one per denial,
 * read by nothing but the relay.
 */
export class EventStoreDenialRecorder implements DenialRecorder {
  constructor(
    private readonly store: EventStore,
    private readonly verifier: TokenVerifier,
  ) {}

  async record(call: RefusedCall): Promise<void> {
    if (call.error.code !== status.PERMISSION_DENIED) return;
    // Only an authenticated caller can be refused this way; its token names tenant and actor.
    const principal = authenticate(call.metadata, this.verifier);
    const id = randomUUID();
    const traceparent = call.metadata?.get('traceparent')[0];
    const event: AccessDeniedEvent = {
      type: 'AccessDenied',
      data: {
        rpc: call.rpc,
        roles: principal.roles,
        resource: resourceOf(call.request),
        code: String(call.error.metadata.get('tg-error-code')[0] ?? 'PERMISSION_DENIED'),
        reason: call.error.message,
      },
    };
    await this.store.append(
      streamName(ACCESS_DENIAL_CATEGORY, tenantScopedId(principal.tenantId, id)),
      [
        {
          id,
          type: event.type,
          schemaVersion: 1,
          data: event.data,
          metadata: {
            tenantId: principal.tenantId,
            actorId: principal.actorId,
            // The caller's trace ties the refusal to what it tried; without one the refusal is its own.
            correlationId: traceIdOf(traceparent) ?? id,
            occurredAt: new Date().toISOString(),
            ...(typeof traceparent === 'string' ? { traceparent } : {}),
          },
        },
      ],
      'no_stream',
    );
  }
}

const traceIdOf = (traceparent: unknown): string | undefined =>
  typeof traceparent === 'string' ? /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(traceparent)?.[1] : undefined;

/** The first non-empty `…Id` field of the request (tagId, ruleId, employeeId …): what it was about. */
export function resourceOf(request: unknown): { field: string; id: string } | null {
  if (!request || typeof request !== 'object') return null;
  for (const [field, value] of Object.entries(request as Record<string, unknown>))
    if (/Id$/.test(field) && field !== 'idempotencyKey' && typeof value === 'string' && value)
      return { field, id: value };
  return null;
}

/** The relay's translation of an AccessDenied event: `access.denied.v1` on the service's denial topic. */
export function accessDeniedMessage(topic: string, recorded: RecordedEvent): IntegrationMessage {
  const d = recorded.data as AccessDeniedEvent['data'];
  return {
    topic,
    key: recorded.metadata.tenantId,
    eventId: recorded.id,
    type: 'access.denied.v1',
    schemaVersion: 1,
    data: {
      tenantId: recorded.metadata.tenantId,
      actorId: recorded.metadata.actorId,
      roles: d.roles,
      rpc: d.rpc,
      resource: d.resource,
      code: d.code,
      reason: d.reason,
    },
    metadata: recorded.metadata,
  };
}

/**
 * A relay translation that also publishes the service's denials (ACCESS_DENIAL_CATEGORY) on `topic`:
 * relay categories `[...own, ACCESS_DENIAL_CATEGORY]`, topics `[...own, topic]`.
 */
export function withAccessDenials(
  topic: string,
  translate: (recorded: RecordedEvent) => IntegrationMessage | undefined,
): (recorded: RecordedEvent) => IntegrationMessage | undefined {
  return (recorded) =>
    categoryOf(recorded.streamId) === ACCESS_DENIAL_CATEGORY
      ? accessDeniedMessage(topic, recorded)
      : translate(recorded);
}
