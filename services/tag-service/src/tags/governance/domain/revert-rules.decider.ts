import { activeNode, type CommandBase } from '../../domain/catalog-guards';
import type { MemberRef, RevertRule, TagCatalogEvent } from '../../domain/tag-catalog.events';
import type { TagCatalogState } from '../../domain/tag-catalog.state';
import { TagError } from '../../domain/tag.errors';

export type RevertRuleCommand =
  | { type: 'DefineRevertRule'; data: CommandBase & { rule: RevertRule } }
  | { type: 'RemoveRevertRule'; data: CommandBase & { ruleId: string } }
  | {
      type: 'RecordRevert';
      data: CommandBase & {
        ruleId: string;
        tagId: string;
        offenderId: string;
        members: MemberRef[];
        reason: string;
        revertedEventId: string;
      };
    };

/** The preset rules a removal is checked against (domain/revert-rules.ts), and the record of an undo. */
export function decideRevertRules(command: RevertRuleCommand, state: TagCatalogState): TagCatalogEvent[] {
  switch (command.type) {
    case 'DefineRevertRule': {
      const { rule } = command.data;
      activeNode(state, rule.tagId, 'tag_id');
      if (rule.type === 'removal_requires_role' && !rule.role)
        throw new TagError('TAG.INVALID_ARGUMENT', 'must not be empty', 'role');
      if (rule.type === 'removal_rate_limit' && (!Number.isInteger(rule.maxPerHour) || rule.maxPerHour < 1))
        throw new TagError('TAG.INVALID_ARGUMENT', 'must be a positive integer', 'max_per_hour');
      return [{ type: 'RevertRuleDefined', data: rule }];
    }
    case 'RemoveRevertRule':
      if (!state.revertRules.has(command.data.ruleId))
        throw new TagError('TAG.NOT_FOUND', `no revert rule ${command.data.ruleId}`, 'rule_id');
      return [{ type: 'RevertRuleRemoved', data: { ruleId: command.data.ruleId } }];
    case 'RecordRevert': {
      const { ruleId, tagId, offenderId, members, reason, revertedEventId } = command.data;
      return [
        {
          type: 'AbnormalChangeReverted',
          data: { ruleId, tagId, actorId: offenderId, members, reason, revertedEventId },
        },
      ];
    }
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}
