import type { TagCatalogEvent } from '../../domain/tag-catalog.events';
import { base, catalogSpec, created } from '../../../testing/catalog-decider.fixtures';
import { decideApplyRestore, type ApplyRestoreCommand } from './apply-restore.decider';

const spec = catalogSpec(decideApplyRestore);
const planned: TagCatalogEvent[] = [
  { type: 'NodesRestored', data: { rootId: 't1', nodeIds: ['t1'], restoredBy: 'admin-1' } },
];
const restore = (unpurged: string[], mayUnpurge: boolean): ApplyRestoreCommand => ({
  type: 'ApplyRestore',
  data: { ...base, events: planned, unpurged, mayUnpurge },
});

describe('apply restore', () => {
  it('given a plan that brings back no purged tag, when applied, then its events are the decision', () => {
    spec([created('t1', 'x')])
      .when(restore([], false))
      .then(planned);
  });

  it('given a plan that brings back purged t1, when applied without tag_recovery, then PERMISSION_DENIED names root_id; with it, it is applied', () => {
    spec([created('t1', 'x')])
      .when(restore(['t1'], false))
      .thenThrows({ code: 'TAG.PERMISSION_DENIED', field: 'root_id' });
    spec([created('t1', 'x')])
      .when(restore(['t1'], true))
      .then(planned);
  });
});
