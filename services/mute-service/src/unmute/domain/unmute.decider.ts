import type { Decider } from '../../write/decider';
import { FlowError, invalid } from './unmute.errors';

/** The longest one-click unmute: a week. Longer is a rule change, not a temporary unmute. */
export const MAX_UNMUTE_HOURS = 168;
const HOUR_MS = 3_600_000;

type Started = {
  unmuteId: string;
  tenantId: string;
  tagId: string;
  tagName: string;
  actorId: string;
  startsAt: number;
  endsAt: number;
  /** As asked (the published event carries it). */
  hours: number;
};
type Ended = {
  unmuteId: string;
  endedAt: number;
  /** Who ended it: the actor who stopped it early, or `system` when its timer ran out. */
  endedBy: string;
  reason: 'expired' | 'stopped';
  /** The operation report, made when it ended: the fact the audit trail receives and GetUnmuteReport answers. */
  report: UnmuteReport;
};

/** On the unmute's own stream (muteUnmute-<tenant>.<unmuteId>): started once, ended once. */
export type UnmuteEvent =
  { type: 'TemporaryUnmuteStarted'; data: Started } | { type: 'TemporaryUnmuteEnded'; data: Ended };

export type UnmuteCommand =
  | {
      type: 'StartTemporaryUnmute';
      unmuteId: string;
      tenantId: string;
      tagId: string;
      tagName: string;
      actorId: string;
      hours: number;
      now: number;
    }
  /**
   * The durable timer at endsAt (may fire late, or twice after a crash: a second end is a no-op). `passed`:
   * the messages whose decision this unmute won, as the read model has them (the report keeps those sent
   * while it was in force).
   */
  | { type: 'ExpireTemporaryUnmute'; now: number; passed: readonly PassedMessage[] }
  | { type: 'StopTemporaryUnmute'; actorId: string; now: number; passed: readonly PassedMessage[] };

export type UnmuteState =
  | { status: 'none'; revision: -1 }
  | { status: 'active' | 'ended'; started: Started; ended: Ended | null; revision: number };

export const initialUnmuteState: UnmuteState = { status: 'none', revision: -1 };

export function evolveUnmute(
  state: UnmuteState,
  event: UnmuteEvent,
  revision = state.revision + 1,
): UnmuteState {
  switch (event.type) {
    case 'TemporaryUnmuteStarted':
      return { status: 'active', started: event.data, ended: null, revision };
    case 'TemporaryUnmuteEnded':
      return state.status === 'none' ? state : { ...state, status: 'ended', ended: event.data, revision };
  }
}

function ended(
  state: Extract<UnmuteState, { status: 'active' | 'ended' }>,
  end: Omit<Ended, 'report'>,
  passed: readonly PassedMessage[],
): UnmuteEvent {
  const report = unmuteReport(state.started, end, passed);
  return { type: 'TemporaryUnmuteEnded', data: { ...end, report } };
}

export function decideUnmute(command: UnmuteCommand, state: UnmuteState): UnmuteEvent[] {
  switch (command.type) {
    case 'StartTemporaryUnmute': {
      if (state.status !== 'none') {
        // A retry of the same start (same tag, admin and hours) is answered with the unmute it started.
        const s = state.started;
        if (s.tagId === command.tagId && s.actorId === command.actorId && s.hours === command.hours)
          return [];
        throw new FlowError(
          'MUTE.ALREADY_EXISTS',
          `unmute ${command.unmuteId} exists (for tag ${s.tagId}, ${s.hours} h, by ${s.actorId})`,
          'unmuteId',
        );
      }
      if (!command.tagId) throw invalid('tagId', 'a temporary unmute names a tag');
      if (!Number.isInteger(command.hours) || command.hours < 1 || command.hours > MAX_UNMUTE_HOURS)
        throw invalid('hours', `hours must be a whole number from 1 to ${MAX_UNMUTE_HOURS}`);
      return [
        {
          type: 'TemporaryUnmuteStarted',
          data: {
            unmuteId: command.unmuteId,
            tenantId: command.tenantId,
            tagId: command.tagId,
            tagName: command.tagName,
            actorId: command.actorId,
            startsAt: command.now,
            endsAt: command.now + command.hours * HOUR_MS,
            hours: command.hours,
          },
        },
      ];
    }
    case 'ExpireTemporaryUnmute':
      if (state.status !== 'active') return [];
      // A timer firing early (clock skew between instances) must not cut the unmute short.
      if (command.now < state.started.endsAt) return [];
      return [
        ended(
          state,
          {
            unmuteId: state.started.unmuteId,
            endedAt: state.started.endsAt,
            endedBy: 'system',
            reason: 'expired',
          },
          command.passed,
        ),
      ];
    case 'StopTemporaryUnmute':
      if (state.status === 'none') throw new FlowError('MUTE.NOT_FOUND', 'no such unmute', 'unmuteId');
      if (state.status === 'ended') return [];
      return [
        ended(
          state,
          {
            unmuteId: state.started.unmuteId,
            endedAt: Math.min(command.now, state.started.endsAt),
            endedBy: command.actorId,
            reason: 'stopped',
          },
          command.passed,
        ),
      ];
    default: {
      const never: never = command;
      throw new Error(`unknown command ${JSON.stringify(never)}`);
    }
  }
}

/** Through mute-service's one write path (MuteWriter), on the unmute's stream. */
export const unmuteDecider: Decider<UnmuteState, UnmuteCommand, UnmuteEvent> = {
  initialState: () => initialUnmuteState,
  evolve: evolveUnmute,
  decide: decideUnmute,
  revisionOf: (_command, state) => state.revision,
};

/** A message the unmute let through: its decision's winner was this unmute. */
export type PassedMessage = {
  messageId: string;
  recipientId: string;
  /** `partner_staff:corp/staff`, `external_customer:id`, `employee:id`. */
  sender: string;
  senderCorpId: string | null;
  sentAt: number;
  /** What the message would have been without the unmute (the runner-up's effect), when known. */
  otherwise: 'NOTIFY' | 'SILENT' | 'HOLD' | null;
};

export type UnmuteReport = {
  unmuteId: string;
  tenantId: string;
  tagId: string;
  tagName: string;
  unmutedBy: string;
  startedAt: number;
  plannedEndAt: number;
  endedAt: number;
  endedBy: string;
  reason: 'expired' | 'stopped';
  durationMs: number;
  /** In the order they were sent. */
  messages: PassedMessage[];
  messageCount: number;
  recipientCount: number;
  senderCount: number;
};

/** The operation report of an ended unmute (who unmuted what, when, how long, what got through because of it). */
export function unmuteReport(
  started: Started,
  end: Omit<Ended, 'report'>,
  passed: readonly PassedMessage[],
): UnmuteReport {
  const messages = passed
    .filter((m) => m.sentAt >= started.startsAt && m.sentAt < end.endedAt)
    .sort((a, b) => a.sentAt - b.sentAt || (a.messageId < b.messageId ? -1 : 1));
  return {
    unmuteId: started.unmuteId,
    tenantId: started.tenantId,
    tagId: started.tagId,
    tagName: started.tagName,
    unmutedBy: started.actorId,
    startedAt: started.startsAt,
    plannedEndAt: started.endsAt,
    endedAt: end.endedAt,
    endedBy: end.endedBy,
    reason: end.reason,
    durationMs: end.endedAt - started.startsAt,
    messages,
    messageCount: messages.length,
    recipientCount: new Set(messages.map((m) => m.recipientId)).size,
    senderCount: new Set(messages.map((m) => m.sender)).size,
  };
}
