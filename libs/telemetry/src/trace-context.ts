import { context, propagation, trace, type Context } from '@opentelemetry/api';
import { requestTraceparent } from '@tagguard/logging';

/**
 * The active trace as W3C headers, for event metadata and message headers; with no exporter configured,
 * the request's own trace (libs/logging request context), so consumers log the same trace id.
 */
export function currentTraceHeaders(): { traceparent?: string; tracestate?: string } {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  carrier['traceparent'] ??= requestTraceparent() ?? '';
  return {
    ...(carrier['traceparent'] ? { traceparent: carrier['traceparent'] } : {}),
    ...(carrier['tracestate'] ? { tracestate: carrier['tracestate'] } : {}),
  };
}

/** The context a traceparent (from event metadata or a Kafka header) continues. */
export function contextFrom(headers: { traceparent?: string; tracestate?: string }): Context {
  return propagation.extract(context.active(), headers);
}

/** The log fields of the active span, for the logger's mixin. */
export function traceLogFields(): Record<string, string> {
  const span = trace.getActiveSpan()?.spanContext();
  return span ? { trace_id: span.traceId, span_id: span.spanId } : {};
}
