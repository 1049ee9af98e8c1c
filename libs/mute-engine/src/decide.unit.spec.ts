import { ruleIndex } from './compile';
import { decide } from './decide';
import { defaultCalendars } from './holidays';
import { MemoryDirectoryView, MemoryTagView, MemoryThrottleCounts, rule } from './memory';
import type {
  DecideInput,
  GreenChannel,
  MuteDecision,
  MuteMessage,
  MuteRule,
  MuteRuleSet,
  Sender,
  TemporaryUnmute,
} from './model';
import { defaultSettings } from './settings';

// The tenant of these specs: 采购部 (purchasing) and 销售部 (sales, with 华东 below it) under the root; partner
// enterprises supplier-x (a supplier), brand-y (tagged 活动期 when in campaign), school-z; customers vip-1 (A级, in
// the 客户分级 group) and cust-2.
const directory = new MemoryDirectoryView()
  .department('root', null)
  .department('purchasing', 'root')
  .department('sales', 'root')
  .department('sales-east', 'sales')
  .person('alice', ['purchasing'])
  .person('bob', ['sales'])
  .person('carol', ['sales-east']);

function tagView(): MemoryTagView {
  return new MemoryTagView()
    .tag('grade', null)
    .tag('grade-a', 'grade')
    .tag('grade-b', 'grade')
    .tag('suppliers', null)
    .tag('campaign', null)
    .tag('normal-period', null)
    .tag('team-2', null)
    .add('grade-a', 'customer', 'vip-1')
    .add('grade-b', 'customer', 'cust-2')
    .add('suppliers', 'partner', 'supplier-x')
    .add('campaign', 'partner', 'brand-y')
    .add('team-2', 'department', 'sales-east');
}

const staff = (corpId: string): Sender => ({ kind: 'partner_staff', corpId, staffId: `${corpId}-staff-1` });
const customer = (customerId: string): Sender => ({ kind: 'external_customer', customerId });

/** Shanghai wall time → epoch ms. */
const sh = (local: string): number => Date.parse(`${local}+08:00`);

function message(over: Partial<MuteMessage> & { sender: Sender }): MuteMessage {
  return {
    tenantId: 't1',
    messageId: 'm1',
    recipientId: 'alice',
    senderCorpId: over.sender.kind === 'partner_staff' ? over.sender.corpId : null,
    urgency: 'normal',
    sentAt: sh('2026-03-10T10:00:00'), // a Tuesday, a working day
    ...over,
  };
}

function ruleSet(
  rules: MuteRule[],
  greenChannels: GreenChannel[] = [],
  zones: [string, string][] = [],
): MuteRuleSet {
  return {
    tenantId: 't1',
    rules: new Map(rules.map((r) => [r.ruleId, r])),
    greenChannels: new Map(greenChannels.map((g) => [g.channelId, g])),
    settings: { ...defaultSettings(), timeZones: new Map(zones) },
    position: 42n,
  };
}

type Given = {
  rules?: MuteRule[];
  greens?: GreenChannel[];
  unmutes?: TemporaryUnmute[];
  tags?: MemoryTagView;
  throttle?: MemoryThrottleCounts;
  zones?: [string, string][];
};

function given(g: Given): { when: (m: MuteMessage) => MuteDecision } {
  const rules = ruleSet(g.rules ?? [], g.greens ?? [], g.zones ?? []);
  return {
    when: (m) => {
      const input: DecideInput = {
        message: m,
        rules,
        directory,
        tags: g.tags ?? tagView(),
        holidays: defaultCalendars(),
        unmutes: g.unmutes ?? [],
        throttle: g.throttle ?? new MemoryThrottleCounts(),
      };
      return decide(input);
    },
  };
}

const muteSupplierX = rule({
  ruleId: 'r-x',
  name: 'mute supplier X',
  effect: 'silent',
  scope: { senderCorpIds: ['supplier-x'] },
});
const night = rule({
  ruleId: 'r-night',
  name: '19:00-09:00 non-urgent partners',
  effect: 'silent',
  urgency: 'normal',
  scope: { senderKinds: ['partner_staff'] },
  schedule: { parts: [{ kind: 'weekly', start: '19:00', end: '09:00' }] },
});

