import { streamName, tenantScopedId } from '@tagguard/event-store';

// mute-service's streams. The rules and green channels of a tenant are one stream (a rule and its parent
// are checked against each other in one append); each decided message is a stream of its own, holding its
// decision, its release (a HOLD) and its one delivery.
export const RULES_CATEGORY = 'muteRules';
export const MESSAGE_CATEGORY = 'muteMessage';
/** The write side's own: the memory and the relay never read it. */
export const REQUEST_KEY_CATEGORY = 'muteRequestKey';
/** A temporary unmute's stream: started, ended (with its report). Read models: unmute-feed (D110). */
export const UNMUTE_CATEGORY = 'muteUnmute';
/** A customer's store-visit automation: visits, purchases, the mute and its lift (D110). */
export const CUSTOMER_CATEGORY = 'muteCustomer';
/** A tenant's automation settings. */
export const AUTOMATION_CATEGORY = 'muteAutomation';
/** A recipient's released digests (D110); read by the hold feed only. */
export const DIGEST_CATEGORY = 'muteDigest';
/** What the memory folds. */
export const MUTE_CATEGORIES = [RULES_CATEGORY, MESSAGE_CATEGORY];
/** What the relay publishes (mute-events.translation: visits and purchases stay private). */
export const RELAYED_CATEGORIES = [...MUTE_CATEGORIES, UNMUTE_CATEGORY, CUSTOMER_CATEGORY];

export const rulesStream = (tenantId: string): string =>
  streamName(RULES_CATEGORY, tenantScopedId(tenantId, 'rules'));
export const messageStream = (tenantId: string, messageId: string): string =>
  streamName(MESSAGE_CATEGORY, tenantScopedId(tenantId, messageId));
export const unmuteStream = (tenantId: string, unmuteId: string): string =>
  streamName(UNMUTE_CATEGORY, tenantScopedId(tenantId, unmuteId));
export const customerStream = (tenantId: string, customerId: string): string =>
  streamName(CUSTOMER_CATEGORY, tenantScopedId(tenantId, customerId));
export const automationSettingsStream = (tenantId: string): string =>
  streamName(AUTOMATION_CATEGORY, tenantScopedId(tenantId, 'store-visit'));
export const digestStream = (tenantId: string, recipientId: string): string =>
  streamName(DIGEST_CATEGORY, tenantScopedId(tenantId, recipientId));
