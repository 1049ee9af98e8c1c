import { Logger as NestLogger } from '@nestjs/common';
import type { Logger } from 'pino';
import { NestLevels, type NestLevel } from './nest-levels';
import { NestPinoLogger } from './nest-pino-logger';

/** Service name → the loggers of its running instances, newest last (runGrpcService registers them). */
const running = new Map<string, NestPinoLogger[]>();

/**
 * Makes `logger` the one a service's ServiceLoggers write through while it runs; the returned function
 * forgets it (at stop). Called by runGrpcService for every service it starts.
 */
export function registerServiceLogger(service: string, logger: Logger): () => void {
  const entry = new NestPinoLogger(logger);
  const list = running.get(service) ?? [];
  list.push(entry);
  running.set(service, list);
  return () => {
    const at = list.indexOf(entry);
    if (at >= 0) list.splice(at, 1);
  };
}

/**
 * A Nest-style logger for one service's own code, written with that service's name. Nest's `Logger`
 * writes through one process-wide logger (the last app created sets it), so in the embedded mode, where
 * the five services share a process, a tag-service line said "sync-service". Before the service runs
 * (a unit test, a decider driven alone) it is Nest's `Logger`.
 */
export class ServiceLogger extends NestLevels {
  private readonly fallback: NestLogger;

  constructor(
    readonly service: string,
    readonly context: string,
  ) {
    super();
    this.fallback = new NestLogger(context);
  }

  protected write(level: NestLevel, message: unknown, rest: unknown[]): void {
    const current = running.get(this.service)?.at(-1);
    if (current) current[level](message, ...rest, this.context);
    else this.fallback[level](message, ...rest);
  }
}
