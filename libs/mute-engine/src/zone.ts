import type { Weekday } from './model';

/**
 * Time-zone arithmetic on epoch milliseconds, without allocating per call: the zone's UTC offset comes from Intl
 * (the platform's tz database) once per 15-minute bucket and is cached; local fields are plain arithmetic on
 * instant + offset. Every DST transition in the tz database falls on a quarter hour, so a bucket whose two ends
 * agree has one offset throughout; a bucket that contains a transition is computed exactly, never cached.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
const BUCKET_MS = 15 * MINUTE_MS;
const MAX_CACHED = 200_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsetCaches = new Map<string, Map<number, number>>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Throws a RangeError for a zone the platform does not know (mute-service validates zones on input). */
export function assertZone(zone: string): void {
  formatter(zone);
}

function exactOffset(zone: string, instant: number): number {
  const parts = formatter(zone).formatToParts(new Date(instant));
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const p of parts) {
    switch (p.type) {
      case 'year':
        year = Number(p.value);
        break;
      case 'month':
        month = Number(p.value);
        break;
      case 'day':
        day = Number(p.value);
        break;
      case 'hour':
        hour = Number(p.value);
        break;
      case 'minute':
        minute = Number(p.value);
        break;
      case 'second':
        second = Number(p.value);
        break;
      case 'era':
        bc = p.value === 'BC' || p.value === 'B';
        break;
    }
  }
  if (bc) year = 1 - year;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  const truncated = instant - (((instant % 1000) + 1000) % 1000);
  return d.getTime() - truncated;
}

// In front of each zone's bucket Map, a direct-mapped table (bucket number → offset) in typed arrays: a decision
// asks for a handful of offsets per schedule part, and a typed-array probe is several times cheaper than a Map get.
// A slot holds exactly what the Map holds for its bucket (NaN: a transition inside, computed exactly). Each slot's
// key and value sit side by side ([2s] key, [2s+1] value): a probe of a cold table reads one cache line, not two.
const SLOTS = 1 << 14;
const RESOLVED_SLOTS = 1 << 13;
type ZoneCache = {
  map: Map<number, number>;
  /** Per slot: [2s] the bucket number, [2s+1] its offset. */
  offsets: Float64Array;
  /** resolveLocal's answers by local wall-clock ms (a pure function of the zone and it), direct-mapped:
   * [2s] the local ms, [2s+1] the instant. */
  resolved: Float64Array;
};
const zoneCaches = new Map<string, ZoneCache>();
let lastCacheZone = '';
let lastCache: ZoneCache | null = null;

function zoneCache(zone: string): ZoneCache {
  if (zone === lastCacheZone && lastCache) return lastCache;
  let cache = zoneCaches.get(zone);
  if (!cache) {
    // One set of tables per zone, not per spelling ('asia/shanghai' is valid too): each costs ~384 KB.
    const canonical = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
    if (canonical !== zone) {
      cache = zoneCache(canonical);
      zoneCaches.set(zone, cache);
    }
  }
  if (!cache) {
    let map = offsetCaches.get(zone);
    if (!map) {
      map = new Map();
      offsetCaches.set(zone, map);
    }
    cache = {
      map,
      offsets: new Float64Array(SLOTS * 2).fill(Number.NaN),
      resolved: new Float64Array(RESOLVED_SLOTS * 2).fill(Number.NaN),
    };
    zoneCaches.set(zone, cache);
  }
  lastCacheZone = zone;
  lastCache = cache;
  return cache;
}

/** The zone's UTC offset in ms at `instant` (local = instant + offset). */
export function offsetAt(zone: string, instant: number): number {
  const cache = zoneCache(zone);
  const bucket = Math.floor(instant / BUCKET_MS);
  const slot = (bucket & (SLOTS - 1)) * 2;
  const offsets = cache.offsets;
  if (offsets[slot] === bucket) {
    const v = offsets[slot + 1] as number;
    return v === v ? v : exactOffset(zone, instant);
  }
  const value = bucketOffset(zone, cache.map, bucket);
  offsets[slot] = bucket;
  offsets[slot + 1] = value;
  return value === value ? value : exactOffset(zone, instant);
}

