// One line of figures per scenario: what went in, what was stored, what came out, and what was
// broken on purpose. Printed when the scenario ends and collected into one table at the end of the suite.

import { appendFileSync } from 'node:fs';
import { inject } from 'vitest';

export interface Figures {
  scenario: string;
  /** Distinct records asked for: unique participations plus attendance users. */
  inputs: number;
  /** Deliberate redeliveries of participations already sent (upstream at-least-once). */
  duplicatesSent: number;
  /** Rows stored in the three record tables. */
  rows: number;
  /** Rows beyond the first per (meeting, user) or (user, date): must be 0. */
  duplicateRows: number;
  /** Distinct event ids read back from the output topics. */
  eventsOut: number;
  /** Inputs with no row: must be 0. */
  missingRows: number;
  /** Rows whose event never reached Kafka: must be 0. */
  missingEvents: number;
  /** Event messages beyond the first per event id (at-least-once re-sends; harmless). */
  resent: number;
  /** What was broken: kills, outages, restarts. */
  faults: string;
  /** Scenario-specific counts (503s, lost responses, dead letters, seconds). */
  notes: string;
}

const COLUMNS: [keyof Figures, string][] = [
  ['scenario', 'scenario'],
  ['inputs', 'inputs'],
  ['duplicatesSent', 'dup sent'],
  ['rows', 'rows'],
  ['duplicateRows', 'dup rows'],
  ['eventsOut', 'events out'],
  ['missingRows', 'missing rows'],
  ['missingEvents', 'missing events'],
  ['resent', 're-sent'],
  ['faults', 'faults'],
  ['notes', 'notes'],
];

export function figuresLine(f: Figures): string {
  return COLUMNS.map(([key, label]) => `${label}=${f[key]}`).join(' | ');
}

/** Prints the line now and keeps it for the table that the global teardown prints. */
export function reportFigures(f: Figures): void {
  process.stdout.write(`[reliability] ${figuresLine(f)}\n`);
  appendFileSync(inject('figuresFile'), `${JSON.stringify(f)}\n`);
}

export function figuresTable(rows: Figures[]): string {
  const header = COLUMNS.map(([, label]) => label);
  const body = rows.map((f) => COLUMNS.map(([key]) => String(f[key])));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
