import {
  base,
  catalogSpec,
  create,
  created,
  frozenByOp1,
  group,
} from '../../testing/catalog-decider.fixtures';
import { decideCatalog, type TagCatalogCommand } from './tag-catalog.decider';

// The router's own rule, asked once for every feature: a frozen actor writes nothing else.
const spec = catalogSpec(decideCatalog);
const addMember = (operationId: string): TagCatalogCommand => ({
  type: 'GuardMembershipChange',
  data: {
    ...base,
    change: 'add_members',
    tagId: 't9',
    members: [{ kind: 'customer', id: 'c1' }],
    operationId,
    approvalId: 'ap-9',
  },
});

describe('tag catalogue: the frozen-actor guard', () => {
  it('given a frozen actor, when they write anything, then OPERATOR_FROZEN', () => {
    spec([...group, frozenByOp1])
      .when(create('t9', 'x'))
      .thenThrows({ code: 'TAG.OPERATOR_FROZEN' });
  });

  it('given an actor frozen by op-1, when they retry op-1, then it is decided; another operation is refused', () => {
    spec([created('t9', 'x'), frozenByOp1])
      .when(addMember('op-1'))
      .then([]);
    spec([created('t9', 'x'), frozenByOp1])
      .when(addMember('op-2'))
      .thenThrows({ code: 'TAG.OPERATOR_FROZEN' });
  });

  it('given a frozen actor, when they ask to unfreeze themself, then the freezes rule answers, not the guard', () => {
    spec([...group, frozenByOp1])
      .when({ type: 'UnfreezeOperator', data: { ...base, frozenActorId: 'admin-1' } })
      .thenThrows({ code: 'TAG.PERMISSION_DENIED', field: 'actor_id' });
  });
});
