import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Logger } from '@tagguard/logging';
import { EventContext } from '@tagguard/messaging';
import { type Observable, tap } from 'rxjs';
import { toGrpcError } from './errors/grpc-error';

/**
 * One JSON line per gRPC call (method, status code, duration) or per handled event (topic, event id,
 * group, duration); the logger adds trace_id/span_id.
 */
@Injectable()
export class GrpcAccessLogInterceptor implements NestInterceptor {
  constructor(private readonly logger: Logger) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const method = `${context.getClass().name}.${context.getHandler().name}`;
    const started = process.hrtime.bigint();
    const ms = (): number => Number(process.hrtime.bigint() - started) / 1e6;
    const rpc: unknown = context.switchToRpc().getContext();
    if (rpc instanceof EventContext) {
      const fields = { method, topic: rpc.message.topic, eventId: rpc.message.eventId, group: rpc.groupId };
      return next.handle().pipe(
        tap({
          complete: () =>
            this.logger.info({ event: 'event.handled', ...fields, durationMs: ms() }, `${method} handled`),
          error: () =>
            this.logger.info({ event: 'event.failed', ...fields, durationMs: ms() }, `${method} failed`),
        }),
      );
    }
    return next.handle().pipe(
      tap({
        complete: () =>
          this.logger.info({ event: 'grpc.call', method, code: 0, durationMs: ms() }, `${method} OK`),
        error: (error: unknown) => {
          const { code } = toGrpcError(error);
          this.logger.info(
            { event: 'grpc.call', method, code, durationMs: ms() },
            `${method} failed with code ${code}`,
          );
        },
      }),
    );
  }
}
