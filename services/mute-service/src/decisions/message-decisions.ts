import {
  decide,
  defaultCalendars,
  type HolidayCalendars,
  type MuteDecision,
  type MuteMessage,
} from '@tagguard/mute-engine';
import type { DecisionOverlay } from '../automations/automation-view';
import type { LocalCopies } from '../copies/local-copies';
import type { MuteMemory } from '../memory/mute-memory';
import { messageDecider, type RecordedDecision } from '../messages/domain/message.decider';
import { messageStream } from '../streams';
import { READ_YOUR_WRITE_MS } from '../projections/read-model-feed';
import type { MuteWriter, WriteMeta } from '../write/mute-writer';
import { MuteError } from '../write/mute.errors';
import type { UnmuteSource } from './unmute-source';

export type DecisionAnswer = { decision: RecordedDecision; replayed: boolean; recorded: boolean };

export function recordedOf(message: MuteMessage, d: MuteDecision, decidedAt: number): RecordedDecision {
  return {
    message,
    outcome: d.outcome,
    releaseAt: d.releaseAt,
    reasons: d.reasons.map((r) => ({ ...r, specificity: r.specificity ? [...r.specificity] : null })),
    winner: { ...d.winner },
    throttles: d.throttles.map((t) => ({ ...t })),
    unmuteId: d.unmuteId,
    timeZone: d.timeZone,
    calendarGaps: [...d.calendarGaps],
    snapshot: d.snapshot.toString(),
    decidedAt,
  };
}

/**
 * A message's decision, from gRPC and from the Kafka ingest alike: the engine over the folded rules and the
 * local copies (no call to another service), then — unless a dry run — recorded once per message through the
 * one write path. A message decided before answers with its recorded decision (replayed), so a retry or a
 * redelivery never decides (or delivers) twice. HOLD decisions wait in their stream for the release loop
 * (messageDecider's ReleaseHeld).
 */
export class MessageDecisions {
  private readonly holidays: HolidayCalendars = defaultCalendars();

  constructor(
    private readonly memory: MuteMemory,
    private readonly copies: LocalCopies,
    private readonly writer: MuteWriter,
    private readonly unmutes: UnmuteSource,
    private readonly clock: () => number = Date.now,
    /** The flow features' additions (the store-visit automation's rule and tag). */
    private readonly overlay?: DecisionOverlay,
  ) {}

  /**
   * Waits until the memory has folded `token` (a rule write's consistency token), at most `timeoutMs`; then
   * MUTE.UNAVAILABLE on consistencyToken (the edge names its metadata key): a memory that is behind (or down and reopening) never answers a
   * call that asked for that write.
   */
  async atLeast(token: bigint | undefined, timeoutMs = READ_YOUR_WRITE_MS): Promise<void> {
    if (token === undefined || (await this.memory.waitFor(token, timeoutMs))) return;
    throw new MuteError(
      'MUTE.UNAVAILABLE',
      `the decisions have not reached ${token} yet (their memory is behind); retry`,
      'consistencyToken',
    );
  }

  async evaluate(message: MuteMessage): Promise<MuteDecision> {
    const copy = await this.copies.tenant(message.tenantId);
    const base = { rules: this.memory.ruleSet(message.tenantId), tags: copy };
    const { rules, tags } = this.overlay
      ? this.overlay.apply(message.tenantId, message.sentAt, base.rules, base.tags)
      : base;
    return decide({
      message,
      rules,
      directory: copy.directory,
      tags,
      holidays: this.holidays,
      unmutes: this.unmutes.active(message.tenantId, message.sentAt),
      throttle: this.memory.throttle,
    });
  }

  async decide(message: MuteMessage, meta: WriteMeta, dryRun = false): Promise<DecisionAnswer> {
    const decision = recordedOf(message, await this.evaluate(message), this.clock());
    if (dryRun) return { decision, replayed: false, recorded: false };
    const outcome = await this.writer.write(
      { stream: messageStream(message.tenantId, message.messageId), decider: messageDecider },
      { type: 'RecordDecision', data: decision },
      meta,
      { fresh: true },
    );
    const recorded = outcome.state.decision!;
    // Counted at once (the memory's fold counts it again under the same message id: no double count).
    this.memory.throttle.record(recorded);
    return { decision: recorded, replayed: !outcome.changed, recorded: true };
  }
}
