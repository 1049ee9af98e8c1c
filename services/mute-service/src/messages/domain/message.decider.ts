import type { AppliedReason, MuteMessage, MuteOutcome, Sender, ThrottleNote } from '@tagguard/mute-engine';
import type { Decider } from '../../write/decider';
import { MuteError } from '../../write/mute.errors';

/** A decision as recorded (JSON: instants as epoch ms, the snapshot as a decimal string). */
export type RecordedDecision = {
  message: MuteMessage;
  outcome: MuteOutcome;
  releaseAt: number | null;
  reasons: AppliedReason[];
  winner: { tier: string; id: string | null; why: string };
  throttles: ThrottleNote[];
  unmuteId: string | null;
  timeZone: string;
  calendarGaps: string[];
  snapshot: string;
  decidedAt: number;
};

export type MessageState = {
  decision: RecordedDecision | null;
  releaseId: string | null;
  delivered: boolean;
  revision: number;
};

export type MessageEvent =
  | { type: 'MessageDecided'; data: RecordedDecision }
  /** A HOLD let go by a release (G's release loop: a digest, a working window). */
  | {
      type: 'HeldMessageReleased';
      data: { messageId: string; recipientId: string; releaseId: string; releasedAt: number };
    }
  /** The one delivery of the message: the relay publishes it on MUTE_DELIVERIES_TOPIC_V1. */
  | {
      type: 'MessageDelivered';
      data: {
        messageId: string;
        recipientId: string;
        outcome: MuteOutcome;
        alert: boolean;
        decidedAt: number;
        deliveredAt: number;
        releaseId: string | null;
      };
    };

export type MessageCommand =
  | { type: 'RecordDecision'; data: RecordedDecision }
  | { type: 'ReleaseHeld'; data: { releaseId: string; releasedAt: number; alert: boolean } };

const sameMessage = (a: MuteMessage, b: MuteMessage): boolean =>
  a.recipientId === b.recipientId &&
  a.senderCorpId === b.senderCorpId &&
  a.urgency === b.urgency &&
  sameSender(a.sender, b.sender);

// Field by field: a decision read back from the event store need not keep the key order it was written in.
function sameSender(a: Sender, b: Sender): boolean {
  switch (a.kind) {
    case 'partner_staff':
      return b.kind === a.kind && b.corpId === a.corpId && b.staffId === a.staffId;
    case 'external_customer':
      return b.kind === a.kind && b.customerId === a.customerId;
    case 'employee':
      return b.kind === a.kind && b.employeeId === a.employeeId;
  }
}

/**
 * One message's life: decided once (a second decision of the same message writes nothing: the first one
 * stands), delivered exactly once — NOTIFY and SILENT in the decision's own append, a HOLD when it is
 * released (a release of a message already delivered writes nothing).
 */
export const messageDecider: Decider<MessageState, MessageCommand, MessageEvent> = {
  initialState: () => ({ decision: null, releaseId: null, delivered: false, revision: -1 }),

  evolve(state, event, revision) {
    switch (event.type) {
      case 'MessageDecided':
        return { ...state, decision: event.data, revision };
      case 'HeldMessageReleased':
        return { ...state, releaseId: event.data.releaseId, revision };
      case 'MessageDelivered':
        return { ...state, delivered: true, revision };
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'RecordDecision': {
        const d = command.data;
        if (state.decision) {
          // A retry or a redelivery of the message gets its first decision; another message under its id
          // (another recipient, sender or urgency) would get a decision made for someone else, and never
          // its own. sentAt is left out: a retry without one is stamped anew.
          if (!sameMessage(state.decision.message, d.message))
            throw new MuteError(
              'MUTE.INVALID_ARGUMENT',
              `was already decided for another message (recipient ${state.decision.message.recipientId})`,
              'message.messageId',
            );
          return [];
        }
        const events: MessageEvent[] = [{ type: 'MessageDecided', data: d }];
        if (d.outcome !== 'HOLD')
          events.push({
            type: 'MessageDelivered',
            data: {
              messageId: d.message.messageId,
              recipientId: d.message.recipientId,
              outcome: d.outcome,
              alert: d.outcome === 'NOTIFY',
              decidedAt: d.decidedAt,
              deliveredAt: d.decidedAt,
              releaseId: null,
            },
          });
        return events;
      }
      case 'ReleaseHeld': {
        const d = state.decision;
        if (!d) throw new MuteError('MUTE.NOT_FOUND', 'the message was never decided', 'messageId');
        if (d.outcome !== 'HOLD')
          throw new MuteError(
            'MUTE.FAILED_PRECONDITION',
            `the message was decided ${d.outcome}, not HOLD`,
            'messageId',
          );
        if (state.delivered) return [];
        const { releaseId, releasedAt, alert } = command.data;
        const ids = { messageId: d.message.messageId, recipientId: d.message.recipientId };
        return [
          { type: 'HeldMessageReleased', data: { ...ids, releaseId, releasedAt } },
          {
            type: 'MessageDelivered',
            data: {
              ...ids,
              outcome: 'HOLD',
              alert,
              decidedAt: d.decidedAt,
              deliveredAt: releasedAt,
              releaseId,
            },
          },
        ];
      }
      default: {
        const never: never = command;
        throw new Error(`unknown command ${JSON.stringify(never)}`);
      }
    }
  },

  revisionOf: (_command, state) => state.revision,
};
