// Turns the raw bytes of a "participation completed" message into a domain event, or into the reason it
// cannot be one (which sends it to the dead-letter topic). Tolerant where Jackson varies (fraction digits,
// offsets, UUID case, extra fields), strict where the store needs it (types, lengths, real dates).

import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Participation } from '../../app/record-participations.ts';
import { parseWireDateTime } from '../../domain/local-date-time.ts';
import type { ParticipationKind } from '../../record-kinds/record-kind.ts';

type ParsedParticipation =
  | { ok: true; kind: ParticipationKind; event: Participation }
  | { ok: false; reason: PoisonReason; detail: string };

/** Stable codes for the `dlq-reason` header (the last one is the ingestion use case's STORE_REFUSED). */
export type PoisonReason =
  | 'empty-value'
  | 'not-json'
  | 'not-an-object'
  | 'schema-violation'
  | 'invalid-date-time'
  | 'processing-failed';

type Checker = ReturnType<typeof TypeCompiler.Compile<TSchema>>;

/** How a kind's messages are read: its schema compiled, and what to do with each field of its contract. */
interface Reading {
  check: Checker;
  fields: { name: string; as: 'text' | 'uuid' | 'date-time' }[];
}

// Made once per kind, on its first message.
const readings = new WeakMap<ParticipationKind, Reading>();

function readingOf(kind: ParticipationKind): Reading {
  let reading = readings.get(kind);
  if (reading === undefined) {
    const { schema, uuidFields, dateFields } = kind.consumed;
    reading = {
      check: TypeCompiler.Compile(schema as TSchema),
      fields: Object.keys(schema.properties).map((name) => ({
        name,
        as: uuidFields.includes(name) ? 'uuid' : dateFields.includes(name) ? 'date-time' : 'text',
      })),
    };
    readings.set(kind, reading);
  }
  return reading;
}

function schemaProblem(
  check: { Errors(value: unknown): Iterable<{ path: string; message: string; value: unknown; schema: TSchema }> },
  value: unknown,
): string {
  const problems: string[] = [];
  for (const error of check.Errors(value)) {
    // A name's check is a kind of its own (code points), whose generic message would say nothing useful.
    const message = !error.message.startsWith('Expected kind')
      ? error.message
      : typeof error.value === 'string'
        ? `Expected string length less or equal to ${String(error.schema.maxLength)} characters (Unicode code points)`
        : 'Expected string';
    problems.push(`${error.path === '' ? 'message' : error.path.slice(1)}: ${message}`);
    if (problems.length === 5) break;
  }
  return problems.join('; ');
}

function validated<T extends TSchema>(
  check: ReturnType<typeof TypeCompiler.Compile<T>>,
  value: Buffer | undefined,
): { ok: true; message: unknown } | { ok: false; reason: PoisonReason; detail: string } {
  if (value === undefined || value.length === 0) return { ok: false, reason: 'empty-value', detail: 'the message has no value' };
  let message: unknown;
  try {
    message = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: 'not-json', detail: `the value is not JSON: ${(error as Error).message}` };
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return { ok: false, reason: 'not-an-object', detail: 'the value is JSON but not an object' };
  }
  if (!check.Check(message)) return { ok: false, reason: 'schema-violation', detail: schemaProblem(check, message) };
  return { ok: true, message };
}

export function parseParticipation(kind: ParticipationKind, value: Buffer | undefined, zone: string): ParsedParticipation {
  const reading = readingOf(kind);
  const result = validated(reading.check, value);
  if (!result.ok) return result;
  // Schema-checked: the contract's fields are strings. Only they are kept (unknown fields are ignored, not carried
  // along); UUIDs are stored lower-case, so that one id in two letter cases is one participation; date-times are
  // converted to the business zone.
  const message = result.message as Record<string, string | undefined>;
  const event: Record<string, string> = {};
  for (const { name, as } of reading.fields) {
    const text = message[name];
    if (text === undefined) continue;
    if (as === 'text') event[name] = text;
    else if (as === 'uuid') event[name] = text.toLowerCase();
    else {
      const parsed = parseWireDateTime(text, zone);
      if (!parsed.ok) return { ok: false, reason: 'invalid-date-time', detail: `${name} "${text}" ${parsed.reason}` };
      event[name] = parsed.value;
    }
  }
  return { ok: true, kind, event: event as Participation };
}
