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
