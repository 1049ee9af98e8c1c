import { specFor } from '../../testing/decider-spec';
import { freeze, type FreezeEvent } from './freeze.decider';

const { given } = specFor(freeze);
const manual: FreezeEvent = {
  type: 'FreezeChanged',
  data: { actorId: 'zs', frozen: true, source: 'manual', reason: 'audit', until: null },
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
  },
};
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
      .then([{ type: 'FreezeChanged', data: { ...manual.data, frozen: false, reason: 'cleared' } }]);
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
          data: { ...byTagService.data, frozen: false, reason: 'unfrozen', sourceRevision: '8' },
        },
      ]);
    given([manual])
      .when(fromTag(false, '8'))
      .then([{ type: 'FreezeChanged', data: { ...manual.data, frozen: true, sourceRevision: '8' } }]);
  });

  it('refuses an until that is not RFC 3339', () => {
    given([])
      .when({ type: 'Freeze', data: { actorId: 'zs', reason: 'x', until: 'soon' } })
      .thenFails('PERMISSION.INVALID_ARGUMENT', 'until');
  });
});
