import { status } from '@grpc/grpc-js';
import { type ArgumentsHost, Catch, type RpcExceptionFilter } from '@nestjs/common';
import type { Logger } from '@tagguard/logging';
import { EventContext } from '@tagguard/messaging';
import { from, mergeMap, type Observable, throwError } from 'rxjs';
import type { DenialRecorders } from './denials';
import { toGrpcError } from './grpc-error';

/**
 * The one place where handler errors become gRPC statuses; unexpected ones are logged with their stack.
 * An event handler's error passes through unchanged: the transport retries it and, in the end, puts its
 * message on the dead-letter topic as the reason.
 */
@Catch()
export class GrpcErrorFilter implements RpcExceptionFilter<unknown> {
  constructor(
    private readonly logger: Logger,
    private readonly denials?: DenialRecorders,
  ) {}

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
    const recorder = this.denials?.recorder;
    if (recorder && error.code === status.PERMISSION_DENIED) {
      const call = host.getArgByIndex<{ getPath?: () => string } | undefined>(2);
      const recorded = recorder.record({
        rpc: call?.getPath?.() ?? '',
        metadata: host.getArgByIndex(1),
        request: host.getArgByIndex(0),
        error,
      });
      // A refusal that could not be recorded is still a refusal: the caller hears it, the log says why.
      return from(
        recorded.catch((failure: unknown) =>
          this.logger.error({ err: failure }, 'a denied attempt could not be recorded'),
        ),
      ).pipe(mergeMap(() => throwError(() => error)));
    }
    return throwError(() => error);
  }
}
