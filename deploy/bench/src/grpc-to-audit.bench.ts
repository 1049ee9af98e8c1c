import { randomUUID } from 'node:crypto';
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
 * (b) gRPC CreateTag in tag-service → event store → relay → Kafka → audit-service consumer → audit record
 * committed, at a fixed offered rate; beside it, a plain kafkajs produce → consume round trip at the
 * same rate on the same broker. Latency of the pipeline = audit row's commit-side time minus send time.
 */
export async function grpcToAudit({ postgresUrl, kafkaBrokers }: BenchContext) {
  const run = randomUUID().replace(/-/g, '').slice(0, 8);
  const total = RATE * SECONDS;
  const pool = new Pool({ connectionString: postgresUrl });
  const [tagPort, auditPort] = [await freePort(), await freePort()];
  const common = { DATABASE_URL: postgresUrl, KAFKA_BROKERS: kafkaBrokers.join(',') };
  const tag = await startServiceProcess(
    'tag-service',
    {
      ...common,
      GRPC_PORT: String(tagPort),
      DATABASE_SCHEMA: `bench_tag_${run}`,
      EVENTSTORE_SCHEMA: `bench_es_${run}`,
    },
    60_000,
  );
  const audit = await startServiceProcess(
    'audit-service',
    { ...common, GRPC_PORT: String(auditPort), DATABASE_SCHEMA: `bench_audit_${run}` },
    60_000,
  );
  try {
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
    const sentAt = new Map<string, number>();
    const commandLatency: number[] = [];
    await offer(total, RATE, async (i) => {
      const tagId = randomUUID();
      const t = Date.now();
      sentAt.set(tagId, t);
      await new Promise<void>((resolve, reject) =>
        client.CreateTag({ tagId, name: `bench${i}`, kind: 'TAG_KIND_MEMBER' }, metadata, (e) =>
          e ? reject(e) : resolve(),
        ),
      );
      commandLatency.push(Date.now() - t);
    });
    client.close();
    const deadline = Date.now() + 60_000;
    let rows: { subject_id: string; recorded_ms: string }[] = [];
    while (Date.now() < deadline) {
      rows = (
        await pool.query<{ subject_id: string; recorded_ms: string }>(
          `SELECT subject_id, (extract(epoch FROM recorded_at) * 1000)::text AS recorded_ms FROM "bench_audit_${run}".audit_records`,
        )
      ).rows;
      if (rows.length >= total) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const pipeline = rows.map((r) => Number(r.recorded_ms) - sentAt.get(r.subject_id)!);

    // Baseline: produce → consume through the same broker, same rate, one partition key per message.
    const kafka = new Kafka({
      clientId: 'bench-baseline',
      brokers: kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const topic = `bench.internal.roundtrip.events.v${Date.now() % 100000}`;
    await ensureTopics(kafka, [topic]);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId: `bench.${run}`, maxWaitTimeInMs: 100 });
    await Promise.all([producer.connect(), consumer.connect()]);
    await consumer.subscribe({ topic, fromBeginning: true });
    const roundTrip: number[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => void roundTrip.push(Date.now() - Number(message.value!.toString())),
    });
    await new Promise((r) => setTimeout(r, 3_000));
    await offer(total, RATE, async (i) => {
      await producer.send({ topic, acks: -1, messages: [{ key: String(i), value: String(Date.now()) }] });
    });
    const until = Date.now() + 30_000;
    while (roundTrip.length < total && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    await Promise.all([producer.disconnect(), consumer.disconnect()]);

    return {
      description:
        'gRPC CreateTag → audit record committed, vs kafkajs produce → consume, same offered rate and broker',
      offeredRatePerSecond: RATE,
      seconds: SECONDS,
      commands: total,
      auditRecords: rows.length,
      grpcCommandLatencyMs: percentiles(commandLatency),
      pipelineLatencyMs: percentiles(pipeline),
      baselineKafkaRoundTripMs: { messages: roundTrip.length, ...percentiles(roundTrip) },
      pipelineToBaselineP50: round(percentiles(pipeline).p50 / Math.max(percentiles(roundTrip).p50, 0.01)),
    };
  } finally {
    await Promise.all([tag.stop('SIGTERM'), audit.stop('SIGTERM')]);
    await pool.end();
  }
}
