import { Writable } from 'node:stream';
import { createLogger } from './logger';
import {
  annotateRequest,
  newRequestContext,
  requestTraceparent,
  runInRequestContext,
} from './request-context';

describe('newRequestContext (W3C trace context)', () => {
  const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('given a valid traceparent, continues its trace with a span of its own', () => {
    const context = newRequestContext({ traceparent: parent });
    expect(context.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(context.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(context.spanId).not.toBe('00f067aa0ba902b7');
  });

  it.each([
    ['no header', undefined],
    ['garbage', 'not-a-traceparent'],
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
  ])('given %s, starts a fresh trace', (_what, traceparent) => {
    const a = newRequestContext({ traceparent });
    const b = newRequestContext({ traceparent });
    expect(a.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.traceId).not.toBe(b.traceId);
    expect(a.traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it("prefers the active span's trace id, so logs and exported spans agree", () => {
    expect(newRequestContext({ traceparent: parent, traceId: 'ab'.repeat(16) }).traceId).toBe(
      'ab'.repeat(16),
    );
  });
});

describe('a request context in log lines', () => {
  it('puts trace_id, span_id, and the caller once known, on every line written inside it, across awaits', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const logger = createLogger({ service: 's', destination: stream });
    const context = newRequestContext();
    await runInRequestContext(context, async () => {
      logger.info('before authentication');
      annotateRequest({ tenantId: 't1', actorId: 'a1' });
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.info('after');
      expect(requestTraceparent()).toBe(`00-${context.traceId}-${context.spanId}-01`);
    });
    logger.info('outside');

    expect(lines[0]).toMatchObject({ trace_id: context.traceId, span_id: context.spanId });
    expect(lines[0]).not.toHaveProperty('tenantId');
    expect(lines[1]).toMatchObject({ trace_id: context.traceId, tenantId: 't1', actorId: 'a1' });
    expect(lines[2]).not.toHaveProperty('trace_id');
  });
});
