import { type ArgumentsHost, Catch, type RpcExceptionFilter } from '@nestjs/common';
import type { Logger } from '@tagguard/logging';
import { EventContext } from '@tagguard/messaging';
import { type Observable, throwError } from 'rxjs';
import { toGrpcError } from './grpc-error';

/**
 * The one place where handler errors become gRPC statuses; unexpected ones are logged with their stack.
 * An event handler's error passes through unchanged: the transport retries it and, in the end, puts its
 * message on the dead-letter topic as the reason.
 */
@Catch()
export class GrpcErrorFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    const ctx: unknown = host.switchToRpc().getContext();
    if (ctx instanceof EventContext) {
      this.logger.warn(
        { err: exception, topic: ctx.message.topic, eventId: ctx.message.eventId, group: ctx.groupId },
        'event handler failed',
      );
      return throwError(() => exception);
    }
    const error = toGrpcError(exception);
    if (error.message === 'internal error') {
      const call = host.getArgByIndex<{ getPath?: () => string } | undefined>(2);
      const method = call?.getPath?.().slice(1);
      this.logger.error(
        { err: exception, ...(method ? { method } : {}) },
        `unhandled error in ${method ?? 'a gRPC handler'}`,
      );
    }
    return throwError(() => error);
  }
}
