import { decideAutomations, type AutomationCommand } from '../automations/domain/automations.decider';
import { decideApprovals, type ApprovalCommand } from '../governance/domain/approvals.decider';
import { decideFreezes, type FreezeCommand } from '../governance/domain/freezes.decider';
import { decideRevertRules, type RevertRuleCommand } from '../governance/domain/revert-rules.decider';
import {
  decideMembershipGuard,
  type MembershipGuardCommand,
} from '../members/domain/membership-guard.decider';
import { decideRecycleBin, type RecycleBinCommand } from '../recycle-bin/domain/recycle-bin.decider';
import { decideApplyRestore, type ApplyRestoreCommand } from '../time-machine/domain/apply-restore.decider';
import { decideTree, type TreeCommand } from '../tree/domain/tree.decider';
import { assertNotFrozen } from './catalog-guards';
import type { TagCatalogEvent } from './tag-catalog.events';
import type { TagCatalogState } from './tag-catalog.state';

export type { Actor } from './catalog-guards';
// domain/time-machine.ts checks a restored tree against the same depth limit.
export { MAX_DEPTH } from '../tree/domain/tree.decider';

/** Every command on a tenant's catalogue stream; each feature decides its own (see docs/architecture.md). */
export type TagCatalogCommand =
  | TreeCommand
  | RecycleBinCommand
  | FreezeCommand
  | MembershipGuardCommand
  | ApprovalCommand
  | AutomationCommand
  | RevertRuleCommand
  | ApplyRestoreCommand;

export function decideCatalog(command: TagCatalogCommand, state: TagCatalogState): TagCatalogEvent[] {
  // Asked once for every feature. A frozen actor may still ask for an unfreeze; decideFreezes refuses their own.
  if (command.type !== 'UnfreezeOperator') assertNotFrozen(command.data, state);
  switch (command.type) {
    case 'CreateNode':
    case 'RenameNode':
    case 'MoveNode':
    case 'ReorderNode':
    case 'DescribeNode':
    case 'ConfigureVisibility':
    case 'SetProtection':
      return decideTree(command, state);
    case 'DeleteNode':
    case 'RestoreNode':
    case 'PurgeDueNodes':
      return decideRecycleBin(command, state);
    case 'ConfigurePolicy':
    case 'UnfreezeOperator':
      return decideFreezes(command, state);
    case 'GuardMembershipChange':
      return decideMembershipGuard(command, state);
    case 'ApproveOperation':
    case 'RejectOperation':
    case 'ExpireApprovals':
      return decideApprovals(command, state);
    case 'DefineAutomation':
    case 'RemoveAutomation':
      return decideAutomations(command, state);
    case 'DefineRevertRule':
    case 'RemoveRevertRule':
    case 'RecordRevert':
      return decideRevertRules(command, state);
    case 'ApplyRestore':
      return decideApplyRestore(command);
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}
