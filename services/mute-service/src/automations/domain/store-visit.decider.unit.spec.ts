import { given } from '@tagguard/testing';
import { specFor } from '../../testing/decider-spec';
import {
  automationSettingsDecider,
  customerStreamDecider,
  storedStoreVisit,
  evolveStoreVisit,
  initialStoreVisitState,
  mutedAt,
  storeVisitDecider,
  type StoreVisitEvent,
} from './store-visit.decider';

const H = 3_600_000;
const T0 = Date.parse('2026-03-10T02:00:00Z');
const policy = { waitMs: 48 * H, muteMs: 7 * 24 * H };
const spec = given(storeVisitDecider);
const visited: StoreVisitEvent = {
  type: 'StoreVisitRecorded',
  visitId: 'v1',
  storeId: 's-shanghai-1',
  at: T0,
  checkAt: T0 + 48 * H,
};
const muted: StoreVisitEvent = {
  type: 'CustomerMutedForNoPurchase',
  muteId: 'visit:v1',
  visitId: 'v1',
  visitAt: T0,
  from: T0 + 48 * H,
  until: T0 + 48 * H + 7 * 24 * H,
};

describe('store visit automation', () => {
  it('Given a customer, When they scan in a store, Then the visit waits 48 h for a purchase', () => {
    spec([])
      .when({ type: 'RecordStoreVisit', visitId: 'v1', storeId: 's-shanghai-1', at: T0, policy })
      .then([visited]);
  });

  it('Given a recorded visit, When the same visit arrives again, Then nothing new', () => {
    spec([visited])
      .when({ type: 'RecordStoreVisit', visitId: 'v1', storeId: 's-shanghai-1', at: T0, policy })
      .then([]);
  });

  it('Given a visit and no purchase, When the 48 h timer fires, Then the customer is muted from then for the period', () => {
    spec([visited])
      .when({ type: 'CheckVisit', visitId: 'v1', now: T0 + 48 * H + 20, policy })
      .then([muted]);
  });

  it('Given a visit, When the timer fires before 48 h have passed, Then nothing', () => {
    spec([visited])
      .when({ type: 'CheckVisit', visitId: 'v1', now: T0 + 47 * H, policy })
      .then([]);
  });

  it('Given a visit then a purchase within 48 h, When the timer fires, Then the customer is not muted', () => {
    spec([visited, { type: 'PurchaseRecorded', purchaseId: 'p1', at: T0 + 5 * H }])
      .when({ type: 'CheckVisit', visitId: 'v1', now: T0 + 48 * H, policy })
      .then([]);
  });

  it('Given a muted customer, When they complete a purchase, Then the mute is lifted', () => {
    spec([visited, muted])
      .when({ type: 'RecordPurchase', purchaseId: 'p1', at: T0 + 60 * H })
      .then([
        { type: 'PurchaseRecorded', purchaseId: 'p1', at: T0 + 60 * H },
        { type: 'AutomationMuteLifted', muteId: 'visit:v1', at: T0 + 60 * H, reason: 'purchase' },
      ]);
  });

  it('Given a mute applied before a purchase within the wait arrived (a late commerce event), When the purchase arrives, Then the mute is lifted from when it began', () => {
    spec([visited, muted])
      .when({ type: 'RecordPurchase', purchaseId: 'p1', at: T0 + 8 * H })
      .then([
        { type: 'PurchaseRecorded', purchaseId: 'p1', at: T0 + 8 * H },
        { type: 'AutomationMuteLifted', muteId: 'visit:v1', at: T0 + 48 * H, reason: 'purchase' },
      ]);
  });

  it('Given a muted customer, When a purchase from before the visit arrives late, Then the mute stands', () => {
    spec([visited, muted])
      .when({ type: 'RecordPurchase', purchaseId: 'p0', at: T0 - H })
      .then([{ type: 'PurchaseRecorded', purchaseId: 'p0', at: T0 - H }]);
  });

  it('Given a mute written before its visit instant was kept, When a purchase within the wait arrives late, Then the mute stands (its start is all it knows)', () => {
    const { visitAt: _unknown, ...older } = muted as Extract<StoreVisitEvent, { visitAt?: number }>;
    spec([visited, older])
      .when({ type: 'RecordPurchase', purchaseId: 'p1', at: T0 + 8 * H })
      .then([{ type: 'PurchaseRecorded', purchaseId: 'p1', at: T0 + 8 * H }]);
  });

  it('Given a purchase already recorded, When it is delivered again, Then nothing', () => {
    spec([{ type: 'PurchaseRecorded', purchaseId: 'p1', at: T0 }])
      .when({ type: 'RecordPurchase', purchaseId: 'p1', at: T0 })
      .then([]);
  });

  it('Given a muted customer, When the mute timer fires at its end, Then it is lifted as expired; fired again, nothing', () => {
    spec([visited, muted])
      .when({ type: 'ExpireAutomationMute', muteId: 'visit:v1', now: T0 + 300 * H })
      .then([
        { type: 'AutomationMuteLifted', muteId: 'visit:v1', at: T0 + 48 * H + 7 * 24 * H, reason: 'expired' },
      ]);
    spec([
      visited,
      muted,
      { type: 'AutomationMuteLifted', muteId: 'visit:v1', at: T0 + 60 * H, reason: 'purchase' },
    ])
      .when({ type: 'ExpireAutomationMute', muteId: 'visit:v1', now: T0 + 300 * H })
      .then([]);
  });

  it('Given a purchase that arrived before the visit it answers (out of order), When the visit arrives, Then it waits for nothing', () => {
    spec([{ type: 'PurchaseRecorded', purchaseId: 'p1', at: T0 + H }])
      .when({ type: 'RecordStoreVisit', visitId: 'v1', storeId: 's1', at: T0, policy })
      .then([]);
  });

  it('Given a wait of zero hours, When a visit is recorded, Then INVALID_ARGUMENT names waitHours', () => {
    spec([])
      .when({
        type: 'RecordStoreVisit',
        visitId: 'v1',
        storeId: 's1',
        at: T0,
        policy: { ...policy, waitMs: 0 },
      })
      .thenThrows({ code: 'MUTE.INVALID_ARGUMENT', field: 'waitHours' });
  });

  it('Given a mute, When asked at instants, Then muted only inside [from, until)', () => {
    const s = [visited, muted].reduce(evolveStoreVisit, initialStoreVisitState);
    expect([mutedAt(s, T0), mutedAt(s, T0 + 48 * H), mutedAt(s, T0 + 48 * H + 7 * 24 * H)]).toEqual([
      false,
      true,
      false,
    ]);
  });
});

