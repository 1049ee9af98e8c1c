import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { testInfra } from '@tagguard/testing';
import { Inbox } from './inbox';

describe('Inbox on real PostgreSQL', () => {
  let pool: Pool;
  let inbox: Inbox;
  const schema = `inbox_${randomUUID().replace(/-/g, '').slice(0, 10)}`;

  beforeAll(async () => {
    pool = new Pool({ connectionString: testInfra().postgresUrl });
    inbox = await Inbox.create(pool, schema);
    await pool.query(`CREATE TABLE "${schema}".effects (event_id uuid NOT NULL)`);
  });
  afterAll(() => pool.end());

  const effect = (eventId: string) => async (tx: { query: Pool['query'] }) =>
    void (await tx.query(`INSERT INTO "${schema}".effects VALUES ($1)`, [eventId]));
  const effects = async (eventId: string) =>
    (await pool.query(`SELECT count(*)::int AS n FROM "${schema}".effects WHERE event_id = $1`, [eventId]))
      .rows[0].n;

  it('given a message handled once, when it is delivered again, then its effect is not repeated', async () => {
    const eventId = randomUUID();
    await expect(inbox.processOnce('audit-service.trail', eventId, effect(eventId))).resolves.toBe(
      'processed',
    );
    await expect(inbox.processOnce('audit-service.trail', eventId, effect(eventId))).resolves.toBe(
      'duplicate',
    );
    expect(await effects(eventId)).toBe(1);
  });

  it('given concurrent deliveries of one message, then exactly one applies', async () => {
    const eventId = randomUUID();
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () => inbox.processOnce('g', eventId, effect(eventId)).catch(() => 'failed')),
    );
    expect(outcomes.filter((o) => o === 'processed')).toHaveLength(1);
    expect(await effects(eventId)).toBe(1);
  });

  it('given an effect that fails, then nothing is recorded and a redelivery applies it', async () => {
    const eventId = randomUUID();
    await expect(
      inbox.processOnce('g', eventId, async (tx) => {
        await effect(eventId)(tx);
        throw new Error('read model unavailable');
      }),
    ).rejects.toThrow('read model unavailable');
    expect(await effects(eventId)).toBe(0);
    await expect(inbox.processOnce('g', eventId, effect(eventId))).resolves.toBe('processed');
    expect(await effects(eventId)).toBe(1);
  });

  it('keeps consumer groups apart', async () => {
    const eventId = randomUUID();
    await inbox.processOnce('audit-service.trail', eventId, effect(eventId));
    await expect(inbox.processOnce('sync-service.directory', eventId, effect(eventId))).resolves.toBe(
      'processed',
    );
  });
});
