import { MUTE_COMMERCE_EVENTS_TOPIC_V1, parseMuteCommerceEventV1 } from '@tagguard/contracts';

describe('mute commerce events v1', () => {
  it('names its topic by the convention', () => {
    expect(MUTE_COMMERCE_EVENTS_TOPIC_V1).toBe('mute-service.public.commerce.events.v1');
  });

  it('Given a store visit, When parsed, Then its fields come back typed', () => {
    const e = parseMuteCommerceEventV1('commerce.store_visited.v1', {
      tenantId: 't1',
      customerId: 'wm-1',
      visitId: 'v1',
      storeId: 's1',
      visitedAt: '2026-03-10T10:00:00+08:00',
      extra: 1,
    });
    expect(e).toEqual({
      type: 'commerce.store_visited.v1',
      data: {
        tenantId: 't1',
        customerId: 'wm-1',
        visitId: 'v1',
        storeId: 's1',
        visitedAt: '2026-03-10T10:00:00+08:00',
      },
    });
  });

  it.each([
    [
      'commerce.store_visited.v1',
      { tenantId: 't1', customerId: 'wm-1', visitId: 'v1', storeId: 's1', visitedAt: 'yesterday' },
      'visitedAt',
    ],
    [
      'commerce.store_visited.v1',
      { tenantId: 't1', visitId: 'v1', storeId: 's1', visitedAt: '2026-03-10T02:00:00Z' },
      'customerId',
    ],
    [
      'commerce.purchase_completed.v1',
      { tenantId: 't1', customerId: 'wm-1', purchasedAt: '2026-03-10T02:00:00Z' },
      'purchaseId',
    ],
    ['commerce.refund.v1', {}, 'type'],
  ])('Given %s with %j, When parsed, Then the error names %s', (type, data, field) => {
    expect(() => parseMuteCommerceEventV1(type, data)).toThrow(expect.objectContaining({ field }));
  });
});
