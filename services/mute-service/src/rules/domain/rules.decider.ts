import type { GreenChannel, MuteRule } from '@tagguard/mute-engine';
import type { Decider } from '../../write/decider';
import { MuteError } from '../../write/mute.errors';
import { checkChannel, checkId, checkRule, checkZone } from './rule-validation';

/** An object of the tenant's rules stream and the stream revision it last changed at (kept when removed). */
type Held<T> = { value: T; revision: number; removed: boolean };

export type RulesState = {
  rules: ReadonlyMap<string, Held<MuteRule>>;
  channels: ReadonlyMap<string, Held<GreenChannel>>;
  /** Recipients' own IANA zones (removed: back to the tenant's default). */
  timeZones: ReadonlyMap<string, Held<string>>;
};

// Fat events: each carries the object's whole state, so the relay and the memory need nothing else.
export type RulesEvent =
  | { type: 'MuteRuleCreated'; data: { rule: MuteRule } }
  | { type: 'MuteRuleUpdated'; data: { rule: MuteRule } }
  | { type: 'MuteRuleRemoved'; data: { rule: MuteRule } }
  | { type: 'GreenChannelCreated'; data: { channel: GreenChannel } }
  | { type: 'GreenChannelUpdated'; data: { channel: GreenChannel } }
  | { type: 'GreenChannelRemoved'; data: { channel: GreenChannel } }
  | { type: 'RecipientTimeZoneSet'; data: { employeeId: string; timeZone: string | null } };

export type RulesCommand =
  | { type: 'CreateRule'; data: { rule: MuteRule } }
  | { type: 'UpdateRule'; data: { rule: MuteRule } }
  | { type: 'RemoveRule'; data: { ruleId: string } }
  | { type: 'CreateGreenChannel'; data: { channel: GreenChannel } }
  | { type: 'UpdateGreenChannel'; data: { channel: GreenChannel } }
  | { type: 'RemoveGreenChannel'; data: { channelId: string } }
  | { type: 'SetTimeZone'; data: { employeeId: string; timeZone: string | null } };

const live = <T>(held: Held<T> | undefined): T | undefined =>
  held && !held.removed ? held.value : undefined;
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The parent must exist, and the rule must not end up below itself (a cycle). */
function checkParent(rule: MuteRule, state: RulesState): void {
  if (rule.parentId === null) return;
  const seen = new Set([rule.ruleId]);
  for (let at: string | null = rule.parentId; at !== null;) {
    if (seen.has(at))
      throw new MuteError('MUTE.INVALID_ARGUMENT', 'would nest the rule below itself', 'rule.parentId');
    seen.add(at);
    const parent: MuteRule | undefined = live(state.rules.get(at));
    if (!parent) throw new MuteError('MUTE.NOT_FOUND', `rule "${at}" does not exist`, 'rule.parentId');
    at = parent.parentId;
  }
}

function childrenOf(ruleId: string, state: RulesState): string[] {
  return [...state.rules.values()]
    .filter((h) => !h.removed && h.value.parentId === ruleId)
    .map((h) => h.value.ruleId);
}

/**
 * Folds events in at their revisions: the state after folding them one by one, with each map copied once
 * for the whole run rather than once per event (a 10,000-rule stream replayed event by event copied 50
 * million map entries). The state given is left as it was.
 */
function evolveAll(
  state: RulesState,
  events: readonly { event: RulesEvent; revision: number }[],
): RulesState {
  let rules: Map<string, Held<MuteRule>> | undefined;
  let channels: Map<string, Held<GreenChannel>> | undefined;
  let timeZones: Map<string, Held<string>> | undefined;
  for (const { event, revision } of events)
    switch (event.type) {
      case 'MuteRuleCreated':
      case 'MuteRuleUpdated':
      case 'MuteRuleRemoved': {
        const rule = event.data.rule;
        (rules ??= new Map(state.rules)).set(rule.ruleId, {
          value: rule,
          revision,
          removed: event.type === 'MuteRuleRemoved',
        });
        break;
      }
      case 'GreenChannelCreated':
      case 'GreenChannelUpdated':
      case 'GreenChannelRemoved': {
        const channel = event.data.channel;
        (channels ??= new Map(state.channels)).set(channel.channelId, {
          value: channel,
          revision,
          removed: event.type === 'GreenChannelRemoved',
        });
        break;
      }
      case 'RecipientTimeZoneSet': {
        const { employeeId, timeZone } = event.data;
        (timeZones ??= new Map(state.timeZones)).set(employeeId, {
          value: timeZone ?? '',
          revision,
          removed: timeZone === null,
        });
        break;
      }
    }
  if (!rules && !channels && !timeZones) return state;
  return {
    ...state,
    ...(rules ? { rules } : {}),
    ...(channels ? { channels } : {}),
    ...(timeZones ? { timeZones } : {}),
  };
}

