// Local date-times as the Java services put them on the wire (LocalDateTime: no offset), always meant in the
// business time zone. Kept as canonical ISO text so that what we store, answer and publish is the same string.

/** `2025-01-03T10:00:00` or `2025-01-03T10:00:00.5` — no offset, 0–6 fraction digits, no trailing zeros. */
export type LocalDateTime = string & { readonly __brand: 'LocalDateTime' };
/** The calendar date (`YYYY-MM-DD`) of a LocalDateTime in the business time zone. */
export type BusinessDate = string & { readonly __brand: 'BusinessDate' };

type DateTimeParse = { ok: true; value: LocalDateTime } | { ok: false; reason: string };

// Jackson writes seconds even when zero, but accepts HH:mm too; both are accepted here.
const WIRE_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

// DATETIME's range on MySQL and MariaDB; anything outside would fail in the store instead of at the edge.
const MIN_YEAR = 1000;
const MAX_YEAR = 9999;

const pad2 = (n: number) => String(n).padStart(2, '0');

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function canonical(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  fraction: string,
): LocalDateTime {
  // More than 6 digits are cut, not rounded: MySQL would round and MariaDB truncate, so we decide here.
  const micros = fraction.slice(0, 6).replace(/0+$/, '');
  const base = `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}`;
  return (micros === '' ? base : `${base}.${micros}`) as LocalDateTime;
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(zone: string): Intl.DateTimeFormat {
  let formatter = partsFormatters.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormatters.set(zone, formatter);
  }
  return formatter;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

// formatToParts costs microseconds and runs on every request and for every published event (its occurred-at
// header), where it was the largest single cost in the benchmark's CPU profiles (docs/benchmarks.md). A wall
// clock depends only on the zone and the whole second, so the last few seconds' answers are kept.
const wallClocks = new Map<string, Readonly<WallClock>>();
const WALL_CLOCKS_KEPT = 64;

function wallClockAt(epochMs: number, zone: string): Readonly<WallClock> {
  const key = `${zone} ${Math.floor(epochMs / 1000)}`;
  const known = wallClocks.get(key);
  if (known !== undefined) return known;
  const fields: Record<string, number> = {};
  for (const part of partsFormatter(zone).formatToParts(epochMs)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const wall = {
    year: fields.year ?? 0,
    month: fields.month ?? 0,
    day: fields.day ?? 0,
    hour: fields.hour ?? 0,
    minute: fields.minute ?? 0,
    second: fields.second ?? 0,
  };
  if (wallClocks.size >= WALL_CLOCKS_KEPT) wallClocks.clear();
  wallClocks.set(key, wall);
  return wall;
}

/** The local date-time in `zone` of an instant given in epoch milliseconds. */
export function localDateTimeAt(epochMs: number, zone: string): LocalDateTime {
  const wall = wallClockAt(epochMs, zone);
  const millis = String(((epochMs % 1000) + 1000) % 1000).padStart(3, '0');
  return canonical(wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second, millis);
}

/**
 * Reads a date-time in any form Jackson or a client may send and answers it as a local date-time of the
 * business zone: a local value is taken as it is, a value with `Z` or an offset is converted.
 */
export function parseWireDateTime(text: string, zone: string): DateTimeParse {
  const match = WIRE_DATE_TIME.exec(text);
  if (match === null) {
    return { ok: false, reason: 'is not an ISO-8601 date-time such as 2025-01-03T10:00:00' };
  }
  const [, y, mo, d, h, mi, s, f, offset] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  const fraction = f ?? '';
  // Checked first: Date.UTC reads years below 100 as 19xx.
  if (year < MIN_YEAR || year > MAX_YEAR) return { ok: false, reason: `must be between the years ${MIN_YEAR} and ${MAX_YEAR}` };
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return { ok: false, reason: 'is not a calendar date' };
  }
  if (hour > 23 || minute > 59 || second > 59) return { ok: false, reason: 'is not a time of day' };
  if (offset === undefined) {
    return { ok: true, value: canonical(year, month, day, hour, minute, second, fraction) };
  }
  let offsetMinutes = 0;
  if (offset !== 'Z' && offset !== 'z') {
    const sign = offset.startsWith('-') ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMins = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (offsetHours > 18 || offsetMins > 59) return { ok: false, reason: 'has an offset outside ±18:00' };
    offsetMinutes = sign * (offsetHours * 60 + offsetMins);
  }
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second) - offsetMinutes * 60_000;
  const wall = wallClockAt(epochMs, zone);
  if (wall.year < MIN_YEAR || wall.year > MAX_YEAR) {
    return { ok: false, reason: `must be between the years ${MIN_YEAR} and ${MAX_YEAR}` };
  }
  return { ok: true, value: canonical(wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second, fraction) };
}

export function businessDateOf(time: LocalDateTime): BusinessDate {
  return time.slice(0, 10) as BusinessDate;
}

/** Orders two local date-times; canonical text compares correctly once the fractions have the same width. */
export function compareLocalDateTimes(a: LocalDateTime, b: LocalDateTime): number {
  const wide = (t: LocalDateTime) => (t.length === 19 ? `${t}.000000` : t.padEnd(26, '0'));
  const left = wide(a);
  const right = wide(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * The instant a local date-time of `zone` stands for, as ISO text with `Z`. For the `occurred-at` header.
 * In a DST fold the earlier instant is taken; Asia/Seoul has had no DST since 1988.
 */
export function instantOf(time: LocalDateTime, zone: string): string {
  // A relay batch of participations shares one recordedAt: the last answer is usually the next one too.
  if (lastInstant.time === time && lastInstant.zone === zone) return lastInstant.instant;
  const instant = computeInstantOf(time, zone);
  lastInstant = { time, zone, instant };
  return instant;
}

let lastInstant = { time: '', zone: '', instant: '' };

function computeInstantOf(time: LocalDateTime, zone: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(time);
  if (match === null) throw new Error(`not a canonical local date-time: ${time}`);
  const [, y, mo, d, h, mi, s, f] = match;
  const asUtc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const offsetAt = (epochMs: number) => {
    const wall = wallClockAt(epochMs, zone);
    return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second) - epochMs;
  };
  let epochMs = asUtc - offsetAt(asUtc);
  epochMs = asUtc - offsetAt(epochMs);
  const iso = new Date(epochMs).toISOString().slice(0, 19);
  const fraction = (f ?? '').padEnd(6, '0');
  return `${iso}.${fraction}Z`;
}
