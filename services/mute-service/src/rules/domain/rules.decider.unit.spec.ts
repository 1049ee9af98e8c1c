import type { GreenChannel, MuteRule } from '@tagguard/mute-engine';
import { specFor } from '../../testing/decider-spec';
import { rulesDecider, type RulesEvent } from './rules.decider';

const spec = specFor(rulesDecider);

const rule = (ruleId: string, over: Partial<MuteRule> = {}): MuteRule => ({
  ruleId,
  parentId: null,
  name: `rule ${ruleId}`,
  scope: { senderCorpIds: ['corp-x'] },
  urgency: 'any',
  schedule: null,
  activeFrom: null,
  activeUntil: null,
  effect: 'silent',
  throttle: null,
  enabled: true,
  ...over,
});
const created = (r: MuteRule): RulesEvent => ({ type: 'MuteRuleCreated', data: { rule: r } });
const channel: GreenChannel = { channelId: 'a-grade', name: 'A级客户', tagGroupId: 'g-vip', enabled: true };

describe('rules decider', () => {
  describe('CreateRule', () => {
    it('Given no rules, When a partner is muted, Then the rule is created', () =>
      spec
        .given([])
        .when({ type: 'CreateRule', data: { rule: rule('r1') } })
        .then([created(rule('r1'))]));

    it('Given a parent, When a nested rule names it, Then it is created below it', () => {
      const child = rule('r2', {
        parentId: 'r1',
        effect: 'notify',
        scope: { recipientDepartmentIds: ['purchasing'] },
      });
      spec
        .given([created(rule('r1'))])
        .when({ type: 'CreateRule', data: { rule: child } })
        .then([created(child)]);
    });

    it('Given the rule exists, When it is created again, Then ALREADY_EXISTS on ruleId', () =>
      spec
        .given([created(rule('r1'))])
        .when({ type: 'CreateRule', data: { rule: rule('r1') } })
        .thenFails('MUTE.ALREADY_EXISTS', 'rule.ruleId'));

    it('Given no rule p, When a rule nests below p, Then NOT_FOUND on parentId', () =>
      spec
        .given([])
        .when({ type: 'CreateRule', data: { rule: rule('r2', { parentId: 'p' }) } })
        .thenFails('MUTE.NOT_FOUND', 'rule.parentId'));

    it('When a throttle rule has no limit, Then INVALID_ARGUMENT on throttle', () =>
      spec
        .given([])
        .when({ type: 'CreateRule', data: { rule: rule('r1', { effect: 'throttle' }) } })
        .thenFails('MUTE.INVALID_ARGUMENT', 'rule.throttle'));

    it('When a weekly window has a bad time, Then INVALID_ARGUMENT naming the part', () =>
      spec
        .given([])
        .when({
          type: 'CreateRule',
          data: {
            rule: rule('r1', { schedule: { parts: [{ kind: 'weekly', start: '19:00', end: '25:00' }] } }),
          },
        })
        .thenFails('MUTE.INVALID_ARGUMENT', 'rule.schedule.parts[0].weekly.end'));

    it('When the schedule names an unknown zone, Then INVALID_ARGUMENT on timeZone', () =>
      spec
        .given([])
        .when({
          type: 'CreateRule',
          data: {
            rule: rule('r1', { schedule: { parts: [{ kind: 'holidays' }], timeZone: 'Mars/Olympus' } }),
          },
        })
        .thenFails('MUTE.INVALID_ARGUMENT', 'rule.schedule.timeZone'));

    it('When activeUntil is not after activeFrom, Then INVALID_ARGUMENT on activeUntil', () =>
      spec
        .given([])
        .when({ type: 'CreateRule', data: { rule: rule('r1', { activeFrom: 10, activeUntil: 10 }) } })
        .thenFails('MUTE.INVALID_ARGUMENT', 'rule.activeUntil'));
  });

  describe('UpdateRule', () => {
    it('Given a rule, When it changes, Then it is updated with its whole state', () => {
      const next = rule('r1', { effect: 'hold' });
      spec
        .given([created(rule('r1'))])
        .when({ type: 'UpdateRule', data: { rule: next } })
        .then([{ type: 'MuteRuleUpdated', data: { rule: next } }]);
    });

    it('Given a rule, When it is updated to what it is, Then nothing is written', () =>
      spec
        .given([created(rule('r1'))])
        .when({ type: 'UpdateRule', data: { rule: rule('r1') } })
        .then([]));

    it('Given r1 below r2, When r2 is moved below r1, Then INVALID_ARGUMENT (a cycle) on parentId', () =>
      spec
        .given([created(rule('r2')), created(rule('r1', { parentId: 'r2' }))])
        .when({ type: 'UpdateRule', data: { rule: rule('r2', { parentId: 'r1' }) } })
        .thenFails('MUTE.INVALID_ARGUMENT', 'rule.parentId'));

    it('Given no rule, When it is updated, Then NOT_FOUND on ruleId', () =>
      spec
        .given([])
        .when({ type: 'UpdateRule', data: { rule: rule('r1') } })
        .thenFails('MUTE.NOT_FOUND', 'rule.ruleId'));
  });

  describe('RemoveRule', () => {
    it('Given a rule, When it is removed, Then the removal carries its last state', () =>
      spec
        .given([created(rule('r1'))])
        .when({ type: 'RemoveRule', data: { ruleId: 'r1' } })
        .then([{ type: 'MuteRuleRemoved', data: { rule: rule('r1') } }]));

    it('Given a rule with a nested rule, When it is removed, Then FAILED_PRECONDITION on ruleId', () =>
      spec
        .given([created(rule('r1')), created(rule('r2', { parentId: 'r1' }))])
        .when({ type: 'RemoveRule', data: { ruleId: 'r1' } })
        .thenFails('MUTE.FAILED_PRECONDITION', 'ruleId'));

    it('Given a removed rule, When it is created again, Then it is (revision starts over at -1)', () => {
      const { state } = spec.given([
        created(rule('r1')),
        { type: 'MuteRuleRemoved', data: { rule: rule('r1') } },
      ]);
      expect(rulesDecider.revisionOf({ type: 'CreateRule', data: { rule: rule('r1') } }, state)).toBe(-1);
      spec
        .given([created(rule('r1')), { type: 'MuteRuleRemoved', data: { rule: rule('r1') } }])
        .when({ type: 'CreateRule', data: { rule: rule('r1') } })
        .then([created(rule('r1'))]);
    });
  });

  describe('green channels', () => {
    it('Given none, When a whitelist is bound to a tag group, Then it is created', () =>
      spec
        .given([])
        .when({ type: 'CreateGreenChannel', data: { channel } })
        .then([{ type: 'GreenChannelCreated', data: { channel } }]));

    it('When the tag group is missing, Then INVALID_ARGUMENT on tagGroupId', () =>
      spec
        .given([])
        .when({ type: 'CreateGreenChannel', data: { channel: { ...channel, tagGroupId: '' } } })
        .thenFails('MUTE.INVALID_ARGUMENT', 'channel.tagGroupId'));

    it('Given a channel, When it is removed, Then the removal carries its last state', () =>
      spec
        .given([{ type: 'GreenChannelCreated', data: { channel } }])
        .when({ type: 'RemoveGreenChannel', data: { channelId: 'a-grade' } })
        .then([{ type: 'GreenChannelRemoved', data: { channel } }]));
  });

  describe('recipient time zones', () => {
    const set = (timeZone: string | null): RulesEvent => ({
      type: 'RecipientTimeZoneSet',
      data: { employeeId: 'e1', timeZone },
    });

    it('Given none, When a recipient gets Europe/Berlin, Then it is set', () =>
      spec
        .given([])
        .when({ type: 'SetTimeZone', data: { employeeId: 'e1', timeZone: 'Europe/Berlin' } })
        .then([set('Europe/Berlin')]));

    it('Given Europe/Berlin, When it is set again, Then nothing is written', () =>
      spec
        .given([set('Europe/Berlin')])
        .when({ type: 'SetTimeZone', data: { employeeId: 'e1', timeZone: 'Europe/Berlin' } })
        .then([]));

    it('Given Europe/Berlin, When it is cleared, Then the recipient is back to the default', () =>
      spec
        .given([set('Europe/Berlin')])
        .when({ type: 'SetTimeZone', data: { employeeId: 'e1', timeZone: null } })
        .then([set(null)]));

    it('When the zone is not an IANA zone, Then INVALID_ARGUMENT on timeZone', () =>
      spec
        .given([])
        .when({ type: 'SetTimeZone', data: { employeeId: 'e1', timeZone: 'Berlin' } })
        .thenFails('MUTE.INVALID_ARGUMENT', 'timeZone'));
  });

  it('revisionOf: the stream revision the object last changed at', () => {
    const { state } = spec.given([
      created(rule('r1')),
      created(rule('r2')),
      { type: 'MuteRuleUpdated', data: { rule: rule('r1', { effect: 'hold' }) } },
    ]);
    expect(rulesDecider.revisionOf({ type: 'RemoveRule', data: { ruleId: 'r1' } }, state)).toBe(2);
    expect(rulesDecider.revisionOf({ type: 'RemoveRule', data: { ruleId: 'r2' } }, state)).toBe(1);
  });
});

