import { Logger as NestLogger, type LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';
import { NestPinoLogger } from './nest-pino-logger';

type Level = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

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
export class ServiceLogger implements LoggerService {
  private readonly fallback: NestLogger;

  constructor(
    readonly service: string,
    readonly context: string,
  ) {
    this.fallback = new NestLogger(context);
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: Level, message: unknown, rest: unknown[]): void {
    const current = running.get(this.service)?.at(-1);
    if (current) current[level](message, ...rest, this.context);
    else this.fallback[level](message, ...rest);
  }
}
