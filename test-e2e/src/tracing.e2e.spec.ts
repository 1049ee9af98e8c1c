import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { eventually, freePort, startServiceProcess, testInfra, type ServiceProcess } from '@tagguard/testing';
import { serviceClient, signedMetadata, unary } from './support/callers';

interface ReceivedSpan {
  service: string;
  traceId: string;
  name: string;
  kind: number;
}

/** A minimal OTLP/HTTP (JSON) trace receiver: what an OpenTelemetry collector would receive. */
function otlpReceiver(): Promise<{ server: Server; url: string; spans: ReceivedSpan[] }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const payload = JSON.parse(body || '{}') as {
        resourceSpans?: {
          resource: { attributes: { key: string; value: { stringValue?: string } }[] };
          scopeSpans: { spans: { traceId: string; name: string; kind: number }[] }[];
        }[];
      };
      for (const rs of payload.resourceSpans ?? []) {
        const service =
          rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
        for (const ss of rs.scopeSpans)
          for (const s of ss.spans) spans.push({ service, traceId: s.traceId, name: s.name, kind: s.kind });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      resolve({ server, url: `http://127.0.0.1:${address.port}/v1/traces`, spans });
    }),
  );
}

// SREs follow one trace from the gRPC command in tag-service to the consumer in audit-service:
// gRPC server span → event metadata → relay PRODUCER span → Kafka headers → audit CONSUMER span.
describe('end-to-end tracing across tag-service and audit-service', () => {
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let tag: ServiceProcess;
  let audit: ServiceProcess;

  beforeAll(async () => {
    receiver = await otlpReceiver();
    const run = randomUUID().replace(/-/g, '').slice(0, 8);
    const { postgresUrl, kafkaBrokers } = testInfra();
    const otel = {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    const common = { ...otel, DATABASE_URL: postgresUrl, KAFKA_BROKERS: kafkaBrokers.join(',') };
    const [tagPort, auditPort] = [await freePort(), await freePort()];
    [tag, audit] = await Promise.all([
      startServiceProcess('tag-service', {
        ...common,
        GRPC_PORT: String(tagPort),
        DATABASE_SCHEMA: `trace_tag_${run}`,
        EVENTSTORE_SCHEMA: `trace_es_${run}`,
      }),
      startServiceProcess('audit-service', {
        ...common,
        GRPC_PORT: String(auditPort),
        DATABASE_SCHEMA: `trace_audit_${run}`,
      }),
    ]);
    const client = serviceClient(`127.0.0.1:${tagPort}`, 'tag');
    await unary(
      client,
      'CreateTag',
      { tagId: randomUUID(), name: 'VIP客户', kind: 'TAG_KIND_CUSTOMER' },
      signedMetadata(`trace-${run}`, 'sre', ['tenant_admin']),
    );
    client.close();
  });
  afterAll(async () => {
    await Promise.all([tag?.stop('SIGTERM'), audit?.stop('SIGTERM')]);
    receiver?.server.close();
  });

  it('puts the gRPC server span, the Kafka publish and the audit consumer span in one trace', async () => {
    const trace = await eventually(() => {
      const command = receiver.spans.find(
        (s) => s.service === 'tag-service' && s.name.includes('CreateTag') && s.kind === 2,
      );
      expect(command).toBeDefined();
      const inTrace = receiver.spans.filter((s) => s.traceId === command!.traceId);
      expect(inTrace.map((s) => [s.service, s.kind])).toEqual(
        expect.arrayContaining([
          ['tag-service', 4], // PRODUCER: relay publish
          ['audit-service', 5], // CONSUMER: audit trail
        ]),
      );
      return inTrace;
    }, 30_000);
    expect(trace.some((s) => s.service === 'tag-service' && s.name === 'eventstore.append')).toBe(true);
  });

  it('logs the call as JSON with the trace id of its spans', async () => {
    // The child's log line arrives through its pipe on its own time: polled.
    const call = await eventually(() => {
      const line = tag.lines.find(
        (l) => l['event'] === 'grpc.call' && String(l['method']).endsWith('/CreateTag'),
      );
      expect(line).toMatchObject({ code: 0, trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
      return line;
    }, 10_000);
    expect(receiver.spans.some((s) => s.traceId === call!['trace_id'] && s.service === 'audit-service')).toBe(
      true,
    );
  });
});
