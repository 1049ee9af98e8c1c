import { loadavg } from 'node:os';
import {
  countCandidates,
  type DecideInput,
  decide,
  decideReference,
  defaultCalendars,
  defaultSettings,
  type GreenChannel,
  MemoryDirectoryView,
  MemoryTagView,
  MemoryThrottleCounts,
  type MuteDecision,
  type MuteMessage,
  type MuteRule,
  type MuteRuleSet,
  nextWorkingInstant,
  compileWorkingTime,
  rule,
  type Sender,
  type TemporaryUnmute,
} from '@tagguard/mute-engine';
import { percentiles, round } from './measure';
import type { BenchContext } from './registry';
import { muteGrpcDecide } from './mute-grpc';

const RULES = Number(process.env['BENCH_MUTE_RULES'] ?? 10_000);
/** The rule-set sizes of the in-process section (the last is BENCH_MUTE_RULES). */
const RULE_COUNTS = (process.env['BENCH_MUTE_RULE_COUNTS'] ?? '100,1000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0 && n < RULES)
  .concat(RULES);
/** Decisions of the straightforward evaluation (decideReference: every rule checked), per size. */
const REFERENCE_DECISIONS = Number(process.env['BENCH_MUTE_REFERENCE_DECISIONS'] ?? 5_000);
const DECISIONS = Number(process.env['BENCH_MUTE_DECISIONS'] ?? 1_000_000);
const SIM_DAYS = Number(process.env['BENCH_MUTE_SIM_DAYS'] ?? 30);
const SIM_PER_DAY = Number(process.env['BENCH_MUTE_SIM_PER_DAY'] ?? 240);
const SIM_RECIPIENTS = 50;
const SIM_LIMIT_PER_DAY = Number(process.env['BENCH_MUTE_SIM_LIMIT'] ?? 2);

/**
 * Named sections of this benchmark. `grpcDecide` (mute-grpc.ts): gRPC Decide p99 < 2 ms at 1,000 requests/s
 * against the service as its own process, beside its GetServiceInfo; BENCH_MUTE_GRPC=0 leaves it out.
 */
export const muteDecideSections: {
  grpcDecide: ((context: BenchContext) => Promise<Record<string, unknown>>) | null;
} = { grpcDecide: process.env['BENCH_MUTE_GRPC'] === '0' ? null : muteGrpcDecide };

/** A small deterministic PRNG (mulberry32), so runs compare. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Tenant = {
  rules: MuteRuleSet;
  directory: MemoryDirectoryView;
  tags: MemoryTagView;
  messages: MuteMessage[];
  unmutes: TemporaryUnmute[];
};

const sh = (local: string): number => Date.parse(`${local}+08:00`);

/**
 * A tenant with `ruleCount` rules of every kind: enterprise mutes (some until a date) with nested department
 * exceptions, department rules on schedules, sender-tag and recipient-tag rules, per-recipient rules, night and
 * holiday rules, urgent overrides and campaign throttles; 2,000 partner enterprises, 3,000 employees in 300
 * departments, customers in graded tag groups, and 5 green channels.
 */
export function buildTenant(ruleCount: number, seed: number): Tenant {
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const directory = new MemoryDirectoryView().department('root', null);
  const departments: string[] = [];
  for (let d = 0; d < 30; d += 1) {
    directory.department(`d${d}`, 'root');
    departments.push(`d${d}`);
    for (let s = 0; s < 9; s += 1) {
      directory.department(`d${d}-${s}`, `d${d}`);
      departments.push(`d${d}-${s}`);
    }
  }
  const employees = Array.from({ length: 3000 }, (_, i) => `e${i}`);
  for (const e of employees) directory.person(e, [pick(departments)]);
  const corps = Array.from({ length: 2000 }, (_, i) => `corp${i}`);
  const customers = Array.from({ length: 5000 }, (_, i) => `cust${i}`);
  const tags = new MemoryTagView();
  const senderTags: string[] = [];
  for (let g = 0; g < 20; g += 1) {
    tags.tag(`grp${g}`, null);
    for (let t = 0; t < 25; t += 1) {
      tags.tag(`tag${g}-${t}`, `grp${g}`);
      senderTags.push(`tag${g}-${t}`);
    }
  }
  tags.tag('campaign', null).tag('member-tags', null);
  const memberTags = Array.from({ length: 50 }, (_, i) => `mt${i}`);
  for (const t of memberTags) tags.tag(t, 'member-tags');
  for (const c of corps) tags.add(pick(senderTags), 'partner', c);
  for (let i = 0; i < 100; i += 1) tags.add('campaign', 'partner', pick(corps));
  for (const c of customers) tags.add(pick(senderTags), 'customer', c);
  for (const e of employees) if (random() < 0.3) tags.add(pick(memberTags), 'employee', e);
  for (const d of departments) if (random() < 0.3) tags.add(pick(memberTags), 'department', d);

  const night = { parts: [{ kind: 'weekly' as const, start: '19:00', end: '09:00' }] };
  const lunch = {
    parts: [{ kind: 'weekly' as const, on: 'working_days' as const, start: '12:00', end: '13:30' }],
  };
  const rest = { parts: [{ kind: 'non_working_days' as const }] };
  const rules: MuteRule[] = [];
  const share = (f: number) => Math.round(ruleCount * f);
  let n = 0;
  const id = () => `r${String(n++).padStart(6, '0')}`;
  for (let i = 0; i < share(0.4); i += 1) {
    const parent = id();
    rules.push(
      rule({
        ruleId: parent,
        effect: pick(['silent', 'hold'] as const),
        scope: { senderCorpIds: [corps[i % corps.length] as string] },
        activeUntil: random() < 0.2 ? sh('2026-12-31T00:00:00') : null,
      }),
    );
    if (i < share(0.2))
      rules.push(
        rule({
          ruleId: id(),
          parentId: parent,
          effect: 'notify',
          scope: { recipientDepartmentIds: [pick(departments)], includeSubDepartments: true },
        }),
      );
  }
  for (let i = 0; i < share(0.15); i += 1)
    rules.push(
      rule({
        ruleId: id(),
        effect: pick(['silent', 'hold'] as const),
        urgency: 'normal',
        scope: { recipientDepartmentIds: [pick(departments)], senderKinds: ['partner_staff'] },
        schedule: pick([night, lunch, rest]),
      }),
    );
  for (let i = 0; i < share(0.1); i += 1)
    rules.push(
      rule({
        ruleId: id(),
        effect: pick(['silent', 'notify', 'hold'] as const),
        scope: { senderTagIds: [pick(senderTags)] },
      }),
    );
  for (let i = 0; i < share(0.08); i += 1)
    rules.push(
      rule({
        ruleId: id(),
        effect: pick(['silent', 'notify'] as const),
        scope: { recipientIds: [pick(employees)], senderCorpIds: random() < 0.5 ? [pick(corps)] : [] },
      }),
    );
  for (let i = 0; i < share(0.05); i += 1)
    rules.push(
      rule({
        ruleId: id(),
        effect: 'silent',
        scope: { recipientTagIds: [pick(memberTags)] },
        schedule: pick([night, rest]),
      }),
    );
  for (let i = rules.length; i < ruleCount - 12; i += 1)
    rules.push(
      rule({
        ruleId: id(),
        effect: 'silent',
        scope: { senderTagIds: [pick(senderTags)], recipientDepartmentIds: [pick(departments)] },
      }),
    );
  rules.push(
    rule({
      ruleId: id(),
      effect: 'hold',
      urgency: 'normal',
      scope: { senderKinds: ['partner_staff'] },
      schedule: night,
    }),
  );
  rules.push(
    rule({ ruleId: id(), effect: 'silent', scope: { senderKinds: ['external_customer'] }, schedule: rest }),
  );
  for (let i = 0; i < 5; i += 1)
    rules.push(
      rule({ ruleId: id(), effect: 'notify', urgency: 'urgent', scope: { senderCorpIds: [pick(corps)] } }),
    );
  for (let i = 0; i < 5; i += 1)
    rules.push(
      rule({
        ruleId: id(),
        effect: 'throttle',
        throttle: { limit: 3, per: 'hour' },
        scope: { senderTagIds: ['campaign'], recipientDepartmentIds: [`d${i}`], includeSubDepartments: true },
      }),
    );
  const greenChannels: GreenChannel[] = Array.from({ length: 5 }, (_, i) => ({
    channelId: `g${i}`,
    name: `whitelist ${i}`,
    tagGroupId: `grp${i}`,
    enabled: true,
  }));
  const ruleSet: MuteRuleSet = {
    tenantId: 'bench',
    rules: new Map(rules.map((r) => [r.ruleId, r])),
    greenChannels: new Map(greenChannels.map((g) => [g.channelId, g])),
    settings: defaultSettings(),
    position: 1n,
  };
  const from = sh('2026-01-01T00:00:00');
  const messages: MuteMessage[] = Array.from({ length: 100_000 }, (_, i) => {
    const r = random();
    const sender: Sender =
      r < 0.6
        ? { kind: 'partner_staff', corpId: pick(corps), staffId: 's1' }
        : r < 0.95
          ? { kind: 'external_customer', customerId: pick(customers) }
          : { kind: 'employee', employeeId: pick(employees) };
    return {
      tenantId: 'bench',
      messageId: `m${i}`,
      recipientId: pick(employees),
      sender,
      senderCorpId: sender.kind === 'partner_staff' ? sender.corpId : null,
      urgency: random() < 0.05 ? 'urgent' : 'normal',
      sentAt: from + Math.floor(random() * 365 * 86_400_000),
    };
  });
  const unmutes: TemporaryUnmute[] = [
    {
      unmuteId: 'u1',
      tagId: pick(senderTags),
      actorId: 'e1',
      startsAt: from,
      endsAt: from + 30 * 86_400_000,
    },
  ];
  return { rules: ruleSet, directory, tags, messages, unmutes };
}

export function inputs(t: Tenant): DecideInput[] {
  const holidays = defaultCalendars();
  const throttle = new MemoryThrottleCounts();
  return t.messages.map((message) => ({
    message,
    rules: t.rules,
    directory: t.directory,
    tags: t.tags,
    holidays,
    unmutes: t.unmutes,
    throttle,
  }));
}

/** Decisions/s over `total` decisions (a tight loop), then p50/p99 per decision timed one by one. */
function measureLoop(all: readonly DecideInput[], total: number, fn: (input: DecideInput) => unknown) {
  let sink = 0;
  // Warm-up: one pass over every message (at least 50,000 decisions), so the JIT and the per-zone offset tables
  // have seen each message's instant once — real traffic is sent near "now", the bench's instants spread over a year.
  const warm = Math.min(Math.max(50_000, all.length), total);
  for (let i = 0; i < warm; i += 1) if (fn(all[i % all.length] as DecideInput)) sink += 1;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < total; i += 1) if (fn(all[i % all.length] as DecideInput)) sink += 1;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const sample = Math.min(200_000, total);
  const latencies = new Float64Array(sample);
  for (let i = 0; i < sample; i += 1) {
    const t0 = process.hrtime.bigint();
    if (fn(all[i % all.length] as DecideInput)) sink += 1;
    latencies[i] = Number(process.hrtime.bigint() - t0) / 1e3; // µs
  }
  const p = percentiles(latencies);
  // perSecond is wall-clock; perCpuSecond counts only the CPU this (single-threaded) loop got — the one-core
  // figure when other processes share the machine's cores.
  return {
    decisions: total,
    seconds: round(seconds),
    perSecond: Math.round(total / seconds),
    cpuSeconds: round(cpuSeconds),
    perCpuSecond: Math.round(total / cpuSeconds),
    latencyMicros: p,
    sink,
  };
}

