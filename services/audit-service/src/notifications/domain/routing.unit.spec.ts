import { digestKey, digestWindow, renderDigest } from './digest';
import { requestsOf, route, type NotificationRequest } from './routing';

const HOUR = 3_600_000;
const AT = Date.UTC(2026, 11, 1, 10, 17); // 10:17 UTC
const request = (over: Partial<NotificationRequest> = {}): NotificationRequest => ({
  notificationId: 'op-1:security_officer',
  tenantId: 't',
  target: 'security_officer',
  level: 'critical',
  summary: 'lisi deleted VIP客户',
  operationId: 'op-1',
  occurredAt: new Date(AT).toISOString(),
  ...over,
});
const channels = [
  { channelId: 'so-phone', targets: ['security_officer'] },
  { channelId: 'hq', targets: ['hq_audit'] },
  { channelId: 'both', targets: ['hq_audit', 'security_officer', 'custom:risk'] },
];

describe('graduated routing', () => {
  it('given a critical request for the security officer, when routed, then every channel serving that target gets it at once', () => {
    expect(route(request(), channels, AT, HOUR)).toEqual([
      { mode: 'immediate', channelId: 'so-phone' },
      { mode: 'immediate', channelId: 'both' },
    ]);
  });

  it('given a warning, when routed, then it joins the digest of the period it arrived in, due at the period end', () => {
    const start = Date.UTC(2026, 11, 1, 10, 0);
    expect(route(request({ level: 'warning', target: 'hq_audit' }), channels, AT, HOUR)).toEqual([
      {
        mode: 'digest',
        channelId: 'hq',
        key: digestKey('hq', 'hq_audit', start),
        windowStartMs: start,
        dueAtMs: start + HOUR,
      },
      {
        mode: 'digest',
        channelId: 'both',
        key: digestKey('both', 'hq_audit', start),
        windowStartMs: start,
        dueAtMs: start + HOUR,
      },
    ]);
  });

  it('given a custom target, when routed, then only channels naming it get it; an unserved target plans nothing', () => {
    expect(route(request({ target: 'custom:risk' }), channels, AT, HOUR)).toEqual([
      { mode: 'immediate', channelId: 'both' },
    ]);
    expect(route(request({ target: 'custom:nobody' }), channels, AT, HOUR)).toEqual([]);
  });

  it('given a level this service does not know, when routed, then it is not held back in a digest', () => {
    expect(route(request({ level: 'severe' }), channels, AT, HOUR)[0]).toMatchObject({ mode: 'immediate' });
  });
});

describe('digest batching', () => {
  it('given two instants in one period and one in the next, when windowed, then the first two share a digest key', () => {
    const a = digestWindow(Date.UTC(2026, 11, 1, 10, 0, 0), HOUR);
    const b = digestWindow(Date.UTC(2026, 11, 1, 10, 59, 59, 999), HOUR);
    const c = digestWindow(Date.UTC(2026, 11, 1, 11, 0, 0), HOUR);
    expect(a).toEqual(b);
    expect(digestKey('hq', 'hq_audit', a.startMs)).not.toBe(digestKey('hq', 'hq_audit', c.startMs));
    expect(c.startMs).toBe(a.endMs);
  });

  it('given three warnings, when rendered, then the subject counts them and the body lists each in order', () => {
    const items = ['a', 'b', 'c'].map((s, i) => ({
      notificationId: s,
      summary: `warn ${s}`,
      occurredAt: `t${i}`,
    }));
    const { subject, text } = renderDigest('hq_audit', 0, HOUR, items);
    expect(subject).toBe(
      'TagGuard: 3 warnings for hq_audit (1970-01-01T00:00:00.000Z – 1970-01-01T01:00:00.000Z)',
    );
    expect(text).toBe('t0 warn a\nt1 warn b\nt2 warn c');
  });
});

describe('requests from tag events', () => {
  const envelope = { tenantId: 't', occurredAt: '2026-12-01T10:17:00.000Z' };

  it('given tag.notification_requested.v1, when read, then it is one request for its channel and level', () => {
    expect(
      requestsOf(
        'tag.notification_requested.v1',
        {
          notificationId: 'op:hq_audit',
          channel: 'hq_audit',
          operationId: 'op',
          level: 'critical',
          summary: 's',
        },
        envelope,
      ),
    ).toEqual([
      request({
        notificationId: 'op:hq_audit',
        target: 'hq_audit',
        operationId: 'op',
        summary: 's',
        occurredAt: envelope.occurredAt,
      }),
    ]);
  });

  it('given a warning sensitive operation, when read, then one warning per audience; a critical one requests nothing (tag-service does)', () => {
    const data = {
      operationId: 'op',
      level: 'warning',
      operation: 'delete',
      actorId: 'lisi',
      actorDepartment: 'd2',
      beforeState: 'tag VIP had 120 members',
      totalMembers: 120,
    };
    expect(
      requestsOf('tag.sensitive_operation_detected.v1', data, envelope).map((r) => [
        r.notificationId,
        r.target,
        r.level,
        r.summary,
      ]),
    ).toEqual([
      ['op:hq_audit', 'hq_audit', 'warning', 'lisi (d2) delete: tag VIP had 120 members'],
      ['op:security_officer', 'security_officer', 'warning', 'lisi (d2) delete: tag VIP had 120 members'],
    ]);
    expect(
      requestsOf('tag.sensitive_operation_detected.v1', { ...data, level: 'critical' }, envelope),
    ).toEqual([]);
    expect(requestsOf('tag.created.v1', {}, envelope)).toEqual([]);
  });
});