describe('rules decider: folding a history at once', () => {
  const history: { event: RulesEvent; revision: number }[] = [
    { event: created(rule('r1')), revision: 0 },
    { event: { type: 'GreenChannelCreated', data: { channel } }, revision: 1 },
    { event: created(rule('r2', { parentId: 'r1' })), revision: 2 },
    { event: { type: 'MuteRuleUpdated', data: { rule: rule('r1', { effect: 'hold' }) } }, revision: 3 },
    {
      event: { type: 'RecipientTimeZoneSet', data: { employeeId: 'e1', timeZone: 'Europe/Berlin' } },
      revision: 4,
    },
    { event: { type: 'MuteRuleRemoved', data: { rule: rule('r2', { parentId: 'r1' }) } }, revision: 5 },
    { event: { type: 'GreenChannelRemoved', data: { channel } }, revision: 6 },
    { event: { type: 'RecipientTimeZoneSet', data: { employeeId: 'e1', timeZone: null } }, revision: 7 },
  ];
  const oneByOne = (from = rulesDecider.initialState()) =>
    history.reduce((s, { event, revision }) => rulesDecider.evolve(s, event, revision), from);

  it('Given a history of rule, channel and zone events, When it is folded at once, Then the state is the one folded event by event', () => {
    const at = rulesDecider.evolveAll(rulesDecider.initialState(), history);
    const expected = oneByOne();
    expect([...at.rules]).toEqual([...expected.rules]);
    expect([...at.channels]).toEqual([...expected.channels]);
    expect([...at.timeZones]).toEqual([...expected.timeZones]);
    expect(at.rules.get('r1')).toMatchObject({ revision: 3, removed: false, value: { effect: 'hold' } });
    expect(at.rules.get('r2')).toMatchObject({ revision: 5, removed: true });
  });

  it('Given a folded state, When more events are folded at once, Then the state given is left as it was', () => {
    const before = rulesDecider.evolveAll(rulesDecider.initialState(), history.slice(0, 2));
    const rules = [...before.rules];
    const channels = [...before.channels];
    const after = rulesDecider.evolveAll(before, history.slice(2));
    expect([...before.rules]).toEqual(rules);
    expect([...before.channels]).toEqual(channels);
    expect(before.timeZones.size).toBe(0);
    expect(after.rules.size).toBe(2);
  });
});