describe('mute decision: rule kinds', () => {
  it('Given no rule, When a partner writes, Then NOTIFY by the default tier with no reasons', () => {
    const d = given({}).when(message({ sender: staff('supplier-x') }));
    expect(d.outcome).toBe('NOTIFY');
    expect(d.winner).toEqual({ tier: 'default', id: null, why: 'no rule applies: notify' });
    expect(d.reasons).toEqual([]);
    expect(d.snapshot).toBe(42n);
    expect(d.timeZone).toBe('Asia/Shanghai');
  });

  it('Given supplier X muted, When its staff writes, Then SILENT by that rule; another partner is notified', () => {
    const g = given({ rules: [muteSupplierX] });
    const d = g.when(message({ sender: staff('supplier-x') }));
    expect(d.outcome).toBe('SILENT');
    expect(d.winner).toMatchObject({ tier: 'most_specific_rule', id: 'r-x' });
    expect(d.winner.why).toContain('only mute rule');
    expect(d.reasons.map((r) => [r.id, r.won])).toEqual([['r-x', true]]);
    expect(g.when(message({ sender: staff('brand-y') })).outcome).toBe('NOTIFY');
  });

  it('Given a short-term partner muted until a date, When it writes before and after, Then SILENT then NOTIFY', () => {
    const until = rule({ ...muteSupplierX, activeUntil: sh('2026-03-15T00:00:00') });
    const g = given({ rules: [until] });
    expect(g.when(message({ sender: staff('supplier-x'), sentAt: sh('2026-03-14T23:59:59') })).outcome).toBe(
      'SILENT',
    );
    expect(g.when(message({ sender: staff('supplier-x'), sentAt: sh('2026-03-15T00:00:00') })).outcome).toBe(
      'NOTIFY',
    );
  });

  it('Given supplier X muted with a nested rule alerting purchasing, When X writes, Then purchasing is notified and sales silent', () => {
    const purchasing = rule({
      ruleId: 'r-x-purchasing',
      parentId: 'r-x',
      name: 'purchasing is alerted',
      effect: 'notify',
      scope: { recipientDepartmentIds: ['purchasing'] },
    });
    const g = given({ rules: [muteSupplierX, purchasing] });
    const alice = g.when(message({ sender: staff('supplier-x'), recipientId: 'alice' }));
    expect(alice.outcome).toBe('NOTIFY');
    expect(alice.winner.id).toBe('r-x-purchasing');
    expect(alice.winner.why).toBe(
      "rule 'purchasing is alerted' (notify) is more specific than 'mute supplier X' (silent): it names the recipient department or tag",
    );
    expect(alice.reasons.map((r) => [r.id, r.won, r.specificity])).toEqual([
      ['r-x-purchasing', true, [0, 1, 1, 0, 0, 0, 0, 1]],
      ['r-x', false, [0, 0, 1, 0, 0, 0, 0, 0]],
    ]);
    expect(g.when(message({ sender: staff('supplier-x'), recipientId: 'bob' })).outcome).toBe('SILENT');
    // The child only applies where its parent does: purchasing is not alerted by anyone else through it.
    expect(g.when(message({ sender: staff('brand-y'), recipientId: 'alice' })).reasons).toEqual([]);
  });

  it('Given a department rule with sub-departments, When a message reaches a member below it, Then it applies; without the flag it does not', () => {
    const sub = rule({
      ruleId: 'r-sales',
      effect: 'silent',
      scope: { recipientDepartmentIds: ['sales'], includeSubDepartments: true },
    });
    const direct = rule({
      ruleId: 'r-sales',
      effect: 'silent',
      scope: { recipientDepartmentIds: ['sales'] },
    });
    expect(
      given({ rules: [sub] }).when(message({ sender: staff('brand-y'), recipientId: 'carol' })).outcome,
    ).toBe('SILENT');
    expect(
      given({ rules: [direct] }).when(message({ sender: staff('brand-y'), recipientId: 'carol' })).outcome,
    ).toBe('NOTIFY');
    expect(
      given({ rules: [direct] }).when(message({ sender: staff('brand-y'), recipientId: 'bob' })).outcome,
    ).toBe('SILENT');
  });

  it('Given a customer-tag rule on a tag group, When a customer carrying a tag under the group writes, Then it applies', () => {
    const g = given({
      rules: [rule({ ruleId: 'r-grade', effect: 'silent', scope: { senderTagIds: ['grade'] } })],
    });
    expect(g.when(message({ sender: customer('cust-2') })).outcome).toBe('SILENT');
    expect(g.when(message({ sender: customer('stranger') })).outcome).toBe('NOTIFY');
  });

  it("Given a recipient-tag rule, When a member of a tagged department is the recipient, Then it applies (the department's tag counts)", () => {
    const g = given({
      rules: [rule({ ruleId: 'r-team2', effect: 'silent', scope: { recipientTagIds: ['team-2'] } })],
    });
    expect(g.when(message({ sender: customer('cust-2'), recipientId: 'carol' })).outcome).toBe('SILENT');
    expect(g.when(message({ sender: customer('cust-2'), recipientId: 'bob' })).outcome).toBe('NOTIFY');
  });

  it('Given an employee recipient rule, When it applies, Then it beats a department rule (recipient is the narrowest dimension)', () => {
    const g = given({
      rules: [
        rule({ ruleId: 'r-dept', effect: 'silent', scope: { recipientDepartmentIds: ['purchasing'] } }),
        rule({ ruleId: 'r-alice', effect: 'notify', scope: { recipientIds: ['alice'] } }),
      ],
    });
    const d = g.when(message({ sender: staff('brand-y') }));
    expect(d.outcome).toBe('NOTIFY');
    expect(d.winner.why).toContain('it names the recipient');
  });

  it('Given two equally specific rules, When both apply, Then the quieter effect wins; with the same effect, the lower rule id', () => {
    const a = rule({ ruleId: 'r-a', effect: 'notify', scope: { senderCorpIds: ['supplier-x'] } });
    const b = rule({ ruleId: 'r-b', effect: 'silent', scope: { senderCorpIds: ['supplier-x'] } });
    const d = given({ rules: [a, b] }).when(message({ sender: staff('supplier-x') }));
    expect([d.outcome, d.winner.id]).toEqual(['SILENT', 'r-b']);
    expect(d.winner.why).toContain('the quieter effect wins');
    const c = rule({ ruleId: 'r-c', effect: 'silent', scope: { senderCorpIds: ['supplier-x'] } });
    const e = given({ rules: [c, b] }).when(message({ sender: staff('supplier-x') }));
    expect(e.winner.id).toBe('r-b');
    expect(e.winner.why).toContain('the lower rule id wins');
  });

  it('Given a rule whose parent is missing, When a message matches it, Then it never applies', () => {
    const orphan = rule({
      ruleId: 'r-orphan',
      parentId: 'gone',
      effect: 'silent',
      scope: { senderCorpIds: ['supplier-x'] },
    });
    const rs = ruleSet([orphan]);
    expect(ruleIndex(rs).broken.map((r) => [r.rule.ruleId, r.broken])).toEqual([
      ['r-orphan', 'parent rule gone does not exist'],
    ]);
    expect(given({ rules: [orphan] }).when(message({ sender: staff('supplier-x') })).outcome).toBe('NOTIFY');
  });

  it('Given a night rule with a nested exception for alice, When a partner writes at night and by day, Then alice is notified at night; the child never applies by day', () => {
    const aliceAtNight = rule({
      ruleId: 'r-night-alice',
      parentId: 'r-night',
      name: 'alice on call',
      effect: 'notify',
      scope: { recipientIds: ['alice'] },
    });
    const g = given({ rules: [night, aliceAtNight] });
    const atNight = g.when(message({ sender: staff('brand-y'), sentAt: sh('2026-03-10T22:00:00') }));
    expect([atNight.outcome, atNight.winner.id]).toEqual(['NOTIFY', 'r-night-alice']);
    expect(atNight.reasons.find((r) => r.id === 'r-night-alice')?.detail).toBe(
      "recipient in [alice]; sender kind in [partner_staff]; schedule of '19:00-09:00 non-urgent partners' active; urgency normal (nested 1 deep)",
    );
    expect(
      g.when(message({ sender: staff('brand-y'), recipientId: 'bob', sentAt: sh('2026-03-10T22:00:00') }))
        .outcome,
    ).toBe('SILENT');
    expect(g.when(message({ sender: staff('brand-y'), sentAt: sh('2026-03-10T10:00:00') })).reasons).toEqual(
      [],
    );
  });

  it('Given three levels (enterprise silent > department notify > one member hold), When each recipient gets a message, Then the deepest applicable level decides', () => {
    const dept = rule({
      ruleId: 'r-x-sales',
      parentId: 'r-x',
      effect: 'notify',
      scope: { recipientDepartmentIds: ['sales'], includeSubDepartments: true },
    });
    const carol = rule({
      ruleId: 'r-x-sales-carol',
      parentId: 'r-x-sales',
      effect: 'hold',
      scope: { recipientIds: ['carol'] },
    });
    const g = given({ rules: [muteSupplierX, dept, carol] });
    const of = (recipientId: string) => g.when(message({ sender: staff('supplier-x'), recipientId }));
    expect([of('alice').outcome, of('bob').outcome, of('carol').outcome]).toEqual([
      'SILENT',
      'NOTIFY',
      'HOLD',
    ]);
    expect(of('carol').reasons.map((r) => r.id)).toEqual(['r-x-sales-carol', 'r-x-sales', 'r-x']);
  });

  it('Given a rule with a malformed schedule, When indexed, Then it is reported broken and never applies', () => {
    const bad = rule({
      ruleId: 'r-bad',
      effect: 'silent',
      schedule: { parts: [{ kind: 'weekly', start: '7pm', end: '09:00' }] },
    });
    expect(ruleIndex(ruleSet([bad])).broken.map((r) => r.broken)).toEqual(['not a local time HH:MM: 7pm']);
    expect(given({ rules: [bad] }).when(message({ sender: staff('brand-y') })).outcome).toBe('NOTIFY');
  });

  it('Given a disabled parent, When its enabled child would match, Then neither applies', () => {
    const parent = rule({ ...muteSupplierX, enabled: false });
    const child = rule({
      ruleId: 'r-child',
      parentId: 'r-x',
      effect: 'silent',
      scope: { recipientIds: ['alice'] },
    });
    expect(given({ rules: [parent, child] }).when(message({ sender: staff('supplier-x') })).reasons).toEqual(
      [],
    );
  });
});

