import { specFor } from '../../testing/decider-spec';
import { messageDecider, type MessageEvent, type RecordedDecision } from './message.decider';

const spec = specFor(messageDecider);

const decision = (outcome: RecordedDecision['outcome']): RecordedDecision => ({
  message: {
    tenantId: 't',
    messageId: 'm1',
    recipientId: 'e1',
    sender: { kind: 'partner_staff', corpId: 'corp-x', staffId: 's1' },
    senderCorpId: 'corp-x',
    urgency: 'normal',
    sentAt: 1_000,
  },
  outcome,
  releaseAt: outcome === 'HOLD' ? 5_000 : null,
  reasons: [],
  winner: { tier: 'default', id: null, why: 'nothing applied' },
  throttles: [],
  unmuteId: null,
  timeZone: 'Asia/Shanghai',
  calendarGaps: [],
  snapshot: '0',
  decidedAt: 1_001,
});
const decided = (outcome: RecordedDecision['outcome']): MessageEvent => ({
  type: 'MessageDecided',
  data: decision(outcome),
});
const delivered = (
  outcome: RecordedDecision['outcome'],
  alert: boolean,
  deliveredAt = 1_001,
  releaseId: string | null = null,
): MessageEvent => ({
  type: 'MessageDelivered',
  data: { messageId: 'm1', recipientId: 'e1', outcome, alert, decidedAt: 1_001, deliveredAt, releaseId },
});

describe('message decider', () => {
  it('Given a new message, When it is decided NOTIFY, Then the decision and an alerting delivery are one append', () =>
    spec
      .given([])
      .when({ type: 'RecordDecision', data: decision('NOTIFY') })
      .then([decided('NOTIFY'), delivered('NOTIFY', true)]));

  it('Given a new message, When it is decided SILENT, Then it is delivered without an alert', () =>
    spec
      .given([])
      .when({ type: 'RecordDecision', data: decision('SILENT') })
      .then([decided('SILENT'), delivered('SILENT', false)]));

  it('Given a new message, When it is decided HOLD, Then it is not delivered yet', () =>
    spec
      .given([])
      .when({ type: 'RecordDecision', data: decision('HOLD') })
      .then([decided('HOLD')]));

  it('Given a decided message, When it is decided again, Then nothing is written (the first decision stands)', () =>
    spec
      .given([decided('SILENT'), delivered('SILENT', false)])
      .when({ type: 'RecordDecision', data: decision('NOTIFY') })
      .then([]));

  it('Given a decided message, When it is decided again later (a retry stamped anew), Then nothing is written', () => {
    const retry = decision('NOTIFY');
    spec
      .given([decided('SILENT'), delivered('SILENT', false)])
      .when({ type: 'RecordDecision', data: { ...retry, message: { ...retry.message, sentAt: 9_000 } } })
      .then([]);
  });

  it.each([
    ['recipient', { recipientId: 'e2' }],
    ['sender', { sender: { kind: 'employee' as const, employeeId: 'wangwu' }, senderCorpId: null }],
    ['urgency', { urgency: 'urgent' as const }],
  ])(
    'Given a decided message, When another message (%s) comes under its id, Then INVALID_ARGUMENT on message.messageId',
    (_what, other) => {
      const d = decision('NOTIFY');
      spec
        .given([decided('SILENT'), delivered('SILENT', false)])
        .when({ type: 'RecordDecision', data: { ...d, message: { ...d.message, ...other } } })
        .thenFails('MUTE.INVALID_ARGUMENT', 'message.messageId');
    },
  );

  it('Given a held message, When it is released, Then the release and its one delivery are written', () =>
    spec
      .given([decided('HOLD')])
      .when({ type: 'ReleaseHeld', data: { releaseId: 'digest-1', releasedAt: 5_000, alert: true } })
      .then([
        {
          type: 'HeldMessageReleased',
          data: { messageId: 'm1', recipientId: 'e1', releaseId: 'digest-1', releasedAt: 5_000 },
        },
        delivered('HOLD', true, 5_000, 'digest-1'),
      ]));

  it('Given a released message, When a retry releases it again, Then nothing is written (exactly once)', () =>
    spec
      .given([
        decided('HOLD'),
        {
          type: 'HeldMessageReleased',
          data: { messageId: 'm1', recipientId: 'e1', releaseId: 'd1', releasedAt: 5_000 },
        },
        delivered('HOLD', true, 5_000, 'd1'),
      ])
      .when({ type: 'ReleaseHeld', data: { releaseId: 'd2', releasedAt: 6_000, alert: true } })
      .then([]));

  it('Given a NOTIFY message, When it is released, Then FAILED_PRECONDITION', () =>
    spec
      .given([decided('NOTIFY'), delivered('NOTIFY', true)])
      .when({ type: 'ReleaseHeld', data: { releaseId: 'd', releasedAt: 1, alert: true } })
      .thenFails('MUTE.FAILED_PRECONDITION', 'messageId'));

  it('Given no decision, When a release comes, Then NOT_FOUND', () =>
    spec
      .given([])
      .when({ type: 'ReleaseHeld', data: { releaseId: 'd', releasedAt: 1, alert: true } })
      .thenFails('MUTE.NOT_FOUND', 'messageId'));
});
