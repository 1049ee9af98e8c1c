import { NodeSDK } from '@opentelemetry/sdk-node';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';

let sdk: NodeSDK | undefined;

/**
 * Starts OpenTelemetry for a service, configured only by the standard OTEL_* variables
 * (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL, …). Off unless
 * OTEL_TRACES_EXPORTER, an OTLP endpoint or OTEL_METRICS_EXPORTER (otlp, console, prometheus) is set. Must run before gRPC, pg and Nest are loaded, so
 * services call it from their first import (src/tracing.ts).
 */
export function startTelemetry(serviceName: string): void {
  const set = (name: string): boolean => !!process.env[name] && process.env[name] !== 'none';
  const traces =
    set('OTEL_TRACES_EXPORTER') ||
    !!process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] ||
    !!process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
  // Metrics (component health and lag gauges) get a reader only when OTEL_METRICS_EXPORTER asks for one.
  const metrics = set('OTEL_METRICS_EXPORTER');
  if ((!traces && !metrics) || sdk) return;
  process.env['OTEL_SERVICE_NAME'] ??= serviceName;
  if (!traces) process.env['OTEL_TRACES_EXPORTER'] ??= 'none';
  process.env['OTEL_METRICS_EXPORTER'] ??= 'none';
  process.env['OTEL_LOGS_EXPORTER'] ??= 'none';
  sdk = new NodeSDK({
    serviceName,
    // Kafka spans are made by libs/messaging itself, per message and parented on the event's trace.
    instrumentations: [
      new GrpcInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true }),
      new NestInstrumentation(),
    ],
  });
  sdk.start();
  const shutdown = (): void => void sdk?.shutdown().catch(() => undefined);
  process.once('beforeExit', shutdown);
}

/** Flushes spans; called by a service's stop before the process exits. */
export async function stopTelemetry(): Promise<void> {
  await sdk?.shutdown().catch(() => undefined);
  sdk = undefined;
}
