import { specFor } from '../../testing/decider-spec';
import { permissionGroup } from './permission-group.decider';

const { given } = specFor(permissionGroup);
const vip = { groupId: 'vip', name: 'VIP', tagIds: ['t1'], tagGroupIds: ['g1'], removed: false };

describe('permission group decider', () => {
  it('defines a group of tags and tag groups once, and removes it', () => {
    given([])
      .when({ type: 'DefinePermissionGroup', data: { ...vip, tagIds: ['t1', 't1'] } })
      .then([{ type: 'PermissionGroupDefined', data: vip }]);
    given([{ type: 'PermissionGroupDefined', data: vip }])
      .when({ type: 'DefinePermissionGroup', data: vip })
      .then([]);
    given([{ type: 'PermissionGroupDefined', data: vip }])
      .when({ type: 'RemovePermissionGroup', data: { groupId: 'vip' } })
      .then([{ type: 'PermissionGroupRemoved', data: { ...vip, removed: true } }]);
  });

  it('refuses an empty tag id, naming its index', () => {
    given([])
      .when({ type: 'DefinePermissionGroup', data: { ...vip, tagIds: ['t1', ''] } })
      .thenFails('PERMISSION.INVALID_ARGUMENT', 'tagIds[1]');
  });
});