/** The CPU-only in-process section (exported so a profile driver can run it alone, without the gRPC servers). */
export function inProcess(counts: readonly number[] = RULE_COUNTS) {
  const sections: Record<string, unknown> = { loadAverageAtStart: loadavg().map(round) };
  for (const count of counts) {
    const tenant = buildTenant(count, 7);
    const all = inputs(tenant);
    const buildStarted = process.hrtime.bigint();
    decide(all[0] as DecideInput); // builds the rule index once per rules-state identity
    const indexMs = round(Number(process.hrtime.bigint() - buildStarted) / 1e6);
    const outcomes = { NOTIFY: 0, SILENT: 0, HOLD: 0 } as Record<MuteDecision['outcome'], number>;
    const tiers: Record<string, number> = {};
    let candidates = 0;
    let applied = 0;
    const sampled = all.slice(0, 20_000);
    for (const input of sampled) {
      const d = decide(input);
      outcomes[d.outcome] += 1;
      tiers[d.winner.tier] = (tiers[d.winner.tier] ?? 0) + 1;
      applied += d.reasons.length;
      candidates += countCandidates(input);
    }
    // The floor: the same loop, per message two Map lookups (sender enterprise, recipient) and a constant answer.
    const byCorp = new Map(
      [...tenant.rules.rules.values()].flatMap((r) =>
        (r.scope.senderCorpIds ?? []).map((c) => [c, r] as const),
      ),
    );
    const byRecipient = new Map(
      [...tenant.rules.rules.values()].flatMap((r) =>
        (r.scope.recipientIds ?? []).map((c) => [c, r] as const),
      ),
    );
    const floor = measureLoop(
      all,
      DECISIONS,
      (i) => byCorp.get(i.message.senderCorpId ?? '') ?? byRecipient.get(i.message.recipientId) ?? i,
    );
    const engine = measureLoop(all, DECISIONS, decide);
    // The same decisions by the straightforward evaluation (every rule, condition by condition): what the index
    // saves. Fewer decisions: it scans the whole rule set each time.
    const reference = measureLoop(all, Math.min(DECISIONS, REFERENCE_DECISIONS), decideReference);
    sections[`rules_${count}`] = {
      rules: count,
      indexBuildMs: indexMs,
      engine,
      mapLookupFloor: floor,
      engineVsFloor: round(engine.perSecond / floor.perSecond),
      engineVsFloorPerCpuSecond: round(engine.perCpuSecond / floor.perCpuSecond),
      straightforwardEvaluation: reference,
      engineVsStraightforwardPerCpuSecond: round(engine.perCpuSecond / reference.perCpuSecond),
      candidatesPerDecision: round(candidates / sampled.length),
      appliedPerDecision: round(applied / sampled.length),
      sampleOutcomes: outcomes,
      sampleWinnerTiers: tiers,
    };
  }
  sections['loadAverageAtEnd'] = loadavg().map(round);
  return sections;
}

