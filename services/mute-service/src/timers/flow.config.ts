import { readEnv } from '@tagguard/config';

export type FlowConfig = {
  /** MUTE_FLOW_TICK_MS: how often timers, releases and the outbox are looked at (default 500). */
  tickMs: number;
  /** MUTE_RELEASE_SWEEP=off: due holds wait for HoldService.ReleaseDue (tests that kill a release mid-way). */
  sweep: boolean;
};

export function loadFlowConfig(env: Record<string, string | undefined> = process.env): FlowConfig {
  const read = readEnv(env);
  const sweep = read.string('MUTE_RELEASE_SWEEP', 'on');
  if (sweep !== 'on' && sweep !== 'off')
    throw new Error(`MUTE_RELEASE_SWEEP must be on or off, not "${sweep}"`);
  const tickMs = Number(read.string('MUTE_FLOW_TICK_MS', '500'));
  if (!Number.isInteger(tickMs) || tickMs < 10 || tickMs > 60_000)
    throw new Error(`MUTE_FLOW_TICK_MS must be a whole number of milliseconds from 10 to 60000`);
  return { tickMs, sweep: sweep === 'on' };
}