describe('mute decision: schedules and urgency', () => {
  it('Given 19:00-09:00 mutes non-urgent partners, When they write at 20:00, 08:59 and 09:00, Then SILENT, SILENT, NOTIFY', () => {
    const g = given({ rules: [night] });
    expect(g.when(message({ sender: staff('brand-y'), sentAt: sh('2026-03-10T20:00:00') })).outcome).toBe(
      'SILENT',
    );
    expect(g.when(message({ sender: staff('brand-y'), sentAt: sh('2026-03-11T08:59:59') })).outcome).toBe(
      'SILENT',
    );
    expect(g.when(message({ sender: staff('brand-y'), sentAt: sh('2026-03-11T09:00:00') })).outcome).toBe(
      'NOTIFY',
    );
    expect(g.when(message({ sender: staff('brand-y'), sentAt: sh('2026-03-10T18:59:59') })).outcome).toBe(
      'NOTIFY',
    );
  });

  it('Given the night rule, When an urgent message comes at 20:00, Then the rule does not apply: NOTIFY', () => {
    const d = given({ rules: [night] }).when(
      message({ sender: staff('brand-y'), urgency: 'urgent', sentAt: sh('2026-03-10T20:00:00') }),
    );
    expect(d.outcome).toBe('NOTIFY');
    expect(d.reasons).toEqual([]);
  });

  it('Given supplier X muted, When X marks its message urgent, Then it is still SILENT (urgency is no loophole)', () => {
    const d = given({ rules: [muteSupplierX] }).when(
      message({ sender: staff('supplier-x'), urgency: 'urgent' }),
    );
    expect(d.outcome).toBe('SILENT');
  });

  it('Given school Z muted and an urgent override for it, When Z sends an urgent notice, Then NOTIFY by the urgent-override tier', () => {
    const muteZ = rule({
      ruleId: 'r-z',
      name: 'mute school Z',
      effect: 'silent',
      scope: { senderCorpIds: ['school-z'] },
    });
    const urgentZ = rule({
      ruleId: 'r-z-urgent',
      name: 'school Z urgent notices',
      effect: 'notify',
      urgency: 'urgent',
      scope: { senderKinds: ['partner_staff'] },
    });
    const g = given({ rules: [muteZ, urgentZ] });
    const d = g.when(message({ sender: staff('school-z'), urgency: 'urgent' }));
    expect(d.outcome).toBe('NOTIFY');
    expect(d.winner).toMatchObject({ tier: 'urgent_override', id: 'r-z-urgent' });
    expect(d.winner.why).toContain("overrides 'mute school Z'");
    expect(d.reasons.map((r) => [r.id, r.tier, r.won])).toEqual([
      ['r-z-urgent', 'urgent_override', true],
      ['r-z', 'most_specific_rule', false],
    ]);
    expect(g.when(message({ sender: staff('school-z'), urgency: 'normal' })).outcome).toBe('SILENT');
  });

  it('Given supplier X muted and the night rule, When X writes at night, Then the enterprise rule is more specific than the sender-kind one', () => {
    const heldNight = rule({ ...night, effect: 'hold' });
    const d = given({ rules: [muteSupplierX, heldNight] }).when(
      message({ sender: staff('supplier-x'), sentAt: sh('2026-03-10T21:00:00') }),
    );
    expect(d.outcome).toBe('SILENT');
    expect(d.winner.why).toContain('it names the sender enterprise');
  });

  it('Given a date-range schedule, When messages come on its first and last day and the day after, Then it applies, applies, not', () => {
    const range = rule({
      ruleId: 'r-range',
      effect: 'silent',
      schedule: { parts: [{ kind: 'dates', from: '2026-11-10', to: '2026-11-12' }] },
    });
    const g = given({ rules: [range] });
    expect(g.when(message({ sender: staff('brand-y'), sentAt: sh('2026-11-10T00:00:00') })).outcome).toBe(
      'SILENT',
    );
    expect(g.when(message({ sender: staff('brand-y'), sentAt: sh('2026-11-12T23:59:59') })).outcome).toBe(
      'SILENT',
    );
    expect(g.when(message({ sender: staff('brand-y'), sentAt: sh('2026-11-13T00:00:00') })).outcome).toBe(
      'NOTIFY',
    );
  });

  it('Given non-working days muted (CN calendar), When 元旦 2026 is followed by the make-up working Sunday 2026-01-04, Then SILENT on the holidays, NOTIFY on the Sunday', () => {
    const rest = rule({
      ruleId: 'r-rest',
      effect: 'silent',
      schedule: { parts: [{ kind: 'non_working_days' }] },
    });
    const g = given({ rules: [rest] });
    expect(g.when(message({ sender: staff('brand-y'), sentAt: sh('2026-01-01T10:00:00') })).outcome).toBe(
      'SILENT',
    ); // Thursday, holiday
    expect(g.when(message({ sender: staff('brand-y'), sentAt: sh('2026-01-03T10:00:00') })).outcome).toBe(
      'SILENT',
    ); // Saturday, holiday
    const sunday = g.when(message({ sender: staff('brand-y'), sentAt: sh('2026-01-04T10:00:00') })); // Sunday, 调休 workday
    expect(sunday.outcome).toBe('NOTIFY');
    expect(sunday.calendarGaps).toEqual([]);
    expect(g.when(message({ sender: staff('brand-y'), sentAt: sh('2026-01-11T10:00:00') })).outcome).toBe(
      'SILENT',
    ); // plain Sunday
  });

  it('Given holidays only muted, When 2026-01-03 (a holiday Saturday) and 2026-01-10 (a plain Saturday), Then SILENT then NOTIFY', () => {
    const g = given({
      rules: [rule({ ruleId: 'r-hol', effect: 'silent', schedule: { parts: [{ kind: 'holidays' }] } })],
    });
    expect(g.when(message({ sender: staff('brand-y'), sentAt: sh('2026-01-03T12:00:00') })).outcome).toBe(
      'SILENT',
    );
    expect(g.when(message({ sender: staff('brand-y'), sentAt: sh('2026-01-10T12:00:00') })).outcome).toBe(
      'NOTIFY',
    );
  });

  it('Given a night HOLD, When a partner writes on 2026-09-30 20:00 before 国庆节, Then it is released at 09:00 on the first working day after the holiday (2026-10-08)', () => {
    const d = given({ rules: [rule({ ...night, effect: 'hold' })] }).when(
      message({ sender: staff('brand-y'), sentAt: sh('2026-09-30T20:00:00') }),
    );
    expect(d.outcome).toBe('HOLD');
    expect(new Date(d.releaseAt as number).toISOString()).toBe('2026-10-08T01:00:00.000Z');
  });

  it('Given a night HOLD, When a partner writes on Saturday 2026-01-03 at 20:00, Then it is released on the make-up working Sunday at 09:00', () => {
    const d = given({ rules: [rule({ ...night, effect: 'hold' })] }).when(
      message({ sender: staff('brand-y'), sentAt: sh('2026-01-03T20:00:00') }),
    );
    expect(d.releaseAt).toBe(sh('2026-01-04T09:00:00'));
  });

  it('Given a year the holiday data does not cover, When a calendar schedule is consulted, Then the decision names the gap', () => {
    const rest = rule({
      ruleId: 'r-rest',
      effect: 'silent',
      schedule: { parts: [{ kind: 'non_working_days' }] },
    });
    const d = given({ rules: [rest] }).when(
      message({ sender: staff('brand-y'), sentAt: sh('2030-05-01T10:00:00') }),
    );
    expect(d.calendarGaps).toEqual(['CN:2030']);
  });

  it("Given bob keeps New York hours, When the night rule is evaluated, Then it is 19:00-09:00 in bob's zone", () => {
    const g = given({ rules: [night], zones: [['bob', 'America/New_York']] });
    // 2026-03-10 20:00 Shanghai = 08:00 in New York (EDT): still night for bob, day for alice.
    const at = sh('2026-03-10T20:00:00');
    const bob = g.when(message({ sender: staff('brand-y'), recipientId: 'bob', sentAt: at }));
    expect([bob.outcome, bob.timeZone]).toEqual(['SILENT', 'America/New_York']);
    expect(
      g.when(message({ sender: staff('brand-y'), recipientId: 'bob', sentAt: at + 3_600_000 })).outcome,
    ).toBe('NOTIFY');
    expect(g.when(message({ sender: staff('brand-y'), recipientId: 'alice', sentAt: at })).outcome).toBe(
      'SILENT',
    );
  });
});