/**
 * The "双11" load: one partner enterprise tagged 活动期 sends SIM_PER_DAY messages a day, at random moments of the
 * day and night, to 50 recipients for SIM_DAYS days across 中秋 and 国庆 2026 (holidays, the make-up Saturday
 * 10-10). Rules: the campaign throttle (2 alerts per recipient per day), a 19:00–09:00 HOLD for non-urgent
 * partners, and the warehouse department receives the brand silently. This bench keeps the throttle counts and
 * the holds: a held message waits in its recipient's queue and goes out in the digest at its releaseAt (a digest
 * counts as one alert against the throttle); at the end the clock runs on until every hold is released.
 */
function simulation() {
  const random = prng(11);
  const directory = new MemoryDirectoryView()
    .department('root', null)
    .department('sales', 'root')
    .department('warehouse', 'root');
  const recipients = Array.from({ length: SIM_RECIPIENTS }, (_, i) => `r${i}`);
  recipients.forEach((r, i) => directory.person(r, [i < 40 ? 'sales' : 'warehouse']));
  const tags = new MemoryTagView().tag('campaign', null).add('campaign', 'partner', 'brand-11');
  const rules = [
    rule({
      ruleId: 'campaign',
      name: '活动期 2/day',
      effect: 'throttle',
      throttle: { limit: SIM_LIMIT_PER_DAY, per: 'day' },
      scope: { senderTagIds: ['campaign'] },
    }),
    rule({
      ruleId: 'night',
      name: '19:00-09:00 non-urgent partners held',
      effect: 'hold',
      urgency: 'normal',
      scope: { senderKinds: ['partner_staff'] },
      schedule: { parts: [{ kind: 'weekly', start: '19:00', end: '09:00' }] },
    }),
    rule({
      ruleId: 'warehouse',
      name: 'warehouse receives brand-11 silently',
      effect: 'silent',
      scope: { senderCorpIds: ['brand-11'], recipientDepartmentIds: ['warehouse'] },
    }),
  ];
  const ruleSet: MuteRuleSet = {
    tenantId: 'sim',
    rules: new Map(rules.map((r) => [r.ruleId, r])),
    greenChannels: new Map(),
    settings: defaultSettings(),
    position: 1n,
  };
  const holidays = defaultCalendars();
  const throttle = new MemoryThrottleCounts();
  const working = compileWorkingTime(ruleSet.settings.workingTime);
  const start = sh('2026-09-26T00:00:00');
  const messages: MuteMessage[] = [];
  for (let day = 0; day < SIM_DAYS; day += 1)
    for (let k = 0; k < SIM_PER_DAY; k += 1)
      messages.push({
        tenantId: 'sim',
        messageId: `d${day}-${k}`,
        recipientId: recipients[Math.floor(random() * recipients.length)] as string,
        sender: { kind: 'partner_staff', corpId: 'brand-11', staffId: `staff-${k % 7}` },
        senderCorpId: 'brand-11',
        urgency: random() < 0.02 ? 'urgent' : 'normal',
        sentAt: start + day * 86_400_000 + Math.floor(random() * 86_400_000),
      });
  messages.sort((a, b) => a.sentAt - b.sentAt);

  const counts = { messages: messages.length, notified: 0, silent: 0, held: 0, released: 0, digests: 0 };
  const heldBy = { throttle: 0, night: 0 };
  // Holds waiting, per (recipient, releaseAt): the messages in sentAt order, and the throttle key a digest uses.
  const pending = new Map<
    string,
    { recipientId: string; releaseAt: number; ids: string[]; sentAts: number[]; key: string | null }
  >();
  const released = new Set<string>();
  const alertsPerDay = new Map<string, number>();
  const alert = (recipientId: string, at: number): void => {
    const k = `${recipientId}|${Math.floor((at + 8 * 3_600_000) / 86_400_000)}`; // Shanghai has no DST
    alertsPerDay.set(k, (alertsPerDay.get(k) ?? 0) + 1);
  };
  let duplicates = 0;
  let outOfOrder = 0;
  let releasedOutsideWorkingTime = 0;
  let releasedBeforeSent = 0;
  const releaseDue = (now: number): void => {
    const due = [...pending.values()]
      .filter((p) => p.releaseAt <= now)
      .sort((a, b) => a.releaseAt - b.releaseAt);
    for (const digest of due) {
      pending.delete(`${digest.recipientId}|${digest.releaseAt}`);
      counts.digests += 1;
      for (let i = 0; i < digest.ids.length; i += 1) {
        const id = digest.ids[i] as string;
        if (released.has(id)) duplicates += 1;
        released.add(id);
        counts.released += 1;
        if (i > 0 && (digest.sentAts[i] as number) < (digest.sentAts[i - 1] as number)) outOfOrder += 1;
        if ((digest.sentAts[i] as number) > digest.releaseAt) releasedBeforeSent += 1;
      }
      const ctx = { calendars: holidays, gaps: new Set<string>() };
      if (nextWorkingInstant(working, digest.releaseAt, 'Asia/Shanghai', ctx) !== digest.releaseAt)
        releasedOutsideWorkingTime += 1;
      if (digest.key) throttle.record(digest.recipientId, digest.key, digest.releaseAt);
      alert(digest.recipientId, digest.releaseAt);
    }
  };
  const started = process.hrtime.bigint();
  for (const message of messages) {
    releaseDue(message.sentAt);
    const d = decide({ message, rules: ruleSet, directory, tags, holidays, unmutes: [], throttle });
    if (d.outcome === 'NOTIFY') {
      counts.notified += 1;
      for (const note of d.throttles) throttle.record(message.recipientId, note.key, message.sentAt);
      alert(message.recipientId, message.sentAt);
    } else if (d.outcome === 'SILENT') counts.silent += 1;
    else {
      counts.held += 1;
      if (d.winner.tier === 'throttle') heldBy.throttle += 1;
      else heldBy.night += 1;
      const releaseAt = d.releaseAt as number;
      const k = `${message.recipientId}|${releaseAt}`;
      const key = `campaign|brand-11`;
      const entry = pending.get(k) ?? {
        recipientId: message.recipientId,
        releaseAt,
        ids: [],
        sentAts: [],
        key,
      };
      entry.ids.push(message.messageId);
      entry.sentAts.push(message.sentAt);
      pending.set(k, entry);
    }
  }
  releaseDue(Number.MAX_SAFE_INTEGER);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // The most alerts (notifications + digests) one recipient got in one local day: the throttle's bound shows.
  let maxAlertsInADay = 0;
  for (const [, n] of alertsPerDay) maxAlertsInADay = Math.max(maxAlertsInADay, n);
  return {
    window: {
      from: '2026-09-26',
      days: SIM_DAYS,
      zone: 'Asia/Shanghai',
      note: '中秋 + 国庆 2026 holidays, make-up working Saturday 10-10 (chinese-days 1.5.7)',
    },
    partnerMessagesPerDay: SIM_PER_DAY,
    recipients: SIM_RECIPIENTS,
    throttle: `${SIM_LIMIT_PER_DAY} alerts per recipient per day`,
    ...counts,
    heldBy,
    lost: counts.held - released.size,
    duplicates,
    releasedOutOfOrder: outOfOrder,
    releasedBeforeSent,
    digestsOutsideWorkingTime: releasedOutsideWorkingTime,
    accountedFor: counts.notified + counts.silent + counts.held === counts.messages,
    maxAlertsPerRecipientDay: maxAlertsInADay,
    seconds: round(seconds),
  };
}

export async function muteDecide(context: BenchContext) {
  const inProc = inProcess();
  const sim = simulation();
  const grpc = muteDecideSections.grpcDecide
    ? await muteDecideSections.grpcDecide(context)
    : 'skipped (BENCH_MUTE_GRPC=0)';
  return {
    goal: 'in-process >= 200,000 decisions/s on one core with 10,000 rules (engine.perCpuSecond of rules_10000); "双11": released = held, zero lost',
    inProcess: inProc,
    double11: sim,
    grpcDecide: grpc,
  };
}
