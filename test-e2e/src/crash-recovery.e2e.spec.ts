import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { eventually, freePort, startServiceProcess, testInfra, type ServiceProcess } from '@tagguard/testing';
import { serviceClient, signedMetadata, unary } from './support/callers';

const TAGS = 1_000;

// Exactly-once effects across crashes, on real PostgreSQL and Kafka, each service its own OS process:
// SIGKILL (no goodbye, no flush) part-way, restart, and count.
describe('crash recovery: 1,000 tags, SIGKILL part-way, exactly 1,000 audit records', () => {
  const { postgresUrl, kafkaBrokers } = testInfra();
  const pool = new Pool({ connectionString: postgresUrl });
  afterAll(() => pool.end());

  function setup() {
    const run = randomUUID().replace(/-/g, '').slice(0, 8);
    const tenant = `crash-${run}`;
    const metadata = signedMetadata(tenant);
    const tagEnv = (port: number, kafka: boolean) => ({
      GRPC_PORT: String(port),
      DATABASE_URL: postgresUrl,
      DATABASE_SCHEMA: `crash_tag_${run}`,
      EVENTSTORE_SCHEMA: `crash_es_${run}`,
      KAFKA_BROKERS: kafka ? kafkaBrokers.join(',') : '',
      RELAY_BATCH_SIZE: '20',
    });
    const auditEnv = (port: number) => ({
      GRPC_PORT: String(port),
      DATABASE_URL: postgresUrl,
      DATABASE_SCHEMA: `crash_audit_${run}`,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    });
    const audited = async () => {
      const { rows } = await pool
        .query<{ n: number; distinct_ids: number }>(
          `SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS distinct_ids FROM "crash_audit_${run}".audit_records WHERE tenant_id = $1`,
          [tenant],
        )
        .catch(() => ({ rows: [{ n: 0, distinct_ids: 0 }] }));
      return rows[0]!;
    };
    const createTags = async (port: number) => {
      const client = serviceClient(`127.0.0.1:${port}`, 'tag');
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = next++; i < TAGS; i = next++) {
            await unary(
              client,
              'CreateTag',
              { tagId: randomUUID(), name: `VIP客户${i}`, kind: 'TAG_KIND_CUSTOMER' },
              metadata,
            );
          }
        }),
      );
      client.close();
    };
    // All of them arrive, and nothing more turns up afterwards from a redelivery.
    const expectEveryTagAuditedOnce = async () => {
      await eventually(async () => expect((await audited()).n).toBe(TAGS), 120_000, 200);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(await audited()).toEqual({ n: TAGS, distinct_ids: TAGS });
    };
    return { tagEnv, auditEnv, audited, createTags, expectEveryTagAuditedOnce };
  }

  it('the audit consumer killed mid-way and restarted records every tag exactly once', async () => {
    const { tagEnv, auditEnv, audited, createTags, expectEveryTagAuditedOnce } = setup();
    const [tagPort, auditPort] = [await freePort(), await freePort()];
    const tag = await startServiceProcess('tag-service', tagEnv(tagPort, true));
    let audit: ServiceProcess = await startServiceProcess('audit-service', auditEnv(auditPort));
    try {
      const writing = createTags(tagPort);
      await eventually(async () => expect((await audited()).n).toBeGreaterThanOrEqual(100), 60_000, 20);
      await audit.stop('SIGKILL');
      const atKill = (await audited()).n;
      await writing;
      audit = await startServiceProcess('audit-service', auditEnv(auditPort));
      await expectEveryTagAuditedOnce();
      expect(atKill).toBeLessThan(TAGS);
    } finally {
      await audit.stop('SIGTERM');
      await tag.stop('SIGTERM');
    }
  }, 240_000);

  it('the relay killed mid-publish and restarted publishes every tag, so the trail holds each exactly once', async () => {
    const { tagEnv, auditEnv, audited, createTags, expectEveryTagAuditedOnce } = setup();
    const [tagPort, auditPort] = [await freePort(), await freePort()];
    // First write everything with the relay off, then let a relay publish it, and kill it part-way.
    let tag = await startServiceProcess('tag-service', tagEnv(tagPort, false));
    await createTags(tagPort);
    await tag.stop('SIGTERM');
    const audit = await startServiceProcess('audit-service', auditEnv(auditPort));
    tag = await startServiceProcess('tag-service', tagEnv(tagPort, true));
    try {
      await eventually(async () => expect((await audited()).n).toBeGreaterThanOrEqual(50), 60_000, 10);
      await tag.stop('SIGKILL');
      const atKill = (await audited()).n;
      tag = await startServiceProcess('tag-service', tagEnv(tagPort, true));
      await expectEveryTagAuditedOnce();
      expect(atKill).toBeLessThan(TAGS);
    } finally {
      await audit.stop('SIGTERM');
      await tag.stop('SIGTERM');
    }
  }, 240_000);
});
