import { randomUUID } from 'node:crypto';
import { PostgresEventStore, type EventStore, type RecordedEvent } from '@tagguard/event-store';
import { rule, type MuteMessage, type MuteRule } from '@tagguard/mute-engine';
import { ComponentRegistry, type ComponentLogger } from '@tagguard/telemetry';
import { eventually, testInfra } from '@tagguard/testing';
import type { DataSource } from 'typeorm';
import { openReadModel } from '../copies/read-model';
import { LocalCopies } from '../copies/local-copies';
import { MessageDecisions } from '../decisions/message-decisions';
import { NO_UNMUTES } from '../decisions/unmute-source';
import { rulesDecider, type RulesCommand } from '../rules/domain/rules.decider';
import { rulesStream } from '../streams';
import { MuteWriter } from '../write/mute-writer';
import { encodePosition } from '../write/position';
import { MUTE_MEMORY, MuteMemory } from './mute-memory';

/** The memory with a seam: while `failing`, folding rules events throws (an event the fold cannot apply). */
class FlakyMemory extends MuteMemory {
  failing = false;
  protected override foldRules(queued: ReadonlyMap<string, readonly RecordedEvent[]>): void {
    const first = [...queued.values()][0]?.[0];
    if (this.failing && first) throw new Error(`cannot fold ${first.type} (planted)`);
    super.foldRules(queued);
  }
}

// D113: a failed fold once the memory runs is not its end. It reopens after the last event it applied with
// backoff, says so on its component and in its logs, and a decision asked to be at least as fresh as a rule
// write waits for it (or answers UNAVAILABLE), never from the memory left behind.
describe('mute memory: a failed fold reopens the subscription, and decisions with a token wait for it', () => {
  const url = testInfra().postgresUrl;
  const schema = `mute_mem_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const tenantId = 't1';
  let store: EventStore;
  let db: DataSource;
  let memory: FlakyMemory | undefined;
  beforeAll(async () => {
    store = await PostgresEventStore.connect({
      connectionString: url,
      schema: `${schema}_es`,
      listen: true,
      poolSize: 2,
    });
    db = await openReadModel(url, schema, 2);
  });
  afterAll(async () => {
    await memory?.stop();
    await store?.close();
    await db?.destroy();
  });

  const message = (): MuteMessage => ({
    tenantId,
    messageId: randomUUID(),
    recipientId: 'alice',
    sender: { kind: 'partner_staff', corpId: 'supplier-x', staffId: 's1' },
    senderCorpId: 'supplier-x',
    urgency: 'normal',
    sentAt: Date.parse('2027-03-10T02:00:00Z'),
  });
  const silence = (ruleId: string): MuteRule =>
    rule({ ruleId, effect: 'silent', scope: { senderCorpIds: ['supplier-x'] } });

  it('Given a running memory, When folding a rule change fails, Then health is retrying and a token waits or is UNAVAILABLE; after it reopens health is running and later rule changes reach the decisions', async () => {
    const lines: { level: string; fields: Record<string, unknown> }[] = [];
    const logger: ComponentLogger = {
      info: (fields) => lines.push({ level: 'info', fields: fields as Record<string, unknown> }),
      warn: (fields) => lines.push({ level: 'warn', fields: fields as Record<string, unknown> }),
      error: (fields) => lines.push({ level: 'error', fields: fields as Record<string, unknown> }),
    };
    const registry = new ComponentRegistry(logger);
    const component = registry.register({ name: MUTE_MEMORY, kind: 'projection' });
    memory = new FlakyMemory(store, component);
    const writer = new MuteWriter(store);
    const decisions = new MessageDecisions(memory, new LocalCopies(db, schema), writer, NO_UNMUTES);
    const write = async (command: RulesCommand): Promise<bigint> => {
      const outcome = await writer.write({ stream: rulesStream(tenantId), decider: rulesDecider }, command, {
        tenantId,
        actorId: 'admin-1',
      });
      return encodePosition(outcome.position!);
    };
    const outcome = async () => (await decisions.evaluate(message())).outcome;

    await memory.start();
    expect(component.status().state).toBe('running');
    await decisions.atLeast(
      await write({ type: 'CreateRule', data: { rule: silence('r-silence') } }),
      20_000,
    );
    expect(await outcome()).toBe('SILENT');

    // The fold of the next rule change fails, and keeps failing while `failing` holds.
    memory.failing = true;
    const removed = await write({ type: 'RemoveRule', data: { ruleId: 'r-silence' } });
    await eventually(() => expect(component.status().state).toBe('retrying'), 20_000);
    expect(registry.healthy()).toBe(false);
    expect(memory.position < removed).toBe(true);
    // Asked for the removal, a decision is not answered from the memory that is behind: UNAVAILABLE on the
    // token (the edge names its metadata key, as the e2e shows).
    await expect(decisions.atLeast(removed, 300)).rejects.toMatchObject({
      code: 'MUTE.UNAVAILABLE',
      field: 'consistencyToken',
    });
    // Without a token it is the memory as it is (still silent): exactly what the token is for.
    expect(await outcome()).toBe('SILENT');
    // A decision waiting within its deadline is answered once the memory has reopened and caught up.
    const waiting = decisions.atLeast(removed, 30_000);
    await eventually(
      () => expect(lines.filter((l) => l.fields['event'] === 'component.retry').length).toBeGreaterThan(1),
      20_000,
    );
    memory.failing = false;
    await waiting;
    expect(await outcome()).toBe('NOTIFY');
    await eventually(() => expect(component.status().state).toBe('running'), 20_000);
    expect(registry.healthy()).toBe(true);

    // Each failure is a structured warn line; the recovery an info line after them.
    const retries = lines.filter((l) => l.fields['event'] === 'component.retry');
    expect(retries[0]).toMatchObject({
      level: 'warn',
      fields: { component: MUTE_MEMORY, attempt: 1, err: 'cannot fold MuteRuleRemoved (planted)' },
    });
    expect(retries[1]!.fields['attempt']).toBe(2);
    expect(retries[1]!.fields['delayMs'] as number).toBeGreaterThan(retries[0]!.fields['delayMs'] as number);
    const lastRetry = lines.lastIndexOf(retries[retries.length - 1]!);
    expect(
      lines.slice(lastRetry).some((l) => l.level === 'info' && l.fields['event'] === 'component.running'),
    ).toBe(true);

    // A later rule change reaches the decisions (the memory follows the store again), each event folded once.
    await decisions.atLeast(await write({ type: 'CreateRule', data: { rule: silence('r-again') } }), 20_000);
    expect(await outcome()).toBe('SILENT');
    expect([...memory.ruleSet(tenantId).rules.keys()]).toEqual(['r-again']);
    expect(memory.rulesState(tenantId).rules.get('r-silence')?.removed).toBe(true);
  });
});
