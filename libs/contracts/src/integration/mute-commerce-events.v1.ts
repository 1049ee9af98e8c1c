import { topicName } from '@tagguard/messaging';

/**
 * Store and purchase facts that mute-service's automations consume (issue 13 item 6): a store's scanner or
 * POS, or a commerce platform's bridge, publishes one message per fact. mute-service owns the topic (it is its
 * ingest; producers are outside TagGuard). Kafka key: `<tenantId>/<customerId>`, so one customer's facts stay
 * in order. `eventId` in the envelope (tg-event-id) makes a re-delivery a no-op; `visitId` / `purchaseId`
 * make a re-sent fact one fact even under a new envelope. Version 1.
 */
export const MUTE_COMMERCE_EVENTS_TOPIC_V1 = topicName({
  service: 'mute-service',
  visibility: 'public',
  aggregate: 'commerce',
  event: 'events',
  version: 1,
});

export type StoreVisitedV1 = {
  tenantId: string;
  /** The WeCom external_userid of the customer who scanned. */
  customerId: string;
  visitId: string;
  storeId: string;
  /** ISO-8601 instant of the scan. */
  visitedAt: string;
};

export type PurchaseCompletedV1 = {
  tenantId: string;
  customerId: string;
  purchaseId: string;
  storeId: string | null;
  /** ISO-8601 instant the purchase completed. */
  purchasedAt: string;
};

export type MuteCommerceEventV1 =
  | { type: 'commerce.store_visited.v1'; data: StoreVisitedV1 }
  | { type: 'commerce.purchase_completed.v1'; data: PurchaseCompletedV1 };

export const MUTE_COMMERCE_TYPES_V1 = [
  'commerce.store_visited.v1',
  'commerce.purchase_completed.v1',
] as const;

export class CommerceEventError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'CommerceEventError';
  }
}

function text(d: Record<string, unknown>, field: string, type: string): string {
  const v = d[field];
  if (typeof v !== 'string' || v.length === 0 || v.length > 256)
    throw new CommerceEventError(
      `${type}: "${field}" must be a non-empty string of at most 256 characters`,
      field,
    );
  return v;
}

function instant(d: Record<string, unknown>, field: string, type: string): string {
  const v = text(d, field, type);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(v) || Number.isNaN(Date.parse(v)))
    throw new CommerceEventError(`${type}: "${field}" must be an ISO-8601 instant with a zone`, field);
  return v;
}

/** Validates a message of the topic; throws CommerceEventError naming the field (the consumer parks it). */
export function parseMuteCommerceEventV1(type: string, data: unknown): MuteCommerceEventV1 {
  if (!data || typeof data !== 'object')
    throw new CommerceEventError(`${type}: data must be an object`, 'data');
  const d = data as Record<string, unknown>;
  if (type === 'commerce.store_visited.v1')
    return {
      type,
      data: {
        tenantId: text(d, 'tenantId', type),
        customerId: text(d, 'customerId', type),
        visitId: text(d, 'visitId', type),
        storeId: text(d, 'storeId', type),
        visitedAt: instant(d, 'visitedAt', type),
      },
    };
  if (type === 'commerce.purchase_completed.v1')
    return {
      type,
      data: {
        tenantId: text(d, 'tenantId', type),
        customerId: text(d, 'customerId', type),
        purchaseId: text(d, 'purchaseId', type),
        storeId: d.storeId === undefined || d.storeId === null ? null : text(d, 'storeId', type),
        purchasedAt: instant(d, 'purchasedAt', type),
      },
    };
  throw new CommerceEventError(`unknown commerce event type "${type}"`, 'type');
}

export const muteCommerceEventKeyV1 = (e: MuteCommerceEventV1): string =>
  `${e.data.tenantId}/${e.data.customerId}`;