describe('store-visit automation on its streams', () => {
  const settings = specFor(automationSettingsDecider);
  const configure = {
    type: 'ConfigureStoreVisitAutomation' as const,
    enabled: true,
    waitHours: 48,
    muteHours: 168,
    effect: 'silent',
  };
  const configured = {
    type: 'StoreVisitAutomationConfigured' as const,
    data: { enabled: true, waitMs: 48 * H, muteMs: 168 * H, effect: 'silent' as const },
  };

  it('Given no settings, When an admin configures the automation, Then the settings are one event', () => {
    settings.given([]).when(configure).then([configured]);
  });

  it('Given settings, When the same settings are configured again, Then nothing is written', () => {
    settings.given([configured]).when(configure).then([]);
  });

  it.each([
    ['waitHours', { waitHours: 0 }],
    ['muteHours', { muteHours: 8761 }],
    ['effect', { effect: 'drop' }],
  ])('Given no settings, When %s is out of range, Then INVALID_ARGUMENT names it', (field, bad) => {
    settings
      .given([])
      .when({ ...configure, ...bad })
      .thenFails('MUTE.INVALID_ARGUMENT', field);
  });

  it('Given a recorded visit on the customer stream, When the wait ends without a purchase, Then the mute is appended as the stream holds it ({ type, data })', () => {
    const { type, ...data } = visited;
    specFor(customerStreamDecider())
      .given([{ type, data }])
      .when({ type: 'CheckVisit', visitId: 'v1', now: T0 + 48 * H, policy })
      .then([storedStoreVisit(muted)]);
  });
});
