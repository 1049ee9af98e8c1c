import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import type { Logger } from '@tagguard/logging';
import { type Observable, throwError } from 'rxjs';
import { toGrpcError } from './grpc-error';

/** The one place where handler errors become gRPC statuses; unexpected ones are logged with their stack. */
@Catch()
export class GrpcErrorFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown): Observable<never> {
    const error = toGrpcError(exception);
    if (error.message === 'internal error')
      this.logger.error({ err: exception }, 'unhandled error in a gRPC handler');
    return throwError(() => error);
  }
}
