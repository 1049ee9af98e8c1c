import { specFor } from '../../testing/decider-spec';
import { unmuteDecider, unmuteReport, type PassedMessage, type UnmuteEvent } from './unmute.decider';

const T0 = Date.parse('2026-03-10T02:00:00Z');
const H = 3_600_000;
const spec = specFor(unmuteDecider);
const startedData = {
  unmuteId: 'u1',
  tenantId: 't1',
  tagId: 'tag-supplier',
  tagName: '供应商',
  actorId: 'admin-1',
  startsAt: T0,
  endsAt: T0 + 4 * H,
  hours: 4,
};
const started: UnmuteEvent = { type: 'TemporaryUnmuteStarted', data: startedData };
const start = {
  type: 'StartTemporaryUnmute' as const,
  unmuteId: 'u1',
  tenantId: 't1',
  tagId: 'tag-supplier',
  tagName: '供应商',
  actorId: 'admin-1',
  now: T0,
};
const pass = (
  id: string,
  at: number,
  recipientId = 'alice',
  sender = 'partner_staff:supplier-x/s1',
): PassedMessage => ({
  messageId: id,
  recipientId,
  sender,
  senderCorpId: 'supplier-x',
  sentAt: at,
  otherwise: 'SILENT',
});
const end = (
  endedAt: number,
  endedBy: string,
  reason: 'expired' | 'stopped',
  passed: PassedMessage[] = [],
) => {
  const e = { unmuteId: 'u1', endedAt, endedBy, reason };
  return {
    type: 'TemporaryUnmuteEnded' as const,
    data: { ...e, report: unmuteReport(startedData, e, passed) },
  };
};

describe('temporary unmute decider', () => {
  it('Given no unmute, When an admin unmutes a tag for 4 hours, Then it starts now and ends 4 hours later', () => {
    spec
      .given([])
      .when({ ...start, hours: 4 })
      .then([started]);
  });

  it.each([0, -1, 2.5, 169])(
    'Given no unmute, When asked for %p hours, Then INVALID_ARGUMENT names hours',
    (hours) => {
      spec
        .given([])
        .when({ ...start, hours })
        .thenFails('MUTE.INVALID_ARGUMENT', 'hours');
    },
  );

  it('Given an unmute, When the same start is retried, Then nothing new (the unmute it started answers)', () => {
    spec
      .given([started])
      .when({ ...start, hours: 4, now: T0 + 1_000 })
      .then([]);
  });

  it.each([
    ['another tag', { tagId: 'tag-other' }],
    ['other hours', { hours: 8 }],
    ['another admin', { actorId: 'admin-2' }],
  ])('Given an unmute, When its id is started again for %s, Then ALREADY_EXISTS', (_what, other) => {
    spec
      .given([started])
      .when({ ...start, hours: 4, ...other })
      .thenFails('MUTE.ALREADY_EXISTS', 'unmuteId');
  });

  it('Given an active unmute, When its timer fires at the end, Then it ends at its planned end, by the system, with its report', () => {
    spec
      .given([started])
      .when({ type: 'ExpireTemporaryUnmute', now: T0 + 4 * H + 1500, passed: [pass('m1', T0 + H)] })
      .then([end(T0 + 4 * H, 'system', 'expired', [pass('m1', T0 + H)])]);
  });

  it('Given an active unmute, When a timer fires early, Then nothing ends', () => {
    spec
      .given([started])
      .when({ type: 'ExpireTemporaryUnmute', now: T0 + H, passed: [] })
      .then([]);
  });

  it('Given an ended unmute, When its timer fires again (a retry after a crash), Then nothing happens', () => {
    spec
      .given([started, end(T0 + H, 'admin-2', 'stopped')])
      .when({ type: 'ExpireTemporaryUnmute', now: T0 + 5 * H, passed: [] })
      .then([]);
  });

  it('Given an active unmute, When an admin stops it after an hour, Then it ends then, by that admin', () => {
    spec
      .given([started])
      .when({ type: 'StopTemporaryUnmute', actorId: 'admin-2', now: T0 + H, passed: [] })
      .then([end(T0 + H, 'admin-2', 'stopped')]);
  });

  it('Given an ended unmute, When it is stopped again, Then nothing is written (the first report stands)', () => {
    spec
      .given([started, end(T0 + H, 'admin-2', 'stopped')])
      .when({ type: 'StopTemporaryUnmute', actorId: 'admin-3', now: T0 + 2 * H, passed: [pass('m9', T0)] })
      .then([]);
  });

  it('Given no unmute, When it is stopped, Then NOT_FOUND names unmuteId', () => {
    spec
      .given([])
      .when({ type: 'StopTemporaryUnmute', actorId: 'admin-2', now: T0, passed: [] })
      .thenFails('MUTE.NOT_FOUND', 'unmuteId');
  });
});

describe('unmute report', () => {
  it('Given an unmute that expired with three messages let through, When it ends, Then its report says who, what, when, how long and lists them in order', () => {
    const [e] = unmuteDecider.decide(
      {
        type: 'ExpireTemporaryUnmute',
        now: T0 + 4 * H,
        passed: [
          pass('m3', T0 + 3 * H, 'bob', 'partner_staff:supplier-x/s2'),
          pass('m1', T0 + 60_000),
          pass('m2', T0 + H),
        ],
      },
      unmuteDecider.evolve(unmuteDecider.initialState(), started, 0),
    );
    if (e?.type !== 'TemporaryUnmuteEnded') throw new Error('expected the end');
    expect(e.data.report).toMatchObject({
      unmuteId: 'u1',
      tagId: 'tag-supplier',
      tagName: '供应商',
      unmutedBy: 'admin-1',
      startedAt: T0,
      endedAt: T0 + 4 * H,
      endedBy: 'system',
      reason: 'expired',
      durationMs: 4 * H,
      messageCount: 3,
      recipientCount: 2,
      senderCount: 2,
    });
    expect(e.data.report.messages.map((m) => m.messageId)).toEqual(['m1', 'm2', 'm3']);
  });

  it('Given an unmute stopped early, When a message was recorded after the stop, Then the report leaves it out', () => {
    const report = unmuteReport(
      startedData,
      { unmuteId: 'u1', endedAt: T0 + H, endedBy: 'admin-2', reason: 'stopped' },
      [pass('m1', T0 + 60_000), pass('late', T0 + 2 * H)],
    );
    expect(report.messages.map((m) => m.messageId)).toEqual(['m1']);
    expect(report.durationMs).toBe(H);
  });
});
