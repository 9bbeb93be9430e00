import { describe, expect, it } from 'vitest';
import {
  businessDateOf,
  compareLocalDateTimes,
  instantOf,
  type LocalDateTime,
  localDateTimeAt,
  parseWireDateTime,
} from '../../src/domain/local-date-time.ts';

const SEOUL = 'Asia/Seoul';
const parsed = (text: string, zone = SEOUL) => {
  const result = parseWireDateTime(text, zone);
  if (!result.ok) throw new Error(`expected ${text} to parse: ${result.reason}`);
  return result.value;
};

describe('parseWireDateTime', () => {
  it('keeps a local date-time as it is', () => {
    expect(parsed('2025-01-03T10:00:00')).toBe('2025-01-03T10:00:00');
  });

  it('accepts Jackson forms: no seconds, and 1 to 9 fraction digits, keeping at most 6 (cut, not rounded)', () => {
    expect(parsed('2025-01-03T10:00')).toBe('2025-01-03T10:00:00');
    expect(parsed('2025-04-20T10:11:12.5')).toBe('2025-04-20T10:11:12.5');
    expect(parsed('2025-04-20T10:11:12.123456789')).toBe('2025-04-20T10:11:12.123456');
    expect(parsed('2025-04-20T10:11:12.9999999')).toBe('2025-04-20T10:11:12.999999');
    expect(parsed('2025-04-20T10:11:12.000')).toBe('2025-04-20T10:11:12');
  });

  it('converts Z and offsets into the business time zone', () => {
    expect(parsed('2025-01-03T14:30:00Z')).toBe('2025-01-03T23:30:00');
    expect(parsed('2025-01-03T15:30:00Z')).toBe('2025-01-04T00:30:00');
    expect(parsed('2025-01-03T10:00:00+09:00')).toBe('2025-01-03T10:00:00');
    expect(parsed('2025-01-03T10:00:00.25-05:00')).toBe('2025-01-04T00:00:00.25');
    expect(parsed('2025-01-03T10:00:00+0900')).toBe('2025-01-03T10:00:00');
  });

  it('converts into whichever zone is configured', () => {
    expect(parsed('2025-07-01T12:00:00Z', 'America/New_York')).toBe('2025-07-01T08:00:00');
  });

  it.each([
    ['2025-02-30T10:00:00', 'is not a calendar date'],
    ['2025-13-01T10:00:00', 'is not a calendar date'],
    ['2025-01-01T24:00:00', 'is not a time of day'],
    ['2025-01-01T10:60:00', 'is not a time of day'],
    ['2025-01-01 10:00:00', 'is not an ISO-8601'],
    ['yesterday', 'is not an ISO-8601'],
    ['', 'is not an ISO-8601'],
    ['0099-01-01T10:00:00', 'between the years'],
    ['2025-01-01T10:00:00+19:00', 'outside ±18:00'],
  ])('refuses %j', (text, reason) => {
    const result = parseWireDateTime(text, SEOUL);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('knows leap days', () => {
    expect(parsed('2024-02-29T00:00:00')).toBe('2024-02-29T00:00:00');
    expect(parseWireDateTime('2025-02-29T00:00:00', SEOUL).ok).toBe(false);
  });
});

describe('business dates and instants', () => {
  it('takes the calendar date of the local date-time', () => {
    expect(businessDateOf('2025-01-03T23:59:59.999999' as LocalDateTime)).toBe('2025-01-03');
  });

  it('gives the local time of an instant in the zone', () => {
    expect(localDateTimeAt(Date.UTC(2025, 0, 3, 15, 0, 0, 120), SEOUL)).toBe('2025-01-04T00:00:00.12');
  });

  it('gives each millisecond its own second and zone, whatever was asked just before (wall clocks are cached)', () => {
    const lastOfSecond = Date.UTC(2025, 0, 3, 14, 59, 59, 999);
    expect(localDateTimeAt(lastOfSecond, SEOUL)).toBe('2025-01-03T23:59:59.999');
    expect(localDateTimeAt(lastOfSecond + 1, SEOUL)).toBe('2025-01-04T00:00:00');
    expect(localDateTimeAt(lastOfSecond, 'America/New_York')).toBe('2025-01-03T09:59:59.999');
    expect(localDateTimeAt(lastOfSecond - 1000, SEOUL)).toBe('2025-01-03T23:59:58.999');
    expect(localDateTimeAt(-1, 'UTC')).toBe('1969-12-31T23:59:59.999');
    // Far more seconds than are kept, then the first ones again.
    for (let s = 0; s < 200; s++) localDateTimeAt(lastOfSecond + s * 1000, SEOUL);
    expect(localDateTimeAt(lastOfSecond + 1, SEOUL)).toBe('2025-01-04T00:00:00');
  });

  it('turns a local date-time back into its instant, keeping microseconds', () => {
    expect(instantOf('2025-01-04T00:00:00.123456' as LocalDateTime, SEOUL)).toBe('2025-01-03T15:00:00.123456Z');
    expect(instantOf('2025-07-01T08:00:00' as LocalDateTime, 'America/New_York')).toBe('2025-07-01T12:00:00.000000Z');
  });

  it('answers a repeated local date-time as before, and never with the answer for another zone', () => {
    const midnight = '2025-01-04T00:00:00' as LocalDateTime;
    expect(instantOf(midnight, SEOUL)).toBe('2025-01-03T15:00:00.000000Z');
    expect(instantOf(midnight, SEOUL)).toBe('2025-01-03T15:00:00.000000Z');
    expect(instantOf(midnight, 'America/New_York')).toBe('2025-01-04T05:00:00.000000Z');
    expect(instantOf('2025-01-04T00:00:01' as LocalDateTime, 'America/New_York')).toBe('2025-01-04T05:00:01.000000Z');
  });

  it('orders local date-times with different fraction widths', () => {
    const a = '2025-01-03T10:00:00' as LocalDateTime;
    const b = '2025-01-03T10:00:00.000001' as LocalDateTime;
    expect(compareLocalDateTimes(a, b)).toBe(-1);
    expect(compareLocalDateTimes(b, a)).toBe(1);
    expect(compareLocalDateTimes(a, a)).toBe(0);
    expect(compareLocalDateTimes('2025-01-03T10:00:00.5' as LocalDateTime, '2025-01-03T10:00:00.45' as LocalDateTime)).toBe(1);
  });
});
