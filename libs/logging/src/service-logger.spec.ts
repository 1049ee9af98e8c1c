import { Logger as NestLogger } from '@nestjs/common';
import { capturedLines as capture } from './captured-lines';
import { createLogger } from './logger';
import { NestPinoLogger } from './nest-pino-logger';
import { registerServiceLogger, ServiceLogger } from './service-logger';

describe('ServiceLogger: two services in one process (the embedded mode)', () => {
  let tag: ReturnType<typeof capture>;
  let sync: ReturnType<typeof capture>;
  const forget: (() => void)[] = [];

  beforeEach(() => {
    tag = capture();
    sync = capture();
    forget.push(
      registerServiceLogger('tag-service', createLogger({ service: 'tag-service', destination: tag.stream })),
    );
    const syncLogger = createLogger({ service: 'sync-service', destination: sync.stream });
    forget.push(registerServiceLogger('sync-service', syncLogger));
    // What Nest does for the app created last: its logger becomes every Nest Logger's.
    NestLogger.overrideLogger(new NestPinoLogger(syncLogger));
  });
  afterEach(() => {
    for (const f of forget.splice(0)) f();
    NestLogger.overrideLogger(true);
  });

  it("given sync-service started last, when tag-service's code warns, then the line is tag-service's, with its context", () => {
    new ServiceLogger('tag-service', 'Governance').warn({ event: 'governance.critical_operation' });
    new ServiceLogger('tag-service', 'PurgeTimer').error('purge failed', 'Error: boom\n    at x');
    expect(tag.lines()).toEqual([
      expect.objectContaining({
        service: 'tag-service',
        level: 'warn',
        context: 'Governance',
        event: 'governance.critical_operation',
      }),
      expect.objectContaining({
        service: 'tag-service',
        level: 'error',
        context: 'PurgeTimer',
        msg: 'purge failed',
        stack: 'Error: boom\n    at x',
      }),
    ]);
    expect(sync.lines()).toEqual([]);
  });

  it('given a service stopped, then its lines go to the instance still running, or to Nest when none is', () => {
    const second = capture();
    const stopSecond = registerServiceLogger(
      'tag-service',
      createLogger({ service: 'tag-service', destination: second.stream }),
    );
    new ServiceLogger('tag-service', 'A').log('to the newest');
    stopSecond();
    new ServiceLogger('tag-service', 'B').log('to the first again');
    for (const f of forget.splice(0)) f();
    new ServiceLogger('tag-service', 'C').log('through Nest');
    expect(second.lines().map((l) => l['msg'])).toEqual(['to the newest']);
    expect(tag.lines().map((l) => l['msg'])).toEqual(['to the first again']);
    expect(sync.lines()).toEqual([expect.objectContaining({ context: 'C', msg: 'through Nest' })]);
  });
});
