import { randomBytes, randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { eventually } from '@tagguard/testing';
import { serviceClient, signedMetadata, unary } from './support/callers';
import { startTagAndAudit, type TagAndAudit } from './support/tag-and-audit';

// No OpenTelemetry exporter configured: the trace id a caller sends still names every log line of its
// request in tag-service, and the line audit-service writes when it handles the resulting event.
describe('one trace id across services in the logs, without a telemetry exporter', () => {
  const run = randomUUID().slice(0, 8);
  let services: TagAndAudit | undefined;
  let tags: grpc.Client;

  beforeAll(async () => {
    expect(process.env['OTEL_TRACES_EXPORTER'] ?? 'none').toBe('none');
    services = await startTagAndAudit(`tracelog_${run}`);
    tags = serviceClient(services.tagAddress, 'tag');
  });
  afterAll(async () => {
    tags?.close();
    await services?.stop();
  });

  it("tag-service's call line and audit-service's event line carry the caller's trace id and tenant", async () => {
    const traceId = randomBytes(16).toString('hex');
    const metadata = signedMetadata(`tenant-${run}`);
    metadata.set('traceparent', `00-${traceId}-${randomBytes(8).toString('hex')}-01`);
    await unary(tags, 'CreateTag', { tagId: randomUUID(), name: 'VIP', kind: 'TAG_KIND_CUSTOMER' }, metadata);

    // The child's lines reach us through a pipe after the answer (pino writes asynchronously).
    await eventually(
      () =>
        expect(
          services!.tag.lines.find((l) => l['event'] === 'grpc.call' && l['trace_id'] === traceId),
        ).toMatchObject({
          method: 'tagguard.tag.v1.TagService/CreateTag',
          status: 'OK',
          tenantId: `tenant-${run}`,
        }),
      10_000,
    );
    const handled = await eventually(() => {
      const line = services!.audit.lines.find(
        (l) => l['event'] === 'event.handled' && l['trace_id'] === traceId,
      );
      if (!line) throw new Error('audit-service has not logged the event under the trace id yet');
      return line;
    }, 30_000);
    expect(handled).toMatchObject({ tenantId: `tenant-${run}`, actorId: 'admin-1' });
  }, 60_000);
});