describe('mute decision: green channels, temporary unmutes, throttling', () => {
  const everyoneSilent = rule({
    ruleId: 'r-all',
    name: 'customers silent',
    effect: 'silent',
    scope: { senderKinds: ['external_customer'] },
  });
  const whitelist: GreenChannel = { channelId: 'g-a', name: 'A级客户', tagGroupId: 'grade-a', enabled: true };

  it('Given customers muted and a green channel on A级, When an A-grade customer writes, Then NOTIFY by the green channel, the mute listed as overridden', () => {
    const d = given({ rules: [everyoneSilent], greens: [whitelist] }).when(
      message({ sender: customer('vip-1') }),
    );
    expect(d.outcome).toBe('NOTIFY');
    expect(d.winner).toMatchObject({ tier: 'green_channel', id: 'g-a' });
    expect(d.winner.why).toContain("overrides 'customers silent'");
    expect(d.reasons.map((r) => [r.source, r.id, r.won])).toEqual([
      ['green_channel', 'g-a', true],
      ['rule', 'r-all', false],
    ]);
    expect(
      given({ rules: [everyoneSilent], greens: [whitelist] }).when(message({ sender: customer('cust-2') }))
        .outcome,
    ).toBe('SILENT');
  });

  it('Given a green channel bound to a tag group, When a customer carries a tag under the group, Then it bypasses even a recipient-level HOLD', () => {
    const group: GreenChannel = { ...whitelist, tagGroupId: 'grade' };
    const hold = rule({ ruleId: 'r-alice', effect: 'hold', scope: { recipientIds: ['alice'] } });
    expect(
      given({ rules: [hold], greens: [group] }).when(message({ sender: customer('cust-2') })).outcome,
    ).toBe('NOTIFY');
  });

  it('Given a green channel limited to sales, When an A-grade customer writes to purchasing, Then the mute applies', () => {
    const sales: GreenChannel = {
      ...whitelist,
      recipientScope: { recipientDepartmentIds: ['sales'], includeSubDepartments: true },
    };
    const g = given({ rules: [everyoneSilent], greens: [sales] });
    expect(g.when(message({ sender: customer('vip-1'), recipientId: 'alice' })).outcome).toBe('SILENT');
    expect(g.when(message({ sender: customer('vip-1'), recipientId: 'carol' })).outcome).toBe('NOTIFY');
  });

  it('Given supplier X muted and its tag unmuted for 4 hours, When X writes inside and after, Then NOTIFY naming the unmute, then SILENT', () => {
    const unmute: TemporaryUnmute = {
      unmuteId: 'u-1',
      tagId: 'suppliers',
      actorId: 'alice',
      startsAt: sh('2026-03-10T09:00:00'),
      endsAt: sh('2026-03-10T13:00:00'),
    };
    const g = given({ rules: [muteSupplierX], unmutes: [unmute] });
    const inside = g.when(message({ sender: staff('supplier-x'), sentAt: sh('2026-03-10T12:59:59') }));
    expect(inside.outcome).toBe('NOTIFY');
    expect(inside.unmuteId).toBe('u-1');
    expect(inside.winner).toMatchObject({ tier: 'temporary_unmute', id: 'u-1' });
    const after = g.when(message({ sender: staff('supplier-x'), sentAt: sh('2026-03-10T13:00:00') }));
    expect([after.outcome, after.unmuteId]).toEqual(['SILENT', null]);
  });

  it('Given a green channel and an unmute both apply, When the customer writes, Then the green channel wins (precedence) and both are listed', () => {
    const unmute: TemporaryUnmute = {
      unmuteId: 'u-2',
      tagId: 'grade-a',
      actorId: 'bob',
      startsAt: 0,
      endsAt: Number.MAX_SAFE_INTEGER,
    };
    const d = given({ rules: [everyoneSilent], greens: [whitelist], unmutes: [unmute] }).when(
      message({ sender: customer('vip-1') }),
    );
    expect(d.winner.tier).toBe('green_channel');
    expect(d.unmuteId).toBeNull();
    expect(d.reasons.map((r) => r.tier)).toEqual(['green_channel', 'temporary_unmute', 'most_specific_rule']);
  });

  const campaign = rule({
    ruleId: 'r-campaign',
    name: '活动期 3/h',
    effect: 'throttle',
    throttle: { limit: 3, per: 'hour' },
    scope: { senderTagIds: ['campaign'] },
  });

  it('Given brand Y tagged 活动期 with 3 alerts per hour, When 2 then 3 alerts were already sent this hour, Then NOTIFY then HOLD until the next hour', () => {
    const counts = new MemoryThrottleCounts();
    const at = sh('2026-03-10T10:20:00');
    counts.record('alice', 'r-campaign|brand-y', sh('2026-03-10T10:01:00'));
    counts.record('alice', 'r-campaign|brand-y', sh('2026-03-10T10:02:00'));
    const g = given({ rules: [campaign], throttle: counts });
    const third = g.when(message({ sender: staff('brand-y'), sentAt: at }));
    expect(third.outcome).toBe('NOTIFY');
    expect(third.throttles).toEqual([
      {
        ruleId: 'r-campaign',
        key: 'r-campaign|brand-y',
        per: 'hour',
        periodStart: sh('2026-03-10T10:00:00'),
        periodEnd: sh('2026-03-10T11:00:00'),
        limit: 3,
        alertsBefore: 2,
        exhausted: false,
      },
    ]);
    counts.record('alice', 'r-campaign|brand-y', at);
    const fourth = g.when(message({ sender: staff('brand-y'), sentAt: at + 1000 }));
    expect(fourth.outcome).toBe('HOLD');
    expect(fourth.winner).toMatchObject({ tier: 'throttle', id: 'r-campaign' });
    expect(fourth.releaseAt).toBe(sh('2026-03-10T11:00:00'));
    // Other recipients have their own budget.
    expect(g.when(message({ sender: staff('brand-y'), recipientId: 'bob', sentAt: at })).outcome).toBe(
      'NOTIFY',
    );
  });

  it('Given the hourly budget is spent at 17:30, When another alert comes, Then it is held to the next working window (09:00 next day)', () => {
    const counts = new MemoryThrottleCounts();
    for (let i = 0; i < 3; i += 1) counts.record('alice', 'r-campaign|brand-y', sh(`2026-03-10T17:0${i}:00`));
    const d = given({ rules: [campaign], throttle: counts }).when(
      message({ sender: staff('brand-y'), sentAt: sh('2026-03-10T17:30:00') }),
    );
    expect([d.outcome, d.releaseAt]).toEqual(['HOLD', sh('2026-03-11T09:00:00')]);
  });

  it('Given a daily budget spent on Friday 2026-09-18, When another alert comes, Then it is held to the make-up working Sunday 2026-09-20 09:00', () => {
    const daily = rule({ ...campaign, throttle: { limit: 1, per: 'day' } });
    const counts = new MemoryThrottleCounts();
    counts.record('alice', 'r-campaign|brand-y', sh('2026-09-18T09:30:00'));
    const d = given({ rules: [daily], throttle: counts }).when(
      message({ sender: staff('brand-y'), sentAt: sh('2026-09-18T11:00:00') }),
    );
    expect([d.outcome, d.releaseAt]).toEqual(['HOLD', sh('2026-09-20T09:00:00')]);
  });

  it('Given brand Y back to 常规期 (the 活动期 tag removed), When it writes over the budget, Then no throttle applies', () => {
    const counts = new MemoryThrottleCounts();
    for (let i = 0; i < 5; i += 1) counts.record('alice', 'r-campaign|brand-y', sh('2026-03-10T10:01:00'));
    const tags = tagView()
      .remove('campaign', 'partner', 'brand-y')
      .add('normal-period', 'partner', 'brand-y');
    const d = given({ rules: [campaign], throttle: counts, tags }).when(
      message({ sender: staff('brand-y'), sentAt: sh('2026-03-10T10:20:00') }),
    );
    expect([d.outcome, d.throttles]).toEqual(['NOTIFY', []]);
  });

  it('Given a throttled partner that is also silenced for a recipient, When it writes, Then SILENT (a throttle only limits alerts)', () => {
    const counts = new MemoryThrottleCounts();
    const silentForAlice = rule({ ruleId: 'r-alice', effect: 'silent', scope: { recipientIds: ['alice'] } });
    const d = given({ rules: [campaign, silentForAlice], throttle: counts }).when(
      message({ sender: staff('brand-y') }),
    );
    expect(d.outcome).toBe('SILENT');
    expect(d.throttles).toEqual([]);
    expect(d.reasons.map((r) => [r.id, r.tier])).toEqual([
      ['r-alice', 'most_specific_rule'],
      ['r-campaign', 'throttle'],
    ]);
  });

  it('Given an exhausted throttle and a green channel, When the A-grade customer writes, Then the green channel bypasses the throttle', () => {
    const customerThrottle = rule({
      ...campaign,
      scope: { senderTagIds: ['grade-a'] },
      throttle: { limit: 0, per: 'day' },
    });
    const d = given({ rules: [customerThrottle], greens: [whitelist] }).when(
      message({ sender: customer('vip-1') }),
    );
    expect([d.outcome, d.winner.tier]).toEqual(['NOTIFY', 'green_channel']);
  });
});

