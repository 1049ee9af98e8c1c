import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { isObservable, map, type Observable } from 'rxjs';
import type { RequestSchema } from './request-fields';

/**
 * Checks every incoming gRPC request against its descriptor before any handler runs (strings without
 * control characters, enums inside the enum), for every method of every service the process serves.
 * A client-streamed request is checked message by message.
 */
@Injectable()
export class GrpcRequestValidationInterceptor implements NestInterceptor {
  constructor(private readonly schema: RequestSchema) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const path = grpcPath(context);
    if (!path) return next.handle();
    const args = context.getArgs<unknown[]>();
    if (isObservable(args[0]))
      args[0] = args[0].pipe(
        map((message) => {
          this.schema.check(path, message);
          return message;
        }),
      );
    else this.schema.check(path, args[0]);
    return next.handle();
  }
}

/** "/package.Service/Method" of a gRPC call (Nest passes the grpc-js call as the third argument). */
export function grpcPath(context: ExecutionContext): string | undefined {
  if (context.getType() !== 'rpc') return undefined;
  const call = context.getArgByIndex<{ getPath?: () => string } | undefined>(2);
  return typeof call?.getPath === 'function' ? call.getPath() : undefined;
}
