import { ConfigError, readEnv } from './env';

describe('readEnv', () => {
  it('given a valid port, when read, then it is a number', () => {
    expect(readEnv({ GRPC_PORT: '50051' }).port('GRPC_PORT')).toBe(50051);
  });

  it('given no value, when read with a fallback, then the fallback is used', () => {
    expect(readEnv({}).port('GRPC_PORT', 7000)).toBe(7000);
    expect(readEnv({ GRPC_PORT: '  ' }).port('GRPC_PORT', 7000)).toBe(7000);
  });

  it.each([
    ['abc', 'must be an integer, got "abc"'],
    ['70000', 'must be <= 65535, got 70000'],
    ['-1', 'must be >= 0, got -1'],
  ])('given GRPC_PORT=%s, when read, then a ConfigError names the variable', (value, problem) => {
    expect(() => readEnv({ GRPC_PORT: value }).port('GRPC_PORT')).toThrow(
      new ConfigError('GRPC_PORT', problem),
    );
    expect(() => readEnv({ GRPC_PORT: value }).port('GRPC_PORT')).toThrow(`GRPC_PORT: ${problem}`);
  });

  it('given a missing required variable, when read, then it says it is required', () => {
    expect(() => readEnv({}).string('DATABASE_URL')).toThrow('DATABASE_URL: is required');
  });

  it('given a value outside the allowed set, when read, then the allowed values are listed', () => {
    expect(() => readEnv({ MODE: 'cloud' }).oneOf('MODE', ['embedded', 'distributed'] as const)).toThrow(
      'MODE: must be one of embedded, distributed, got "cloud"',
    );
    expect(readEnv({}).oneOf('MODE', ['embedded', 'distributed'] as const, 'embedded')).toBe('embedded');
  });

  it('reads a comma-separated list, empty when unset', () => {
    expect(readEnv({ KAFKA_BROKERS: ' 127.0.0.1:9092, 127.0.0.1:9093 ,' }).list('KAFKA_BROKERS')).toEqual([
      '127.0.0.1:9092',
      '127.0.0.1:9093',
    ]);
    expect(readEnv({}).list('KAFKA_BROKERS')).toEqual([]);
  });
});
