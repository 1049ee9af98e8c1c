import { parseRfc3339 } from './rfc3339';

describe('parseRfc3339', () => {
  it.each([
    ['2026-12-31T16:00:00Z', Date.UTC(2026, 11, 31, 16)],
    ['2026-12-31T16:00:00.123Z', Date.UTC(2026, 11, 31, 16, 0, 0, 123)],
    ['2027-01-01T00:00:00+08:00', Date.UTC(2026, 11, 31, 16)],
    ['2028-02-29T00:00:00-05:30', Date.UTC(2028, 1, 29, 5, 30)],
    ['2026-12-31t16:00:00z', Date.UTC(2026, 11, 31, 16)],
  ])('Given %s, Then the instant', (value, ms) => {
    expect(parseRfc3339(value)).toBe(ms);
  });

  it.each([
    '2026-02-31T00:00:00Z', // no 31 February (Date.parse rolls it over to March 3)
    '2026-02-29T00:00:00Z', // 2026 is not a leap year
    '2100-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-12-01T24:00:00Z',
    '2026-12-01T03:00:00', // no zone (Date.parse reads it in the server's zone)
    '2026-12-01T03:00Z', // no seconds
    '2026-12-01',
    '1',
    '12/04/2026',
    'Fri Dec 04 2026 21:00:00',
    '2026-12-01T03:00:00+24:00',
    '',
  ])('Given %j, Then not an RFC 3339 date-time', (value) => {
    expect(parseRfc3339(value)).toBeUndefined();
  });
});
