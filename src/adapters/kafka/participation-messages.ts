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

// Each kind's schema is compiled once, on its first message.
const checkers = new WeakMap<ParticipationKind, Checker>();

function checkerOf(kind: ParticipationKind): Checker {
  let checker = checkers.get(kind);
  if (checker === undefined) {
    checker = TypeCompiler.Compile(kind.consumed.schema as TSchema);
    checkers.set(kind, checker);
  }
  return checker;
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
  const result = validated(checkerOf(kind), value);
  if (!result.ok) return result;
  // Schema-checked: the named fields are strings. UUIDs are stored lower-case, so that one id in two letter cases
  // is one participation; date-times are converted to the business zone.
  const event = { ...(result.message as Record<string, string>) };
  for (const field of kind.consumed.uuidFields) event[field] = (event[field] as string).toLowerCase();
  for (const field of kind.consumed.dateFields) {
    const parsed = parseWireDateTime(event[field] as string, zone);
    if (!parsed.ok) return { ok: false, reason: 'invalid-date-time', detail: `${field} "${event[field]}" ${parsed.reason}` };
    event[field] = parsed.value;
  }
  return { ok: true, kind, event: pick(event, kind.consumed.schema.properties) as Participation };
}

/** Only the contract's fields: unknown ones are ignored, not carried along. */
function pick(message: Record<string, string>, properties: object): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const field of Object.keys(properties)) if (field in message) picked[field] = message[field] as string;
  return picked;
}
