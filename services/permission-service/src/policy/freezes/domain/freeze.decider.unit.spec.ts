import { specFor } from '../../testing/decider-spec';
import { freeze, type FreezeEvent } from './freeze.decider';

const { given } = specFor(freeze);
const manual: FreezeEvent = {
  type: 'FreezeChanged',
  data: {
    actorId: 'zs',
    frozen: true,
    source: 'manual',
    reason: 'audit',
    until: null,
    holds: { manual: { reason: 'audit', until: null }, tagService: null },
  },
};
const byTagService: FreezeEvent = {
  type: 'FreezeChanged',
  data: {
    actorId: 'zs',
    frozen: true,
    source: 'tag-service',
    reason: 'bulk delete',
    until: null,
    sourceRevision: '7',
    holds: { manual: null, tagService: { reason: 'bulk delete', until: null } },
  },
};
const NONE = { manual: null, tagService: null };
const fromTag = (frozen: boolean, sourceRevision: string) => ({
  type: 'ApplyTagServiceFreeze' as const,
  data: { actorId: 'zs', frozen, reason: frozen ? 'bulk delete' : 'unfrozen', sourceRevision },
});

describe('freeze decider', () => {
  it('freezes manually once, and unfreezes', () => {
    given([])
      .when({ type: 'Freeze', data: { actorId: 'zs', reason: 'audit', until: null } })
      .then([manual]);
    given([manual])
      .when({ type: 'Freeze', data: { actorId: 'zs', reason: 'audit', until: null } })
      .then([]);
    given([manual])
      .when({ type: 'Unfreeze', data: { actorId: 'zs', reason: 'cleared' } })
      .then([
        { type: 'FreezeChanged', data: { ...manual.data, frozen: false, reason: 'cleared', holds: NONE } },
      ]);
    given([])
      .when({ type: 'Unfreeze', data: { actorId: 'zs', reason: '' } })
      .then([]);
  });

  it("applies each of tag-service's events once (a redelivered or older one is a no-op)", () => {
    given([]).when(fromTag(true, '7')).then([byTagService]);
    given([byTagService]).when(fromTag(true, '7')).then([]);
    given([byTagService]).when(fromTag(false, '5')).then([]);
  });

  it("lets tag-service's unfreeze lift only its own freeze, never an admin's", () => {
    given([byTagService])
      .when(fromTag(false, '8'))
      .then([
        {
          type: 'FreezeChanged',
          data: { ...byTagService.data, frozen: false, reason: 'unfrozen', sourceRevision: '8', holds: NONE },
        },
      ]);
    given([manual])
      .when(fromTag(false, '8'))
      .then([
        {
          type: 'FreezeHoldRecorded',
          data: { actorId: 'zs', holds: manual.data.holds!, sourceRevision: '8' },
        },
      ]);
  });

  const both = { manual: manual.data.holds!.manual, tagService: byTagService.data.holds!.tagService };
  it('Given a manual freeze, When tag-service freezes and then unfreezes, Then the manual freeze still holds', () => {
    const held: FreezeEvent = {
      type: 'FreezeHoldRecorded',
      data: { actorId: 'zs', holds: both, sourceRevision: '7' },
    };
    // The combined freeze does not change: nothing published, the manual one is what FreezeV1 shows.
    given([manual]).when(fromTag(true, '7')).then([held]);
    given([manual, held])
      .when(fromTag(false, '8'))
      .then([
        {
          type: 'FreezeHoldRecorded',
          data: { actorId: 'zs', holds: manual.data.holds!, sourceRevision: '8' },
        },
      ]);
    given([manual, held]).when(fromTag(true, '7')).then([]);
  });
  it("Given tag-service's freeze, When an admin freezes, Then the manual one shows and outlives tag-service's unfreeze", () => {
    const admin: FreezeEvent = { type: 'FreezeChanged', data: { ...manual.data, holds: both } };
    given([byTagService])
      .when({ type: 'Freeze', data: { actorId: 'zs', reason: 'audit', until: null } })
      .then([admin]);
    given([byTagService, admin])
      .when(fromTag(false, '8'))
      .then([
        {
          type: 'FreezeHoldRecorded',
          data: { actorId: 'zs', holds: manual.data.holds!, sourceRevision: '8' },
        },
      ]);
    // A manual unfreeze lifts both (the admin's override).
    given([byTagService, admin])
      .when({ type: 'Unfreeze', data: { actorId: 'zs', reason: 'cleared' } })
      .then([
        { type: 'FreezeChanged', data: { ...manual.data, frozen: false, reason: 'cleared', holds: NONE } },
      ]);
  });
  it("Given tag-service's open-ended freeze, When an admin freezes until a date, Then the shown freeze has no end", () => {
    const until = '2026-12-02T00:00:00.000Z';
    given([byTagService])
      .when({ type: 'Freeze', data: { actorId: 'zs', reason: 'audit', until } })
      .then([
        {
          type: 'FreezeChanged',
          data: {
            ...manual.data,
            until: null,
            holds: { manual: { reason: 'audit', until }, tagService: { reason: 'bulk delete', until: null } },
          },
        },
      ]);
  });
  it('Given events written before holds were recorded, When tag-service unfreezes, Then a manual freeze holds', () => {
    const { holds: _h, ...legacy } = manual.data;
    given([{ type: 'FreezeChanged', data: legacy }])
      .when(fromTag(false, '8'))
      .then([
        {
          type: 'FreezeHoldRecorded',
          data: { actorId: 'zs', holds: manual.data.holds!, sourceRevision: '8' },
        },
      ]);
  });

  it('refuses an until that is not RFC 3339', () => {
    given([])
      .when({ type: 'Freeze', data: { actorId: 'zs', reason: 'x', until: 'soon' } })
      .thenFails('PERMISSION.INVALID_ARGUMENT', 'until');
  });
});
