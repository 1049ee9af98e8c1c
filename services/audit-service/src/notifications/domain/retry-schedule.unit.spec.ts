import { afterAttempt, backoffDelayMs, type RetryPolicy } from './retry-schedule';

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 6_000 };
const NOW = 1_700_000_000_000;

describe('the retry schedule', () => {
  it('given a failed attempt n, when the next is planned, then it waits base·2^(n-1), capped', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(policy, n))).toEqual([
      1_000, 2_000, 4_000, 6_000, 6_000,
    ]);
  });

  it('given attempt 2 failed transiently, when decided, then it retries 2 s later with the error kept', () => {
    expect(afterAttempt(policy, 2, { kind: 'transient', error: 'HTTP 503' }, NOW)).toEqual({
      status: 'retrying',
      nextAttemptAtMs: NOW + 2_000,
      error: 'HTTP 503',
    });
  });

  it('given the last allowed attempt failed transiently, when decided, then the delivery is dead with the reason', () => {
    expect(afterAttempt(policy, 5, { kind: 'transient', error: 'HTTP 503' }, NOW)).toEqual({
      status: 'dead',
      error: 'gave up after 5 attempts: HTTP 503',
    });
  });

  it('given a permanent failure on the first attempt, when decided, then it is dead at once', () => {
    expect(afterAttempt(policy, 1, { kind: 'permanent', error: 'WeCom errcode 81013' }, NOW)).toEqual({
      status: 'dead',
      error: 'permanent failure: WeCom errcode 81013',
    });
  });

  it('given a delivered attempt, when decided, then it is delivered with what the receiver answered', () => {
    expect(afterAttempt(policy, 3, { kind: 'delivered', detail: 'HTTP 204' }, NOW)).toEqual({
      status: 'delivered',
      detail: 'HTTP 204',
    });
  });
});
