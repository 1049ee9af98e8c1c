import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { status as grpcStatus, type Metadata } from '@grpc/grpc-js';
import {
  newRequestContext,
  requestLogFields,
  runInRequestContext,
  type Logger,
  type RequestContext,
} from '@tagguard/logging';
import { EventContext } from '@tagguard/messaging';
import { traceLogFields } from '@tagguard/telemetry';
import { Observable, tap } from 'rxjs';
import { toGrpcError } from './errors/grpc-error';
import { grpcPath } from './validation/request-validation.interceptor';

// The caller's mistakes are routine (info); the server's own failures are someone's job now (error);
// overload and timeouts sit between (warn).
const SERVER_FAULT = new Set([
  grpcStatus.INTERNAL,
  grpcStatus.UNKNOWN,
  grpcStatus.DATA_LOSS,
  grpcStatus.UNIMPLEMENTED,
]);
const PRESSURE = new Set([
  grpcStatus.UNAVAILABLE,
  grpcStatus.DEADLINE_EXCEEDED,
  grpcStatus.RESOURCE_EXHAUSTED,
]);

/**
 * Runs each gRPC call and each handled event in its own request context (a trace id from the caller's
 * traceparent, the active span, or a fresh one; the tenant and actor once authenticated), so every log line
 * of the request carries them; then writes one line per call: method, status name and code, the error code
 * and field from the trailers, the message, and the duration.
 */
@Injectable()
export class GrpcAccessLogInterceptor implements NestInterceptor {
  constructor(private readonly logger: Logger) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const handler = `${context.getClass().name}.${context.getHandler().name}`;
    const started = process.hrtime.bigint();
    const ms = (): number => Number(process.hrtime.bigint() - started) / 1e6;
    const rpc: unknown = context.switchToRpc().getContext();
    const activeTraceId = traceLogFields()['trace_id'];
    if (rpc instanceof EventContext) {
      const { metadata } = rpc.message;
      const request = {
        ...newRequestContext({ traceparent: metadata?.traceparent, traceId: activeTraceId }),
        ...(metadata?.tenantId ? { tenantId: metadata.tenantId } : {}),
        ...(metadata?.actorId ? { actorId: metadata.actorId } : {}),
      };
      const fields = {
        method: handler,
        topic: rpc.message.topic,
        eventId: rpc.message.eventId,
        group: rpc.groupId,
      };
      return inContext(request, () =>
        next.handle().pipe(
          tap({
            complete: () =>
              this.logger.info(
                { ...requestLogFields(request), event: 'event.handled', ...fields, durationMs: ms() },
                `${handler} handled`,
              ),
            error: (error: unknown) =>
              this.logger.info(
                {
                  ...requestLogFields(request),
                  event: 'event.failed',
                  ...fields,
                  error: error instanceof Error ? error.message : String(error),
                  durationMs: ms(),
                },
                `${handler} failed`,
              ),
          }),
        ),
      );
    }
    const method = grpcPath(context)?.slice(1) ?? handler;
    const traceparent = (context.getArgByIndex<Metadata | undefined>(1)?.get?.('traceparent') ?? [])[0];
    const request = newRequestContext({ traceparent: traceparent?.toString(), traceId: activeTraceId });
    return inContext(request, () =>
      next.handle().pipe(
        tap({
          complete: () =>
            this.logger.info(
              {
                ...requestLogFields(request),
                event: 'grpc.call',
                method,
                handler,
                code: 0,
                status: 'OK',
                durationMs: ms(),
              },
              `${method} OK`,
            ),
          error: (error: unknown) => {
            const mapped = toGrpcError(error);
            const name = grpcStatus[mapped.code] ?? String(mapped.code);
            const errorCode = String(mapped.metadata.get('tg-error-code')[0] ?? '');
            const field = mapped.metadata.get('tg-field')[0];
            const line = {
              ...requestLogFields(request),
              event: 'grpc.call',
              method,
              handler,
              code: mapped.code,
              status: name,
              errorCode,
              ...(field ? { field: String(field) } : {}),
              error: mapped.message,
              // The caller only sees "internal error"; the operator reading this line needs the real one.
              ...(mapped.code === grpcStatus.INTERNAL && error instanceof Error
                ? { cause: error.message }
                : {}),
              durationMs: ms(),
            };
            const level = SERVER_FAULT.has(mapped.code)
              ? 'error'
              : PRESSURE.has(mapped.code)
                ? 'warn'
                : 'info';
            this.logger[level](line, `${method} failed: ${name} ${errorCode}: ${mapped.message}`);
          },
        }),
      ),
    );
  }
}

/**
 * Builds and subscribes the handler's observable inside the request's context: Nest binds the handler to
 * the async context current when next.handle() is called, so that call must happen in it too.
 */
function inContext<T>(request: RequestContext, source: () => Observable<T>): Observable<T> {
  return new Observable<T>((subscriber) =>
    runInRequestContext(request, () => source().subscribe(subscriber)),
  );
}
