import type { PermissionRuleV1 } from '@tagguard/contracts';
import type { Decider } from '../../domain/decider';
import { invalid, notFound, PolicyError } from '../../domain/policy.errors';
import { actionOf, idOf, listOf, resourceOf, sameValue, subjectOf } from '../../domain/policy-rules';

export type RuleEvent =
  | { type: 'RuleChanged'; data: PermissionRuleV1 }
  /** The tree's whole order after the change, and who changed it (a move is audited as this event). */
  | { type: 'RulesReordered'; data: { ruleIds: string[]; by: string } };

type RuleInput = Omit<PermissionRuleV1, 'removed' | 'subject' | 'resource'> & {
  subject: PermissionRuleV1['subject'] | undefined;
  resource: PermissionRuleV1['resource'] | undefined;
};

export type RuleCommand =
  | { type: 'AddRule'; data: { rule: RuleInput; position?: number; by: string } }
  | { type: 'UpdateRule'; data: { rule: RuleInput } }
  | { type: 'RemoveRule'; data: { ruleId: string; by: string } }
  | { type: 'MoveRule'; data: { ruleId: string; position: number; by: string } }
  /** A role's removal with cascade: every rule whose subject is the role goes, in one append (D80). */
  | { type: 'RemoveRulesOfRole'; data: { roleId: string; by: string } };

/** The rules whose subject is the role, in tree order. */
export const rulesNamingRole = (state: TreeState, roleId: string): string[] =>
  state.order.filter((id) => {
    const s = state.rules[id]?.rule.subject;
    return s?.kind === 'role' && s.id === roleId;
  });

/**
 * The tenant's ordered permission tree, one stream: rules and their order change together (an added rule
 * is in the order in the same append), and a rule's revision is the tree stream's revision at its change.
 */
export type TreeState = {
  rules: Record<string, { rule: PermissionRuleV1; revision: number }>;
  order: string[];
  revision: number;
};

export const MAX_RULES = 10_000;

function ruleOf(input: RuleInput): PermissionRuleV1 {
  if (input.effect !== 'grant' && input.effect !== 'deny') throw invalid('effect', 'must be grant or deny');
  return {
    ruleId: idOf(input.ruleId, 'ruleId'),
    effect: input.effect,
    subject: subjectOf(input.subject, 'subject'),
    resource: resourceOf(input.resource, 'resource'),
    actions: listOf(input.actions, 'actions', actionOf),
    starred: input.starred,
    description: (input.description ?? '').slice(0, 2_000),
    removed: false,
  };
}

function positionOf(position: number | undefined, length: number, field = 'position'): number {
  if (position === undefined) return length;
  if (!Number.isInteger(position) || position < 0) throw invalid(field, 'must be 0 (top) or more');
  return Math.min(position, length);
}

const existing = (state: TreeState, ruleId: string) => {
  const held = state.rules[ruleId];
  if (!held) throw notFound('ruleId', `rule ${ruleId} does not exist`);
  return held;
};

export const permissionTree: Decider<TreeState, RuleCommand, RuleEvent> = {
  initialState: () => ({ rules: {}, order: [], revision: -1 }),

  evolve(state, event, revision) {
    switch (event.type) {
      case 'RuleChanged': {
        const { [event.data.ruleId]: _old, ...rest } = state.rules;
        return {
          ...state,
          rules: event.data.removed ? rest : { ...rest, [event.data.ruleId]: { rule: event.data, revision } },
          revision,
        };
      }
      case 'RulesReordered':
        return { ...state, order: event.data.ruleIds, revision };
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'AddRule': {
        const rule = ruleOf(command.data.rule);
        if (state.rules[rule.ruleId])
          throw new PolicyError('PERMISSION.ALREADY_EXISTS', `rule ${rule.ruleId} already exists`, 'ruleId');
        if (state.order.length >= MAX_RULES)
          throw new PolicyError('PERMISSION.FAILED_PRECONDITION', `a tree holds at most ${MAX_RULES} rules`);
        const at = positionOf(command.data.position, state.order.length);
        const ruleIds = [...state.order.slice(0, at), rule.ruleId, ...state.order.slice(at)];
        // The rule last: its revision is the append's, the one the write answers (and UpdateRule expects).
        return [
          { type: 'RulesReordered', data: { ruleIds, by: command.data.by } },
          { type: 'RuleChanged', data: rule },
        ];
      }
      case 'UpdateRule': {
        const held = existing(state, idOf(command.data.rule.ruleId, 'ruleId'));
        const rule = ruleOf(command.data.rule);
        return sameValue(held.rule, rule) ? [] : [{ type: 'RuleChanged', data: rule }];
      }
      case 'RemoveRule': {
        // Removing what is not there changes nothing (a retried remove, like RemoveRole); no id is no request.
        const held = state.rules[idOf(command.data.ruleId, 'ruleId')];
        if (!held) return [];
        return [
          { type: 'RuleChanged', data: { ...held.rule, removed: true } },
          {
            type: 'RulesReordered',
            data: { ruleIds: state.order.filter((id) => id !== held.rule.ruleId), by: command.data.by },
          },
        ];
      }
      case 'MoveRule': {
        const { ruleId, by } = command.data;
        existing(state, idOf(ruleId, 'ruleId'));
        const rest = state.order.filter((id) => id !== ruleId);
        const at = positionOf(command.data.position, rest.length);
        const ruleIds = [...rest.slice(0, at), ruleId, ...rest.slice(at)];
        return sameValue(ruleIds, state.order) ? [] : [{ type: 'RulesReordered', data: { ruleIds, by } }];
      }
      case 'RemoveRulesOfRole': {
        const gone = new Set(rulesNamingRole(state, command.data.roleId));
        if (gone.size === 0) return [];
        return [
          ...[...gone].map((id): RuleEvent => ({
            type: 'RuleChanged',
            data: { ...state.rules[id]!.rule, removed: true },
          })),
          {
            type: 'RulesReordered',
            data: { ruleIds: state.order.filter((id) => !gone.has(id)), by: command.data.by },
          },
        ];
      }
      default: {
        const unknown: never = command;
        throw new Error(`unknown command ${JSON.stringify(unknown)}`);
      }
    }
  },

  /** A move or an add is checked against the tree's revision, an update or removal against the rule's. */
  revisionOf(command, state) {
    switch (command.type) {
      case 'AddRule':
      case 'MoveRule':
      case 'RemoveRulesOfRole':
        return state.revision;
      case 'UpdateRule':
        return state.rules[command.data.rule.ruleId]?.revision ?? -1;
      case 'RemoveRule':
        return state.rules[command.data.ruleId]?.revision ?? -1;
    }
  },
};
