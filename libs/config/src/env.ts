/** A configuration problem, raised at start-up, that names the variable so the operator can fix it. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export interface EnvReader {
  string(name: string, fallback?: string): string;
  port(name: string, fallback?: number): number;
  integer(name: string, options: { fallback?: number; min?: number; max?: number }): number;
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback?: T): T;
  optional(name: string): string | undefined;
  /** A comma-separated list, empty when unset. */
  list(name: string): string[];
}

/** Typed access to environment variables; every failure is a ConfigError naming the variable. */
export function readEnv(env: Record<string, string | undefined> = process.env): EnvReader {
  const raw = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const integer = (name: string, options: { fallback?: number; min?: number; max?: number }): number => {
    const value = raw(name);
    if (value === undefined) {
      if (options.fallback === undefined) throw new ConfigError(name, 'is required');
      return options.fallback;
    }
    if (!/^-?\d+$/.test(value)) throw new ConfigError(name, `must be an integer, got "${value}"`);
    const n = Number(value);
    if (options.min !== undefined && n < options.min)
      throw new ConfigError(name, `must be >= ${options.min}, got ${n}`);
    if (options.max !== undefined && n > options.max)
      throw new ConfigError(name, `must be <= ${options.max}, got ${n}`);
    return n;
  };
  return {
    string(name, fallback) {
      const value = raw(name) ?? fallback;
      if (value === undefined) throw new ConfigError(name, 'is required');
      return value;
    },
    port(name, fallback) {
      return integer(name, { ...(fallback !== undefined ? { fallback } : {}), min: 0, max: 65535 });
    },
    integer,
    oneOf(name, allowed, fallback) {
      const value = raw(name) ?? fallback;
      if (value === undefined) throw new ConfigError(name, `is required (one of ${allowed.join(', ')})`);
      if (!(allowed as readonly string[]).includes(value)) {
        throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${value}"`);
      }
      return value as (typeof allowed)[number];
    },
    optional(name) {
      return raw(name);
    },
    list(name) {
      return (raw(name) ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    },
  };
}
