/** How a channel's failed deliveries are retried (exponential backoff, capped), and when they die. */
export type RetryPolicy = { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };

/**
 * What an attempt came to: `transient` failures are retried (timeouts, 5xx, 429, WeCom 45009, SMTP 4xx),
 * `permanent` ones are not (HTTP 410, WeCom 81013 no valid recipient, SMTP 5xx rejecting every recipient).
 */
export type AttemptOutcome =
  | { kind: 'delivered'; detail?: string }
  | { kind: 'transient'; error: string }
  | { kind: 'permanent'; error: string };

export type NextStep =
  | { status: 'delivered'; detail: string }
  | { status: 'retrying'; nextAttemptAtMs: number; error: string }
  | { status: 'dead'; error: string };

/** The delay before attempt `attempt + 1` after `attempt` failed: base · 2^(attempt-1), at most maxDelayMs. */
export function backoffDelayMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

/** After attempt number `attempt` (1-based) ended with `outcome` at `nowMs`: what the delivery becomes. */
export function afterAttempt(
  policy: RetryPolicy,
  attempt: number,
  outcome: AttemptOutcome,
  nowMs: number,
): NextStep {
  switch (outcome.kind) {
    case 'delivered':
      return { status: 'delivered', detail: outcome.detail ?? '' };
    case 'permanent':
      return { status: 'dead', error: `permanent failure: ${outcome.error}` };
    case 'transient':
      if (attempt >= policy.maxAttempts)
        return { status: 'dead', error: `gave up after ${attempt} attempts: ${outcome.error}` };
      return {
        status: 'retrying',
        nextAttemptAtMs: nowMs + backoffDelayMs(policy, attempt),
        error: outcome.error,
      };
    default: {
      const never: never = outcome;
      return never;
    }
  }
}