/** The offset throughout the bucket, or NaN when a transition falls inside it. */
function bucketOffset(zone: string, map: Map<number, number>, bucket: number): number {
  const cached = map.get(bucket);
  if (cached !== undefined) return cached;
  const start = bucket * BUCKET_MS;
  const first = exactOffset(zone, start);
  const last = exactOffset(zone, start + BUCKET_MS - 1000);
  if (map.size >= MAX_CACHED) map.clear();
  const value = first === last ? first : Number.NaN;
  map.set(bucket, value);
  return value;
}

/** The local calendar day (days since 1970-01-01) of an instant. */
export function localDay(zone: string, instant: number): number {
  return Math.floor((instant + offsetAt(zone, instant)) / DAY_MS);
}

type Fields = { day: number; minute: number; weekday: Weekday };
let lastZone = '';
let lastInstant = Number.NaN;
let lastFields: Fields = { day: 0, minute: 0, weekday: 4 };

/** Local day, minute of day and ISO weekday of an instant (the last answer is kept: a decision asks for the
 * same instant once per schedule part). The result must not be mutated. */
export function localFields(zone: string, instant: number): Fields {
  if (instant === lastInstant && zone === lastZone) return lastFields;
  const local = instant + offsetAt(zone, instant);
  const day = Math.floor(local / DAY_MS);
  lastFields = { day, minute: Math.floor((local - day * DAY_MS) / MINUTE_MS), weekday: weekdayOf(day) };
  lastZone = zone;
  lastInstant = instant;
  return lastFields;
}

/** ISO weekday of an epoch day (1970-01-01 was a Thursday). */
export function weekdayOf(epochDay: number): Weekday {
  return (((((epochDay + 3) % 7) + 7) % 7) + 1) as Weekday;
}

/**
 * The instant of a local wall-clock time, disambiguated as Temporal's 'compatible' (RFC 5545): in a DST gap the
 * time moves forward by the gap's length (02:30 on a spring-forward day in New York is 03:30 EDT); in a fold it is
 * the earlier of the two instants. `minute` may be 1440 (the next day's midnight).
 */
export function resolveLocal(zone: string, epochDay: number, minute: number): number {
  const local = epochDay * DAY_MS + minute * MINUTE_MS;
  // Schedules resolve the same few wall-clock times of the same days again and again (19:00 today, 09:00
  // tomorrow): the answer is kept per zone by local time, direct-mapped on (day, minute).
  const cache = zoneCache(zone);
  const slot = ((epochDay * 97 + (minute >> 4)) & (RESOLVED_SLOTS - 1)) * 2;
  const resolved = cache.resolved;
  if (resolved[slot] === local) return resolved[slot + 1] as number;
  const value = resolveExactly(zone, local);
  resolved[slot] = local;
  resolved[slot + 1] = value;
  return value;
}

function resolveExactly(zone: string, local: number): number {
  const before = offsetAt(zone, local - DAY_MS);
  const after = offsetAt(zone, local + DAY_MS);
  const a = local - before;
  const aValid = offsetAt(zone, a) === before;
  if (before === after) {
    if (aValid) return a;
  } else {
    const b = local - after;
    const bValid = offsetAt(zone, b) === after;
    if (aValid && bValid) return Math.min(a, b);
    if (aValid) return a;
    if (bValid) return b;
  }
  // A gap: the wall time with the offset in force before the transition, i.e. moved forward by the gap.
  return a;
}

/** "HH:MM" → minutes of day (0–1440). */
export function parseLocalTime(value: string): number {
  const match = /^([0-9]{2}):([0-9]{2})$/.exec(value);
  if (!match) throw new RangeError(`not a local time HH:MM: ${value}`);
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  if (Number(match[2]) > 59 || minutes > 1440) throw new RangeError(`not a local time HH:MM: ${value}`);
  return minutes;
}

/** "YYYY-MM-DD" → epoch day. */
export function parseLocalDate(value: string): number {
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(value))
    throw new RangeError(`not a local date YYYY-MM-DD: ${value}`);
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new RangeError(`not a local date YYYY-MM-DD: ${value}`);
  return Math.floor(ms / DAY_MS);
}

/** The (proleptic Gregorian) year of an epoch day, without allocating a Date. */
export function yearOfDay(epochDay: number): number {
  let year = 1970 + Math.floor(epochDay / 365.2425);
  if (Date.UTC(year, 0, 1) > epochDay * DAY_MS) year -= 1;
  else if (Date.UTC(year + 1, 0, 1) <= epochDay * DAY_MS) year += 1;
  return year;
}
