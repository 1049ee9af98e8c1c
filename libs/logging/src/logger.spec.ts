import { capturedLines as capture } from './captured-lines';
import { createLogger, lifecycleLogger } from './logger';
import { NestPinoLogger } from './nest-pino-logger';

describe('createLogger', () => {
  it('writes one JSON object per line with service, ISO time, level word and mixin fields', () => {
    const out = capture();
    const logger = createLogger({
      service: 'tag-service',
      destination: out.stream,
      mixin: () => ({ trace_id: 'abc' }),
    });

    logger.info({ tagId: 't1' }, 'tag created');

    const [line] = out.lines();
    expect(line).toMatchObject({
      level: 'info',
      service: 'tag-service',
      msg: 'tag created',
      tagId: 't1',
      trace_id: 'abc',
    });
    expect(new Date(line!['time'] as string).toISOString()).toBe(line!['time']);
  });
});

describe('NestPinoLogger', () => {
  it('keeps the Nest context and the error stack as fields', () => {
    const out = capture();
    const nest = new NestPinoLogger(createLogger({ service: 's', destination: out.stream }));

    nest.log('Nest application successfully started', 'NestApplication');
    nest.error('boom', 'Error: boom\n    at x', 'ExceptionsHandler');

    const [started, failed] = out.lines();
    expect(started).toMatchObject({
      level: 'info',
      context: 'NestApplication',
      msg: 'Nest application successfully started',
    });
    expect(failed).toMatchObject({
      level: 'error',
      context: 'ExceptionsHandler',
      stack: 'Error: boom\n    at x',
      msg: 'boom',
    });
  });
});

describe('lifecycleLogger', () => {
  it.each([
    ['warn', ['service.started']],
    ['error', ['service.started']],
    ['info', ['ordinary', 'service.started']],
    ['silent', []],
  ])(
    'at LOG_LEVEL=%s writes the lifecycle line as info unless silent; other lines keep the level',
    (level, events) => {
      const out = capture();
      const logger = createLogger({ service: 'tag-service', level, destination: out.stream });
      logger.info({ event: 'ordinary' }, 'an ordinary line');
      lifecycleLogger(logger).info({ event: 'service.started' }, 'serving');
      expect(out.lines().map((l) => l['event'])).toEqual(events);
      for (const line of out.lines()) expect(line['level']).toBe('info');
    },
  );
});
