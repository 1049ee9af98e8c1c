import { DecisionThrottleCounts } from '../memory/mute-memory';
import type { RecordedDecision } from '../messages/domain/message.decider';

const AT = Date.parse('2026-11-30T13:00:00Z');
const RELEASE = Date.parse('2026-12-01T01:00:00Z');
const KEY = 'campaign|brand-y';

const decision = (messageId: string, outcome: 'NOTIFY' | 'HOLD', sentAt: number): RecordedDecision =>
  ({
    message: { tenantId: 't1', messageId, recipientId: 'alice', sentAt },
    outcome,
    throttles: [{ key: KEY }],
  }) as unknown as RecordedDecision;

// D69: a released digest counts as one alert under its throttle; a held message is not an alert until then.
describe('throttle counts of released digests', () => {
  it('Given two alerts and two held messages, When the digest is released (its first message alerting), Then one alert counts in the release hour', () => {
    const counts = new DecisionThrottleCounts();
    counts.record(decision('m1', 'NOTIFY', AT));
    counts.record(decision('m2', 'NOTIFY', AT + 1));
    counts.record(decision('m3', 'HOLD', AT + 2));
    counts.record(decision('m4', 'HOLD', AT + 3));
    expect(counts.alerts('alice', KEY, AT)).toBe(2);
    counts.recordRelease({ messageId: 'm3', alert: true, deliveredAt: RELEASE, releaseId: 'd1' });
    counts.recordRelease({ messageId: 'm4', alert: false, deliveredAt: RELEASE, releaseId: 'd1' });
    expect(counts.alerts('alice', KEY, RELEASE)).toBe(1);
    expect(counts.alerts('alice', KEY, AT)).toBe(3);
  });

  it('Given a NOTIFY delivered at once and a release seen twice, When counted, Then neither adds an alert twice', () => {
    const counts = new DecisionThrottleCounts();
    counts.record(decision('m1', 'NOTIFY', AT));
    counts.recordRelease({ messageId: 'm1', alert: true, deliveredAt: AT, releaseId: null });
    counts.record(decision('m3', 'HOLD', AT));
    counts.recordRelease({ messageId: 'm3', alert: true, deliveredAt: RELEASE, releaseId: 'd1' });
    counts.recordRelease({ messageId: 'm3', alert: true, deliveredAt: RELEASE, releaseId: 'd1' });
    expect(counts.alerts('alice', KEY, AT)).toBe(2);
  });
});
