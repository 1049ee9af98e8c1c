import pino, { type DestinationStream, type Logger } from 'pino';
import { requestLogFields } from './request-context';

export type { Logger };

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Where lines go; stdout unless a test captures them. */
  destination?: DestinationStream;
  /** Fields merged into every line after the request's own (e.g. the active OpenTelemetry span's ids). */
  mixin?: () => Record<string, unknown>;
}

/**
 * One JSON line per log event: `time` as ISO-8601, `level` as a word, `service` on every line,
 * so SREs can filter and join with traces without a parser per service. A line written while handling a
 * request carries its trace_id, span_id, tenantId and actorId (request-context.ts), exporter or not.
 * Written asynchronously (pino flushes what is buffered when the process exits): a synchronous write per line
 * blocked the event loop whenever the reader of stdout lagged (the permission-check bench's largest cost).
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
      base: { service: options.service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      messageKey: 'msg',
      mixin: () => ({ ...requestLogFields(), ...options.mixin?.() }),
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/**
 * The logger for a service's lifecycle lines (`service.started`, `service.stopping`, `service.stopped`): they
 * stay info lines but are written at any LOG_LEVEL except `silent` (D114). An operator running at `warn`
 * still sees that the service serves, and on which address, and whoever starts it (startServiceProcess, an
 * orchestrator's log probe) does not wait for a line the level swallowed.
 */
export function lifecycleLogger(logger: Logger): Logger {
  if (logger.isLevelEnabled('info') || logger.level === 'silent') return logger;
  return logger.child({}, { level: 'info' });
}