describe('rule index', () => {
  it('Given one rules state, When decided twice, Then the index is built once; a new state object gets a new index', () => {
    const a = ruleSet([muteSupplierX]);
    expect(ruleIndex(a)).toBe(ruleIndex(a));
    const b = { ...a, rules: new Map(a.rules) };
    expect(ruleIndex(b)).not.toBe(ruleIndex(a));
  });

  it('Given rules by enterprise, department, tags and recipients, When indexed, Then each sits in one bucket (all loads equal: by the fixed order), a nested rule too', () => {
    const idx = ruleIndex(
      ruleSet([
        rule({ ruleId: 'a', effect: 'silent', scope: { recipientIds: ['alice'], senderCorpIds: ['x'] } }),
        rule({
          ruleId: 'b',
          effect: 'silent',
          scope: { senderCorpIds: ['x'], recipientDepartmentIds: ['d'] },
        }),
        rule({
          ruleId: 'c',
          effect: 'silent',
          scope: { recipientDepartmentIds: ['d'], senderTagIds: ['t'] },
        }),
        rule({ ruleId: 'd', effect: 'silent', scope: { senderTagIds: ['t'] } }),
        rule({ ruleId: 'e', effect: 'silent', scope: { recipientTagIds: ['rt'] } }),
        rule({ ruleId: 'f', effect: 'silent', scope: { senderKinds: ['employee'] } }),
        rule({ ruleId: 'g', parentId: 'f', effect: 'notify', scope: { recipientIds: ['bob'] } }),
      ]),
    );
    const ids = (m: ReadonlyMap<string, { rule: MuteRule }[]>): Record<string, string[]> =>
      Object.fromEntries([...m].map(([k, v]) => [k, v.map((r) => r.rule.ruleId)]));
    expect(ids(idx.byRecipient)).toEqual({ alice: ['a'], bob: ['g'] });
    expect(ids(idx.bySenderCorp)).toEqual({ x: ['b'] });
    expect(ids(idx.byDepartment)).toEqual({ d: ['c'] });
    expect(ids(idx.bySenderTag)).toEqual({ t: ['d'] });
    expect(ids(idx.byRecipientTag)).toEqual({ rt: ['e'] });
    expect(idx.generic.map((r) => r.rule.ruleId)).toEqual(['f']);
  });

  it('Given 50 rules on one department each naming its own sender tag, When indexed, Then they go to the sender-tag buckets (the more selective)', () => {
    const many = Array.from({ length: 50 }, (_, i) =>
      rule({
        ruleId: `r${i}`,
        effect: 'silent',
        scope: { recipientDepartmentIds: ['purchasing'], senderTagIds: [`t${i}`] },
      }),
    );
    const idx = ruleIndex(ruleSet(many));
    expect(idx.byDepartment.size).toBe(0);
    expect(idx.bySenderTag.size).toBe(50);
  });
});
