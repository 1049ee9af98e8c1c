import type { LoggerService } from '@nestjs/common';

export type NestLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

/** Nest's six level methods, each handing its arguments to one `write`. */
export abstract class NestLevels implements LoggerService {
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

  protected abstract write(level: NestLevel, message: unknown, rest: unknown[]): void;
}
