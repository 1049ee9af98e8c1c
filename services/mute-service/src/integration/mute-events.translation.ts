import {
  MUTE_DELIVERIES_TOPIC_V1,
  MUTE_DELIVERY_V1,
  MUTE_EVENTS_TOPIC_V1,
  type MuteDeliveryV1,
  type MuteIntegrationEventV1,
} from '@tagguard/contracts';
import { categoryOf, idAfterTenant, idOf, type RecordedEvent } from '@tagguard/event-store';
import type { IntegrationMessage } from '@tagguard/messaging';
import { fromStoredStoreVisit } from '../automations/domain/store-visit.decider';
import type { MessageEvent } from '../messages/domain/message.decider';
import { CUSTOMER_CATEGORY } from '../streams';
import type { RulesEvent } from '../rules/domain/rules.decider';
import type { UnmuteEvent, UnmuteReport } from '../unmute/domain/unmute.decider';
import { positionString } from '../write/position';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Domain event → what the relay publishes, explicitly: a delivery on MUTE_DELIVERIES_TOPIC_V1 (one per
 * message, MessageDelivered), everything else as the audit's integration event on MUTE_EVENTS_TOPIC_V1.
 */
export function toIntegrationMessage(recorded: RecordedEvent): IntegrationMessage | undefined {
  const tenantId = recorded.metadata.tenantId;
  const base = { tenantId, revision: String(recorded.revision), position: positionString(recorded.position) };
  const by = recorded.metadata.actorId;
  const event = { type: recorded.type, data: recorded.data } as RulesEvent | MessageEvent | UnmuteEvent;
  const publish = (e: MuteIntegrationEventV1, key: string): IntegrationMessage => ({
    topic: MUTE_EVENTS_TOPIC_V1,
    key: `${tenantId}/${key}`,
    eventId: recorded.id,
    type: e.type,
    schemaVersion: 1,
    data: e.data,
    metadata: recorded.metadata,
  });
  if (categoryOf(recorded.streamId) === CUSTOMER_CATEGORY) return automationMessage(recorded, publish, base);
  switch (event.type) {
    case 'MuteRuleCreated':
    case 'MuteRuleUpdated':
    case 'MuteRuleRemoved': {
      const rule = event.data.rule;
      return publish(
        {
          type: 'mute.rule_changed.v1',
          data: { ...base, ruleId: rule.ruleId, rule, removed: event.type === 'MuteRuleRemoved', by },
        },
        `rule/${rule.ruleId}`,
      );
    }
    case 'GreenChannelCreated':
    case 'GreenChannelUpdated':
    case 'GreenChannelRemoved': {
      const channel = event.data.channel;
      return publish(
        {
          type: 'mute.green_channel_changed.v1',
          data: {
            ...base,
            channelId: channel.channelId,
            channel,
            removed: event.type === 'GreenChannelRemoved',
            by,
          },
        },
        `green-channel/${channel.channelId}`,
      );
    }
    case 'RecipientTimeZoneSet':
      return publish(
        {
          type: 'mute.recipient_time_zone_changed.v1',
          data: { ...base, employeeId: event.data.employeeId, timeZone: event.data.timeZone, by },
        },
        `time-zone/${event.data.employeeId}`,
      );
    case 'MessageDecided': {
      const d = event.data;
      return publish(
        {
          type: 'mute.message_decided.v1',
          data: {
            ...base,
            messageId: d.message.messageId,
            recipientId: d.message.recipientId,
            outcome: d.outcome,
            releaseAt: iso(d.releaseAt),
            winner: d.winner,
            reasons: d.reasons.map((r) => ({ ...r, specificity: r.specificity ? [...r.specificity] : null })),
            unmuteId: d.unmuteId,
            snapshot: d.snapshot,
          },
        },
        `message/${d.message.messageId}`,
      );
    }
    case 'HeldMessageReleased': {
      const d = event.data;
      return publish(
        {
          type: 'mute.message_released.v1',
          data: {
            ...base,
            messageId: d.messageId,
            recipientId: d.recipientId,
            releaseId: d.releaseId,
            releasedAt: iso(d.releasedAt)!,
          },
        },
        `message/${d.messageId}`,
      );
    }
    case 'MessageDelivered': {
      const d = event.data;
      const delivery: MuteDeliveryV1 = {
        tenantId,
        messageId: d.messageId,
        recipientId: d.recipientId,
        alert: d.alert,
        outcome: d.outcome,
        decidedAt: iso(d.decidedAt)!,
        deliveredAt: iso(d.deliveredAt)!,
        releaseId: d.releaseId,
      };
      return {
        topic: MUTE_DELIVERIES_TOPIC_V1,
        key: `${tenantId}/${d.recipientId}`,
        eventId: recorded.id,
        type: MUTE_DELIVERY_V1,
        schemaVersion: 1,
        data: delivery,
        metadata: recorded.metadata,
      };
    }
    case 'TemporaryUnmuteStarted': {
      const u = event.data;
      return publish(
        {
          type: 'mute.temporary_unmute_started.v1',
          data: {
            ...base,
            unmuteId: u.unmuteId,
            tagId: u.tagId,
            tagName: u.tagName,
            actorId: u.actorId,
            startsAt: iso(u.startsAt)!,
            endsAt: iso(u.endsAt)!,
            hours: u.hours,
          } as Extract<MuteIntegrationEventV1, { type: 'mute.temporary_unmute_started.v1' }>['data'],
        },
        `unmute/${u.unmuteId}`,
      );
    }
    case 'TemporaryUnmuteEnded': {
      // The contract's "ended" event, with the whole operation report in it.
      const u = event.data;
      return publish(
        {
          type: 'mute.temporary_unmute_ended.v1',
          data: {
            ...base,
            unmuteId: u.unmuteId,
            tagId: u.report.tagId,
            endedAt: iso(u.endedAt)!,
            messagesLetThrough: u.report.messageCount,
            report: reportV1(u.report),
          },
        },
        `unmute/${u.unmuteId}`,
      );
    }
    default:
      // Every event of a relayed stream has a public counterpart: an unknown one is parked by the relay.
      throw new Error(`no integration event for ${recorded.type}`);
  }
}

