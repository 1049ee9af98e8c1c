export { createLogger, type Logger, type LoggerOptions } from './logger';
export { NestPinoLogger } from './nest-pino-logger';