/**
 * The tenant's mute rules and green channels (one stream per tenant). Creating an existing object is
 * ALREADY_EXISTS; updating or removing a missing one NOT_FOUND; an update that changes nothing writes nothing;
 * a rule with nested rules cannot be removed.
 */
type RulesDecider = Decider<RulesState, RulesCommand, RulesEvent>;

export const rulesDecider: RulesDecider & Required<Pick<RulesDecider, 'evolveAll'>> = {
  initialState: () => ({ rules: new Map(), channels: new Map(), timeZones: new Map() }),

  evolve: (state, event, revision) => evolveAll(state, [{ event, revision }]),
  evolveAll,

  decide(command, state) {
    switch (command.type) {
      case 'CreateRule': {
        const { rule } = command.data;
        checkRule(rule);
        if (live(state.rules.get(rule.ruleId)))
          throw new MuteError('MUTE.ALREADY_EXISTS', `rule "${rule.ruleId}" exists`, 'rule.ruleId');
        checkParent(rule, state);
        return [{ type: 'MuteRuleCreated', data: { rule } }];
      }
      case 'UpdateRule': {
        const { rule } = command.data;
        checkRule(rule);
        const current = live(state.rules.get(rule.ruleId));
        if (!current)
          throw new MuteError('MUTE.NOT_FOUND', `rule "${rule.ruleId}" does not exist`, 'rule.ruleId');
        checkParent(rule, state);
        return same(current, rule) ? [] : [{ type: 'MuteRuleUpdated', data: { rule } }];
      }
      case 'RemoveRule': {
        const { ruleId } = command.data;
        checkId(ruleId, 'ruleId');
        const current = live(state.rules.get(ruleId));
        if (!current) throw new MuteError('MUTE.NOT_FOUND', `rule "${ruleId}" does not exist`, 'ruleId');
        const children = childrenOf(ruleId, state);
        if (children.length > 0)
          throw new MuteError(
            'MUTE.FAILED_PRECONDITION',
            `has nested rules (${children.slice(0, 5).join(', ')}): remove or move them first`,
            'ruleId',
          );
        return [{ type: 'MuteRuleRemoved', data: { rule: current } }];
      }
      case 'CreateGreenChannel': {
        const { channel } = command.data;
        checkChannel(channel);
        if (live(state.channels.get(channel.channelId)))
          throw new MuteError(
            'MUTE.ALREADY_EXISTS',
            `green channel "${channel.channelId}" exists`,
            'channel.channelId',
          );
        return [{ type: 'GreenChannelCreated', data: { channel } }];
      }
      case 'UpdateGreenChannel': {
        const { channel } = command.data;
        checkChannel(channel);
        const current = live(state.channels.get(channel.channelId));
        if (!current)
          throw new MuteError(
            'MUTE.NOT_FOUND',
            `green channel "${channel.channelId}" does not exist`,
            'channel.channelId',
          );
        return same(current, channel) ? [] : [{ type: 'GreenChannelUpdated', data: { channel } }];
      }
      case 'RemoveGreenChannel': {
        const { channelId } = command.data;
        checkId(channelId, 'channelId');
        const current = live(state.channels.get(channelId));
        if (!current)
          throw new MuteError('MUTE.NOT_FOUND', `green channel "${channelId}" does not exist`, 'channelId');
        return [{ type: 'GreenChannelRemoved', data: { channel: current } }];
      }
      case 'SetTimeZone': {
        const { employeeId, timeZone } = command.data;
        checkId(employeeId, 'employeeId');
        if (timeZone !== null) checkZone(timeZone, 'timeZone');
        const current = live(state.timeZones.get(employeeId)) ?? null;
        return current === timeZone ? [] : [{ type: 'RecipientTimeZoneSet', data: { employeeId, timeZone } }];
      }
      default: {
        const never: never = command;
        throw new Error(`unknown command ${JSON.stringify(never)}`);
      }
    }
  },

  revisionOf(command, state) {
    if (command.type === 'SetTimeZone') {
      const zone = state.timeZones.get(command.data.employeeId);
      return zone && !zone.removed ? zone.revision : -1;
    }
    const held =
      command.type === 'CreateRule' || command.type === 'UpdateRule'
        ? state.rules.get(command.data.rule.ruleId)
        : command.type === 'RemoveRule'
          ? state.rules.get(command.data.ruleId)
          : command.type === 'RemoveGreenChannel'
            ? state.channels.get(command.data.channelId)
            : state.channels.get(command.data.channel.channelId);
    return held && !held.removed ? held.revision : -1;
  },
};
