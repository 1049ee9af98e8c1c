import { given } from '@tagguard/testing';
import type { Actor } from '../tags/domain/catalog-guards';
import type { AffectedTag, TagCatalogEvent } from '../tags/domain/tag-catalog.events';
import { evolveCatalog, initialCatalogState, type TagCatalogState } from '../tags/domain/tag-catalog.state';
import type { RecycleBinCommand } from '../tags/recycle-bin/domain/recycle-bin.decider';
import type { TreeCommand } from '../tags/tree/domain/tree.decider';

/** Given/When/Then for one of the catalogue's feature deciders, over the catalogue's shared state. */
export function catalogSpec<Command>(
  decide: (command: Command, state: TagCatalogState) => TagCatalogEvent[],
) {
  return given<Command, TagCatalogEvent, TagCatalogState>({
    decide,
    evolve: evolveCatalog,
    initialState: initialCatalogState(),
  });
}

export const admin: Actor = { actorId: 'admin-1', roles: ['tenant_admin'], departmentId: 'dept-east' };
export const other: Actor = { actorId: 'admin-2', roles: ['tenant_admin'], departmentId: 'dept-hq' };
export const now = '2026-11-24T10:00:00.000Z';
export const base = { actor: admin, now };

export const created = (
  nodeId: string,
  name: string,
  parentId: string | null = null,
  nodeType: 'group' | 'tag' = 'tag',
  order = 0,
): TagCatalogEvent => ({
  type: 'NodeCreated',
  data: { nodeId, nodeType, kind: 'customer', name, parentId, order, description: '' },
});

export const create = (
  nodeId: string,
  name: string,
  parentId: string | null = null,
  nodeType: 'group' | 'tag' = 'tag',
): TreeCommand => ({
  type: 'CreateNode',
  data: { ...base, nodeId, nodeType, kind: 'customer', name, parentId, description: '' },
});

export const deleteNode = (
  nodeId: string,
  memberCounts: Record<string, number> = {},
  actor = admin,
): RecycleBinCommand => ({
  type: 'DeleteNode',
  data: { actor, now, nodeId, memberCounts, operationId: 'op-1', approvalId: 'ap-1' },
});

export const protectedTag: TagCatalogEvent[] = [
  created('t1', 'VIP客户'),
  { type: 'ProtectionSet', data: { nodeId: 't1', protected: true } },
];

/** What deleting `protectedTag` by admin-1 at `now` requests. */
export const deleteRequested: TagCatalogEvent = {
  type: 'ApprovalRequested',
  data: {
    approvalId: 'ap-1',
    operation: { type: 'delete', nodeId: 't1' },
    requestedBy: 'admin-1',
    requestedByDepartment: 'dept-east',
    requestedAt: now,
    expiresAt: '2026-11-25T10:00:00.000Z',
  },
};

export const frozenByOp1: TagCatalogEvent = {
  type: 'OperatorFrozen',
  data: { actorId: 'admin-1', operationId: 'op-1', reason: 'x' },
};

/** Group g1 "大客户" holding tags t1 "VIP客户" and t2 "意向客户". */
export const group: TagCatalogEvent[] = [
  created('g1', '大客户', null, 'group'),
  created('t1', 'VIP客户', 'g1'),
  created('t2', '意向客户', 'g1', 'tag', 1),
];

/** `group` deleted by admin-1 at `now`, due for purging 72 h later (the default retention). */
export const groupBinned = (affected: AffectedTag[] = []): TagCatalogEvent => ({
  type: 'NodesBinned',
  data: {
    rootId: 'g1',
    nodeIds: ['g1', 't1', 't2'],
    deletedBy: 'admin-1',
    deletedAt: now,
    purgeDueAt: '2026-11-27T10:00:00.000Z',
    affected,
  },
});
