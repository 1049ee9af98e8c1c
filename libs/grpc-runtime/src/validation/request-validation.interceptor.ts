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
    if (isObservable(args[0])) {
      const source = args[0] as Observable<unknown> & { drainBuffer?: () => void };
      const checked = source.pipe(
        map((message) => {
          this.schema.check(path, message);
          return message;
        }),
      );
      // Nest replays a stream's first messages and its end through `drainBuffer` on the observable it passed
      // (GrpcStreamMethod calls it on the handler's first argument): without it a bidi stream never completes.
      if (source.drainBuffer) Object.defineProperty(checked, 'drainBuffer', { value: source.drainBuffer });
      args[0] = checked;
    } else this.schema.check(path, args[0]);
    return next.handle();
  }
}

/** "/package.Service/Method" of a gRPC call (Nest passes the grpc-js call as the third argument). */
export function grpcPath(context: ExecutionContext): string | undefined {
  if (context.getType() !== 'rpc') return undefined;
  const call = context.getArgByIndex<{ getPath?: () => string } | undefined>(2);
  return typeof call?.getPath === 'function' ? call.getPath() : undefined;
}
