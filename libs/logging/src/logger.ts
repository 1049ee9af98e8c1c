import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Where lines go; stdout unless a test captures them. */
  destination?: DestinationStream;
  /** Fields merged into every line, e.g. the active trace and span ids. */
  mixin?: () => Record<string, unknown>;
}

/**
 * One JSON line per log event: `time` as ISO-8601, `level` as a word, `service` on every line,
 * so SREs can filter and join with traces without a parser per service.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
      base: { service: options.service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      messageKey: 'msg',
      ...(options.mixin ? { mixin: options.mixin } : {}),
    },
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}
