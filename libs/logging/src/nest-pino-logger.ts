import type pino from 'pino';
import type { Logger } from 'pino';
import { NestLevels, type NestLevel } from './nest-levels';

const PINO_LEVEL: Record<NestLevel, pino.Level> = {
  log: 'info',
  error: 'error',
  warn: 'warn',
  debug: 'debug',
  verbose: 'trace',
  fatal: 'fatal',
};

/** Routes Nest's own log calls (bootstrap, routes, exceptions) into the same JSON stream. */
export class NestPinoLogger extends NestLevels {
  constructor(private readonly logger: Logger) {
    super();
  }

  // Nest passes (message, context) or (message, stack, context); the last string is the context.
  protected write(nestLevel: NestLevel, message: unknown, rest: unknown[]): void {
    const level = PINO_LEVEL[nestLevel];
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const stack = level === 'error' && typeof rest[0] === 'string' ? (rest.shift() as string) : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields['context'] = context;
    if (stack) fields['stack'] = stack;
    if (message instanceof Error) {
      this.logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ ...fields, ...message });
    } else {
      this.logger[level](fields, String(message));
    }
  }
}
