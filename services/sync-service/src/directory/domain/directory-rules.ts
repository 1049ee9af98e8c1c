import { invalid } from './directory.errors';

// Field rules every directory object shares (WeCom's limits, rounded up): ids are what the source gives,
// never reinterpreted, so only their length and emptiness are checked.
export const MAX_ID = 64;
export const MAX_NAME = 64;
export const MAX_TEXT = 256;

export function idOf(value: string, field: string): string {
  if (!value || value.length > MAX_ID || value.trim() !== value)
    throw invalid(field, `must be 1 to ${MAX_ID} characters without surrounding spaces`);
  return value;
}

export function nameOf(value: string, field: string, max = MAX_NAME): string {
  const text = value.trim();
  if (!text || text.length > max) throw invalid(field, `must be 1 to ${max} characters`);
  return text;
}

export function textOf(value: string, field: string, max = MAX_TEXT): string {
  if (value.length > max) throw invalid(field, `must be at most ${max} characters`);
  return value.trim();
}

export function idsOf(values: string[], field: string, max = 100): string[] {
  if (values.length > max) throw invalid(field, `must have at most ${max} entries`);
  values.forEach((v, i) => idOf(v, `${field}[${i}]`));
  if (new Set(values).size !== values.length) throw invalid(field, 'must not repeat an id');
  return [...values];
}

/** Structural equality of two plain JSON values, whatever their key order (what "unchanged" means). */
export function sameValue(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/**
 * Canonical JSON text: keys sorted (jsonb gives them back in its own order) and undefined-valued keys
 * dropped (jsonb never stores them), so a value and its jsonb row read back compare equal.
 */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value ?? null);
}
