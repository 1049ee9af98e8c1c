import { digestKey, digestWindow } from './digest';

/** A notification some service asked for, as audit-service routes it. */
export type NotificationRequest = {
  notificationId: string;
  tenantId: string;
  /** "hq_audit", "security_officer" or "custom:<name>". */
  target: string;
  level: string;
  summary: string;
  operationId: string;
  occurredAt: string;
};

export type RoutableChannel = { channelId: string; targets: readonly string[] };

export type PlannedDelivery =
  | { mode: 'immediate'; channelId: string }
  | { mode: 'digest'; channelId: string; key: string; windowStartMs: number; dueAtMs: number };

/** Warnings wait for the period's digest; critical (and any level not known here) goes out at once. */
export const isDigested = (level: string): boolean => level === 'warning';

/**
 * Graduated routing: every channel that serves the request's target gets it — at once when critical,
 * in the digest of the period `nowMs` falls in when a warning. No channel: nothing is planned (the
 * caller records the request as undeliverable, so it shows in ListNotifications).
 */
export function route(
  request: NotificationRequest,
  channels: readonly RoutableChannel[],
  nowMs: number,
  digestPeriodMs: number,
): PlannedDelivery[] {
  const serving = channels.filter((c) => c.targets.includes(request.target));
  if (!isDigested(request.level))
    return serving.map((c) => ({ mode: 'immediate' as const, channelId: c.channelId }));
  const { startMs, endMs } = digestWindow(nowMs, digestPeriodMs);
  return serving.map((c) => ({
    mode: 'digest' as const,
    channelId: c.channelId,
    key: digestKey(c.channelId, request.target, startMs),
    windowStartMs: startMs,
    dueAtMs: endMs,
  }));
}

/** tag-service names these two audiences; warnings (which it does not request) go to both, digested. */
export const WARNING_TARGETS = ['hq_audit', 'security_officer'] as const;

type Envelope = { tenantId: string; occurredAt: string };

/**
 * The requests an integration event makes: `tag.notification_requested.v1` is one (tag-service emits
 * them for critical operations); a `tag.sensitive_operation_detected.v1` of level warning is one per
 * warning target (decision D85). Anything else requests nothing.
 */
export function requestsOf(
  type: string,
  data: Record<string, unknown>,
  envelope: Envelope,
): NotificationRequest[] {
  const text = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : '');
  if (type === 'tag.notification_requested.v1')
    return [
      {
        notificationId: text('notificationId'),
        tenantId: envelope.tenantId,
        target: text('channel'),
        level: text('level') || 'critical',
        summary: text('summary'),
        operationId: text('operationId'),
        occurredAt: envelope.occurredAt,
      },
    ];
  if (type === 'tag.sensitive_operation_detected.v1' && data['level'] === 'warning') {
    const department = text('actorDepartment');
    const summary = `${text('actorId')}${department ? ` (${department})` : ''} ${text('operation')}: ${text('beforeState')}`;
    return WARNING_TARGETS.map((target) => ({
      notificationId: `${text('operationId')}:${target}`,
      tenantId: envelope.tenantId,
      target,
      level: 'warning',
      summary,
      operationId: text('operationId'),
      occurredAt: envelope.occurredAt,
    }));
  }
  return [];
}