/** The report as published: instants as ISO-8601. */
function reportV1(r: UnmuteReport): Record<string, unknown> {
  return {
    ...r,
    startedAt: iso(r.startedAt),
    plannedEndAt: iso(r.plannedEndAt),
    endedAt: iso(r.endedAt),
    messages: r.messages.map((m) => ({ ...m, sentAt: iso(m.sentAt) })),
  };
}

/**
 * The store-visit automation's public events: the mute and its lift. A visit or a purchase is a private input
 * (it stays in the customer's stream): nothing is published for it.
 */
function automationMessage(
  recorded: RecordedEvent,
  publish: (e: MuteIntegrationEventV1, key: string) => IntegrationMessage,
  base: { tenantId: string; revision: string; position: string },
): IntegrationMessage | undefined {
  const customerId = idAfterTenant(base.tenantId, idOf(recorded.streamId));
  const e = fromStoredStoreVisit(recorded);
  switch (e.type) {
    case 'CustomerMutedForNoPurchase':
      return publish(
        {
          type: 'mute.customer_muted_by_automation.v1',
          data: {
            ...base,
            customerId,
            muteId: e.muteId,
            visitId: e.visitId,
            from: iso(e.from)!,
            until: iso(e.until)!,
          },
        },
        `customer/${customerId}`,
      );
    case 'AutomationMuteLifted':
      return publish(
        {
          type: 'mute.automation_mute_lifted.v1',
          data: { ...base, customerId, muteId: e.muteId, at: iso(e.at)!, reason: e.reason },
        },
        `customer/${customerId}`,
      );
    case 'StoreVisitRecorded':
    case 'PurchaseRecorded':
      return undefined;
    default:
      throw new Error(`no integration event for ${recorded.type}`);
  }
}
