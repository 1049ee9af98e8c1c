import { activeNode, type CommandBase } from '../../domain/catalog-guards';
import type { AutomationRule, TagCatalogEvent } from '../../domain/tag-catalog.events';
import type { TagCatalogState } from '../../domain/tag-catalog.state';
import { TagError } from '../../domain/tag.errors';

export type AutomationCommand =
  | { type: 'DefineAutomation'; data: CommandBase & { rule: AutomationRule } }
  | { type: 'RemoveAutomation'; data: CommandBase & { ruleId: string } };

/** The rules that turn a customer's tagging into a follow-up task (run by follow-up.process.ts). */
export function decideAutomations(command: AutomationCommand, state: TagCatalogState): TagCatalogEvent[] {
  switch (command.type) {
    case 'DefineAutomation': {
      const { rule } = command.data;
      const tag = activeNode(state, rule.tagId, 'tag_id');
      if (tag.kind !== 'customer' || tag.nodeType !== 'tag')
        throw new TagError('TAG.INVALID_ARGUMENT', 'automations watch customer tags', 'tag_id');
      if (!rule.assigneeId) throw new TagError('TAG.INVALID_ARGUMENT', 'must not be empty', 'assignee_id');
      if (!Number.isInteger(rule.dueInHours) || rule.dueInHours < 1 || rule.dueInHours > 24 * 90)
        throw new TagError('TAG.INVALID_ARGUMENT', 'must be between 1 and 2160', 'due_in_hours');
      if (!rule.guideTemplate.trim() || rule.guideTemplate.length > 4000)
        throw new TagError('TAG.INVALID_ARGUMENT', 'must be 1 to 4000 characters', 'guide_template');
      return [{ type: 'AutomationRuleDefined', data: rule }];
    }
    case 'RemoveAutomation':
      if (!state.automations.has(command.data.ruleId))
        throw new TagError('TAG.NOT_FOUND', `no automation ${command.data.ruleId}`, 'rule_id');
      return [{ type: 'AutomationRuleRemoved', data: { ruleId: command.data.ruleId } }];
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}
