import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { protoRoot } from '@tagguard/grpc-runtime';
import { ensureTopics } from '@tagguard/messaging';
import { freePort, startServiceProcess, tagguardClient } from '@tagguard/testing';
import { percentiles, round } from './measure';
import type { BenchContext } from './registry';

const RATE = Number(process.env['BENCH_RATE'] ?? 50);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 20);

type Call = (
  request: object,
  metadata: grpc.Metadata,
  callback: (error: grpc.ServiceError | null) => void,
) => void;

/** Fires `op` at a fixed offered rate (open loop: a slow answer does not slow the next send). */
async function offer(total: number, rate: number, op: (i: number) => Promise<void>): Promise<void> {
  const start = Date.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(op(i));
  }
  await Promise.all(pending);
}

/**
 * Commits, for each new consumer group, every existing topic's end offsets: the group starts there. One
 * member per group joins once and commits them all (kafkajs' admin.setOffsets joins once per topic, ~5 s each).
 */
async function startGroupsAtEnd(kafka: Kafka, groups: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => !t.startsWith('__'));
    const ends = await Promise.all(
      topics.map(async (topic) =>
        (await admin.fetchTopicOffsets(topic)).map((e) => ({
          topic,
          partition: e.partition,
          offset: e.high,
        })),
      ),
    );
    for (const groupId of groups) {
      const member = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
      await member.connect();
      try {
        await member.subscribe({ topics, fromBeginning: false });
        const joined = new Promise<void>((resolve) => member.on(member.events.GROUP_JOIN, () => resolve()));
        await member.run({ autoCommit: false, eachMessage: async () => undefined });
        await joined;
        await member.commitOffsets(ends.flat());
      } finally {
        await member.disconnect();
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** Wall-clock milliseconds with sub-millisecond precision, on one clock for both sides. */
const nowMs = () => performance.timeOrigin + performance.now();

/**
 * (b) gRPC CreateTag in tag-service → event store → relay → Kafka → audit-service consumer → audit record
 * committed, at a fixed offered rate; interleaved with it (same seconds, same rate, same broker), a plain
 * kafkajs produce → consume round trip. Fair by construction (issue 14 item 6):
 * - the pipeline ends when the inbox transaction COMMITS: a trigger this benchmark puts on the trail's
 *   table sends NOTIFY, which PostgreSQL delivers only after commit, and the bench stamps its arrival
 *   (not the row's now(), which is the start of the transaction);
 * - both sides are timed with performance.now() (sub-millisecond), on the same clock;
 * - the baseline runs at the same time as the pipeline, not after it;
 * - its schemas and the baseline topic are dropped at the end.
 */
export async function grpcToAudit({ postgresUrl, kafkaBrokers }: BenchContext) {
  const run = randomUUID().replace(/-/g, '').slice(0, 8);
  const total = RATE * SECONDS;
  const pool = new Pool({ connectionString: postgresUrl });
  const schemas = [`bench_tag_${run}`, `bench_es_${run}`, `bench_audit_${run}`];
  const [tagPort, auditPort] = [await freePort(), await freePort()];
  const common = { DATABASE_URL: postgresUrl, KAFKA_BROKERS: kafkaBrokers.join(',') };
  const kafka = new Kafka({ clientId: 'bench-baseline', brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
  const topic = `bench.internal.roundtrip.events.v${Date.now() % 100000}`;
  pool.on('error', () => undefined);
  const listener = await pool.connect();
  listener.on('error', () => undefined);
  // audit-service's consumer groups are this run's own, starting at the end of every topic the broker
  // already holds: the pipeline is timed on this run's events, not behind a backlog other runs and tests
  // left on the shared topics (the groups' committed offsets, or a whole history read from the beginning).
  const groupSuffix = `-bench-${run}`;
  await startGroupsAtEnd(
    kafka,
    ['audit-trail', 'notifications'].map((g) => `audit-service${groupSuffix}.${g}`),
  );
  // One after the other: two fresh processes creating the same topics at once race on a new broker.
  const tag = await startServiceProcess(
    'tag-service',
    { ...common, GRPC_PORT: String(tagPort), DATABASE_SCHEMA: schemas[0]!, EVENTSTORE_SCHEMA: schemas[1]! },
    60_000,
  );
  const audit = await startServiceProcess(
    'audit-service',
    {
      ...common,
      GRPC_PORT: String(auditPort),
      DATABASE_SCHEMA: schemas[2]!,
      AUDIT_TREE_HEAD_INTERVAL_MS: '3600000',
      KAFKA_CONSUMER_GROUP_SUFFIX: groupSuffix,
    },
    60_000,
  ).catch(async (error: unknown) => {
    await tag.stop('SIGTERM');
    throw error;
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: `bench.${run}`, maxWaitTimeInMs: 100 });
  try {
    // The commit signal: NOTIFY from a row trigger is delivered to listeners when the transaction commits.
    const channel = `bench_commit_${run}`;
    await pool.query(`CREATE FUNCTION "${schemas[2]}".bench_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('${channel}', NEW.subject_id); RETURN NEW; END $$`);
    await pool.query(`CREATE TRIGGER bench_notify AFTER INSERT ON "${schemas[2]}".audit_records
      FOR EACH ROW EXECUTE FUNCTION "${schemas[2]}".bench_notify()`);
    // Only this run's tags, and the FIRST record committed for each (the pipeline's end for that command).
    const sentAt = new Map<string, number>();
    const committedAt = new Map<string, number>();
    listener.on('notification', (n) => {
      const at = nowMs();
      if (n.payload && sentAt.has(n.payload) && !committedAt.has(n.payload)) committedAt.set(n.payload, at);
    });
    await listener.query(`LISTEN ${channel}`);

    await ensureTopics(kafka, [topic]);
    await Promise.all([producer.connect(), consumer.connect()]);
    await consumer.subscribe({ topic, fromBeginning: true });
    const roundTrip: number[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => void roundTrip.push(nowMs() - Number(message.value!.toString())),
    });
    // Warm both paths (connections, the consumer group's assignment) before anything is timed.
    await new Promise((r) => setTimeout(r, 3_000));

    const metadata = new grpc.Metadata();
    metadata.set(
      'authorization',
      `Bearer ${signToken({ tenantId: `bench-${run}`, actorId: 'bench', roles: ['tenant_admin'] }, loadDevPrivateKey())}`,
    );
    const client = tagguardClient<grpc.Client & { CreateTag: Call }>(
      `127.0.0.1:${tagPort}`,
      'tagguard/tag/v1/tag_service.proto',
      protoRoot(),
      ['tagguard', 'tag', 'v1', 'TagService'],
    );
    const commandLatency: number[] = [];
    // Interleaved: the i-th CreateTag and the i-th baseline message leave at the same moment.
    await offer(total, RATE, async (i) => {
      const tagId = randomUUID();
      const t = nowMs();
      sentAt.set(tagId, t);
      await Promise.all([
        new Promise<void>((resolve, reject) =>
          client.CreateTag({ tagId, name: `bench${i}`, kind: 'TAG_KIND_MEMBER' }, metadata, (e) =>
            e ? reject(e) : resolve(),
          ),
        ).then(() => void commandLatency.push(nowMs() - t)),
        producer.send({ topic, acks: -1, messages: [{ key: String(i), value: String(nowMs()) }] }),
      ]);
    });
    client.close();
    const deadline = Date.now() + 60_000;
    while ((committedAt.size < total || roundTrip.length < total) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    // A command whose record never committed counts as the slowest possible, not as absent.
    const missing = total - committedAt.size;
    const pipeline = [
      ...[...committedAt].map(([tagId, at]) => at - sentAt.get(tagId)!),
      ...Array.from({ length: missing }, () => Number.POSITIVE_INFINITY),
    ];
    const p = percentiles(pipeline);
    const b = percentiles(roundTrip);
    return {
      description:
        'gRPC CreateTag → audit record committed (NOTIFY on commit), interleaved with kafkajs produce → consume, same offered rate and broker, sub-millisecond clock',
      offeredRatePerSecond: RATE,
      seconds: SECONDS,
      commands: total,
      auditRecordsCommitted: committedAt.size,
      auditRecordsMissing: missing,
      fairness: [
        'end = NOTIFY from a row trigger, delivered only when the inbox transaction commits (not the row now())',
        'baseline interleaved with the pipeline: the i-th CreateTag and the i-th raw message leave together',
        'both sides timed with performance.now() on one clock, sub-millisecond',
        "audit-service's consumer groups are this run's, started at the topics' ends (no backlog)",
        'a record that never committed counts as infinitely slow',
        'schemas, consumer groups and the baseline topic removed at the end',
      ],
      grpcCommandLatencyMs: percentiles(commandLatency),
      pipelineLatencyMs: p,
      baselineKafkaRoundTripMs: { messages: roundTrip.length, ...b },
      pipelineToBaselineP50: round(p.p50 / Math.max(b.p50, 0.01)),
      pipelineToBaselineP99: round(p.p99 / Math.max(b.p99, 0.01)),
    };
  } finally {
    await Promise.all([producer.disconnect(), consumer.disconnect()]).catch(() => undefined);
    await Promise.all([tag.stop('SIGTERM'), audit.stop('SIGTERM')]);
    listener.release();
    const admin = kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteTopics({ topics: [topic] }))
      .catch(() => undefined);
    await admin
      .deleteGroups([
        `bench.${run}`,
        ...['audit-trail', 'notifications'].map((g) => `audit-service${groupSuffix}.${g}`),
      ])
      .catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
}
