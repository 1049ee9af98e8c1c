export { createLogger, lifecycleLogger, type Logger, type LoggerOptions } from './logger';
export { NestPinoLogger } from './nest-pino-logger';
export { registerServiceLogger, ServiceLogger } from './service-logger';
export {
  annotateRequest,
  currentRequestContext,
  newRequestContext,
  requestLogFields,
  requestTraceparent,
  runInRequestContext,
  type RequestContext,
} from './request-context';
