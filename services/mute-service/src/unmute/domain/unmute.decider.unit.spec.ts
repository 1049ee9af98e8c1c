import { given } from '@tagguard/testing';
import {
  unmuteDecider,
  unmuteReport,
  evolveUnmute,
  initialUnmuteState,
  type PassedMessage,
  type UnmuteEvent,
} from './unmute.decider';

const T0 = Date.parse('2026-03-10T02:00:00Z');
const H = 3_600_000;
const spec = given(unmuteDecider);
const started: UnmuteEvent = {
  type: 'TemporaryUnmuteStarted',
  unmuteId: 'u1',
  tenantId: 't1',
  tagId: 'tag-supplier',
  tagName: '供应商',
  actorId: 'admin-1',
  startsAt: T0,
  endsAt: T0 + 4 * H,
};
const start = {
  type: 'StartTemporaryUnmute' as const,
  unmuteId: 'u1',
  tenantId: 't1',
  tagId: 'tag-supplier',
  tagName: '供应商',
  actorId: 'admin-1',
  now: T0,
};

describe('temporary unmute decider', () => {
  it('Given no unmute, When an admin unmutes a tag for 4 hours, Then it starts now and ends 4 hours later', () => {
    spec([])
      .when({ ...start, hours: 4 })
      .then([started]);
  });

  it.each([0, -1, 2.5, 169])(
    'Given no unmute, When asked for %p hours, Then INVALID_ARGUMENT names hours',
    (hours) => {
      spec([])
        .when({ ...start, hours })
        .thenThrows({ code: 'MUTE.INVALID_ARGUMENT', field: 'hours' });
    },
  );

  it('Given an unmute, When it is started again, Then ALREADY_EXISTS', () => {
    spec([started])
      .when({ ...start, hours: 4 })
      .thenThrows({ code: 'MUTE.ALREADY_EXISTS' });
  });

  it('Given an active unmute, When its timer fires at the end, Then it ends at its planned end, by the system', () => {
    spec([started])
      .when({ type: 'ExpireTemporaryUnmute', now: T0 + 4 * H + 1500 })
      .then([
        {
          type: 'TemporaryUnmuteEnded',
          unmuteId: 'u1',
          endedAt: T0 + 4 * H,
          endedBy: 'system',
          reason: 'expired',
        },
      ]);
  });

  it('Given an active unmute, When a timer fires early, Then nothing ends', () => {
    spec([started])
      .when({ type: 'ExpireTemporaryUnmute', now: T0 + H })
      .then([]);
  });

  it('Given an ended unmute, When its timer fires again (a retry after a crash), Then nothing happens', () => {
    const ended: UnmuteEvent = {
      type: 'TemporaryUnmuteEnded',
      unmuteId: 'u1',
      endedAt: T0 + H,
      endedBy: 'admin-2',
      reason: 'stopped',
    };
    spec([started, ended])
      .when({ type: 'ExpireTemporaryUnmute', now: T0 + 5 * H })
      .then([]);
  });

  it('Given an active unmute, When an admin stops it after an hour, Then it ends then, by that admin', () => {
    spec([started])
      .when({ type: 'StopTemporaryUnmute', actorId: 'admin-2', now: T0 + H })
      .then([
        {
          type: 'TemporaryUnmuteEnded',
          unmuteId: 'u1',
          endedAt: T0 + H,
          endedBy: 'admin-2',
          reason: 'stopped',
        },
      ]);
  });
});

describe('unmute report', () => {
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

  it('Given an unmute that expired with three messages let through, When the report is made, Then it says who, what, when, how long and lists them in order', () => {
    const state = [
      started,
      {
        type: 'TemporaryUnmuteEnded',
        unmuteId: 'u1',
        endedAt: T0 + 4 * H,
        endedBy: 'system',
        reason: 'expired',
      } as UnmuteEvent,
    ].reduce(evolveUnmute, initialUnmuteState);
    const report = unmuteReport(state, [
      pass('m3', T0 + 3 * H, 'bob', 'partner_staff:supplier-x/s2'),
      pass('m1', T0 + 60_000),
      pass('m2', T0 + H),
    ]);
    expect(report).toMatchObject({
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
    expect(report.messages.map((m) => m.messageId)).toEqual(['m1', 'm2', 'm3']);
  });

  it('Given an unmute stopped early, When a message was recorded after the stop, Then the report leaves it out', () => {
    const state = [
      started,
      {
        type: 'TemporaryUnmuteEnded',
        unmuteId: 'u1',
        endedAt: T0 + H,
        endedBy: 'admin-2',
        reason: 'stopped',
      } as UnmuteEvent,
    ].reduce(evolveUnmute, initialUnmuteState);
    const report = unmuteReport(state, [pass('m1', T0 + 60_000), pass('late', T0 + 2 * H)]);
    expect(report.messages.map((m) => m.messageId)).toEqual(['m1']);
    expect(report.durationMs).toBe(H);
  });

  it('Given an active unmute, When a report is asked for, Then FAILED_PRECONDITION', () => {
    expect(() => unmuteReport(evolveUnmute(initialUnmuteState, started), [])).toThrow(
      expect.objectContaining({ code: 'MUTE.FAILED_PRECONDITION' }),
    );
  });
});
