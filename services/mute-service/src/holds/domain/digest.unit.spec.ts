import { specFor } from '../../testing/decider-spec';
import { digestStreamDecider } from './digest-stream.decider';
import { planRelease, type HeldItem } from './digest';

const at = (iso: string) => Date.parse(iso);
const held = (seq: number, releaseAt: string, keys: string[] = []): HeldItem => ({
  seq: BigInt(seq),
  messageId: `m${seq}`,
  recipientId: 'alice',
  releaseAt: at(releaseAt),
  throttleKeys: keys,
});

describe('planRelease', () => {
  it('Given messages held at different windows, When the first window opens, Then only the due ones go, in hold order, and the next window is named', () => {
    const plan = planRelease(
      [held(3, '2026-03-11T01:00:00Z'), held(1, '2026-03-11T01:00:00Z'), held(2, '2026-03-12T01:00:00Z')],
      at('2026-03-11T01:00:00Z'),
    );
    expect(plan.release.map((h) => h.messageId)).toEqual(['m1', 'm3']);
    expect(plan.nextAt).toBe(at('2026-03-12T01:00:00Z'));
  });

  it('Given nothing due, When asked, Then nothing is released and the earliest window is next', () => {
    const plan = planRelease([held(1, '2026-03-12T01:00:00Z'), held(2, '2026-03-11T09:00:00Z')], 0);
    expect(plan.release).toEqual([]);
    expect(plan.nextAt).toBe(at('2026-03-11T09:00:00Z'));
  });

  it('Given held messages under two throttle keys, When released, Then the digest counts one alert under each key', () => {
    const plan = planRelease(
      [
        held(1, '2026-03-11T01:00:00Z', ['r|brand-y']),
        held(2, '2026-03-11T01:00:00Z', ['r|brand-y']),
        held(3, '2026-03-11T01:00:00Z', ['r|brand-z']),
      ],
      at('2026-03-11T02:00:00Z'),
    );
    expect(plan.throttleKeys).toEqual(['r|brand-y', 'r|brand-z']);
    expect(plan.nextAt).toBeNull();
  });
});

describe('digest stream', () => {
  const spec = specFor(digestStreamDecider);
  const digest = (digestNo: number, releaseKey: string | null = null, messageIds = ['m1', 'm2']) => ({
    digestId: `d${digestNo}`,
    tenantId: 't1',
    recipientId: 'alice',
    digestNo,
    releasedAt: 1_000 * digestNo,
    trigger: 'sweep',
    releaseKey,
    messageIds,
  });
  const released = (n: number, key: string | null = null) => ({
    type: 'DigestReleased' as const,
    data: digest(n, key),
  });

  it('Given no digest, When digest 1 is released, Then it is recorded', () => {
    spec
      .given([])
      .when({ type: 'ReleaseDigest', data: digest(1) })
      .then([released(1)]);
  });

  it('Given digest 1, When another release also numbers its digest 1 (it read before), Then ABORTED: no digest twice', () => {
    spec
      .given([released(1)])
      .when({ type: 'ReleaseDigest', data: digest(1) })
      .thenFails('MUTE.WRONG_EXPECTED_REVISION', 'digestNo');
  });

  it('Given digest 1 released under key req-1, When a retry with req-1 arrives, Then nothing new is written', () => {
    spec
      .given([released(1, 'req-1')])
      .when({ type: 'ReleaseDigest', data: digest(2, 'req-1') })
      .then([]);
  });

  it('Given no digest, When an empty one is released, Then INVALID_ARGUMENT', () => {
    spec
      .given([])
      .when({ type: 'ReleaseDigest', data: digest(1, null, []) })
      .thenFails('MUTE.INVALID_ARGUMENT', 'messageIds');
  });
});
