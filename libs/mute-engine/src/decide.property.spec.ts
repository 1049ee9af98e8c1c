import fc from 'fast-check';
import { decide, decideReference } from './decide';
import { defaultCalendars } from './holidays';
import { MemoryDirectoryView, MemoryTagView, MemoryThrottleCounts, rule } from './memory';
import type { MuteMessage, MuteRule, MuteRuleSet, RuleScope, Schedule, Sender, SenderKind } from './model';
import { defaultSettings } from './settings';

// The rule index hands a decision only some rules (buckets by its most selective dimension, lanes by sender kind
// and urgency: D107). Property: on random rule sets and messages, decide() equals the decision made with EVERY
// compiled rule as a candidate — same outcome, winner, reasons (and their order), throttle notes, releaseAt.
// Messages are sent in 2026–2027, so the CN calendar's end (gaps) is exercised too.

const CORPS = ['c1', 'c2', 'c3'];
const DEPARTMENTS = ['root', 'd1', 'd1a', 'd2'];
const EMPLOYEES = ['e1', 'e2', 'e3'];
const TAGS = ['g1', 't1', 't2', 'g2', 't3'];
const KINDS: SenderKind[] = ['partner_staff', 'external_customer', 'employee'];
const SCHEDULES: Schedule[] = [
  { parts: [{ kind: 'weekly', start: '19:00', end: '09:00' }] },
  { parts: [{ kind: 'weekly', on: 'working_days', start: '12:00', end: '13:30' }] },
  { parts: [{ kind: 'non_working_days' }] },
];

const some = <T>(xs: readonly T[]) => fc.subarray([...xs], { maxLength: 2 });

const scopeArb: fc.Arbitrary<RuleScope> = fc.record({
  senderKinds: some(KINDS),
  senderCorpIds: some(CORPS),
  senderTagIds: some(TAGS),
  recipientIds: some(EMPLOYEES),
  recipientDepartmentIds: some(DEPARTMENTS),
  includeSubDepartments: fc.boolean(),
  recipientTagIds: some(TAGS),
});

const rulesArb: fc.Arbitrary<MuteRule[]> = fc
  .array(
    fc.record({
      effect: fc.constantFrom('notify', 'silent', 'hold', 'throttle') as fc.Arbitrary<MuteRule['effect']>,
      scope: scopeArb,
      urgency: fc.constantFrom('any', 'any', 'normal', 'urgent') as fc.Arbitrary<MuteRule['urgency']>,
      schedule: fc.option(fc.constantFrom(...SCHEDULES), { freq: 3 }),
      parent: fc.option(fc.nat(40), { freq: 2 }),
      enabled: fc.boolean().map((b) => b || Math.random() < 0.8),
      limit: fc.nat(2),
      per: fc.constantFrom('hour', 'day') as fc.Arbitrary<'hour' | 'day'>,
    }),
    { maxLength: 40 },
  )
  .map((specs) =>
    specs.map((s, i) =>
      rule({
        ruleId: `r${String(i).padStart(2, '0')}`,
        parentId:
          s.parent !== null && s.parent !== i && s.parent < specs.length
            ? `r${String(s.parent).padStart(2, '0')}`
            : null,
        effect: s.effect,
        scope: s.scope,
        urgency: s.urgency,
        schedule: s.schedule,
        enabled: s.enabled,
        ...(s.effect === 'throttle' ? { throttle: { limit: s.limit, per: s.per } } : {}),
      }),
    ),
  );

const senderArb: fc.Arbitrary<Sender> = fc.oneof(
  fc.record({
    kind: fc.constant('partner_staff' as const),
    corpId: fc.constantFrom(...CORPS),
    staffId: fc.constant('s'),
  }),
  fc.record({ kind: fc.constant('external_customer' as const), customerId: fc.constantFrom('k1', 'k2') }),
  fc.record({ kind: fc.constant('employee' as const), employeeId: fc.constantFrom(...EMPLOYEES) }),
);

const messageArb: fc.Arbitrary<MuteMessage> = fc
  .record({
    sender: senderArb,
    corp: fc.option(fc.constantFrom(...CORPS)),
    recipientId: fc.constantFrom(...EMPLOYEES, 'stranger'),
    urgency: fc.constantFrom('normal', 'urgent') as fc.Arbitrary<MuteMessage['urgency']>,
    sentAt: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }),
  })
  .map((m) => ({
    tenantId: 't',
    messageId: 'm',
    recipientId: m.recipientId,
    sender: m.sender,
    senderCorpId: m.sender.kind === 'partner_staff' ? m.sender.corpId : m.corp,
    urgency: m.urgency,
    sentAt: m.sentAt,
  }));

describe('the rule index (candidate buckets and lanes) against scanning every rule', () => {
  const directory = new MemoryDirectoryView()
    .department('root', null)
    .department('d1', 'root')
    .department('d1a', 'd1')
    .department('d2', 'root')
    .person('e1', ['d1a'])
    .person('e2', ['d2'])
    .person('e3', ['d1', 'd2']);
  const tags = new MemoryTagView()
    .tag('g1', null)
    .tag('t1', 'g1')
    .tag('t2', 'g1')
    .tag('g2', null)
    .tag('t3', 'g2')
    .add('t1', 'partner', 'c1')
    .add('t2', 'partner', 'c2')
    .add('t3', 'customer', 'k1')
    .add('t2', 'employee', 'e3')
    .add('t3', 'employee', 'e1')
    .add('t1', 'department', 'd2');
  const holidays = defaultCalendars();
  const throttle = new MemoryThrottleCounts();
  throttle.record('e1', 'r00|c1', Date.UTC(2026, 5, 1));

  it('Given random rules and messages, When deciding, Then decide() equals the every-rule scan', () => {
    fc.assert(
      fc.property(rulesArb, fc.array(messageArb, { minLength: 1, maxLength: 20 }), (rules, messages) => {
        const ruleSet: MuteRuleSet = {
          tenantId: 't',
          rules: new Map(rules.map((r) => [r.ruleId, r])),
          greenChannels: new Map(),
          settings: defaultSettings(),
          position: 1n,
        };
        for (const message of messages) {
          const input = { message, rules: ruleSet, directory, tags, holidays, unmutes: [], throttle };
          // calendarGaps records the calendar years consulted: the scan also evaluates schedules of rules the index
          // rightly never offers (a disabled ancestor), so the index's gaps are a subset of the scan's.
          const { calendarGaps, ...decision } = decide(input);
          const { calendarGaps: scannedGaps, ...scanned } = decideReference(input);
          expect(decision).toEqual(scanned);
          expect(scannedGaps).toEqual(expect.arrayContaining(calendarGaps));
        }
      }),
      { numRuns: 300 },
    );
  });
});
