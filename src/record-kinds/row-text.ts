// Business date-times travel between a record and its row as text (mysql2 `dateStrings`), so that no driver
// ever shifts a local time by the process's or the server's zone. Only the separator differs.

import type { LocalDateTime } from '../domain/local-date-time.ts';

/** `YYYY-MM-DD HH:MM:SS[.ffffff]` from the store to canonical ISO text (see domain/local-date-time.ts). */
export function fromSqlDateTime<T extends string = LocalDateTime>(value: unknown): T {
  const [date, time = '00:00:00'] = String(value).split(' ');
  const [clock, fraction = ''] = time.split('.');
  const micros = fraction.replace(/0+$/, '');
  return (micros === '' ? `${date}T${clock}` : `${date}T${clock}.${micros}`) as T;
}

export function toSqlDateTime(value: string): string {
  return value.replace('T', ' ');
}
