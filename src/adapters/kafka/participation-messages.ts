// Turns the raw bytes of a "participation completed" message into a domain event, or into the reason it
// cannot be one (which sends it to the dead-letter topic). Tolerant where Jackson varies (fraction digits,
// offsets, UUID case, extra fields), strict where the store needs it (types, lengths, real dates).

import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { DatingParticipationReceivedSchema, StudyParticipationReceivedSchema } from '../../contracts/participation-events.ts';
import { type LocalDateTime, parseWireDateTime } from '../../domain/local-date-time.ts';
import type { DatingParticipationReceived, StudyParticipationReceived, Uuid } from '../../domain/participation.ts';

export type ParticipationKind = 'dating' | 'study';

export type ParsedParticipation =
  | { ok: true; kind: 'dating'; event: DatingParticipationReceived }
  | { ok: true; kind: 'study'; event: StudyParticipationReceived }
  | { ok: false; reason: PoisonReason; detail: string };

/** Stable codes for the `dlq-reason` header (the last one is the ingestion use case's STORE_REFUSED). */
export type PoisonReason =
  | 'empty-value'
  | 'not-json'
  | 'not-an-object'
  | 'schema-violation'
  | 'invalid-date-time'
  | 'processing-failed';

const checkDating = TypeCompiler.Compile(DatingParticipationReceivedSchema);
const checkStudy = TypeCompiler.Compile(StudyParticipationReceivedSchema);

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

function dates<const K extends string>(
  message: Record<K, string>,
  fields: readonly K[],
  zone: string,
): { ok: true; values: Record<K, LocalDateTime> } | { ok: false; detail: string } {
  const values = {} as Record<K, LocalDateTime>;
  for (const field of fields) {
    const parsed = parseWireDateTime(message[field], zone);
    if (!parsed.ok) return { ok: false, detail: `${field} "${message[field]}" ${parsed.reason}` };
    values[field] = parsed.value;
  }
  return { ok: true, values };
}

const uuid = (text: string) => text.toLowerCase() as Uuid;

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
  if (kind === 'dating') {
    const result = validated(checkDating, value);
    if (!result.ok) return result;
    const message = result.message as { [K in keyof DatingParticipationReceived]: string };
    const times = dates(message, ['when', 'createdAt'] as const, zone);
    if (!times.ok) return { ok: false, reason: 'invalid-date-time', detail: times.detail };
    return {
      ok: true,
      kind,
      event: {
        studyGroupId: uuid(message.studyGroupId),
        userId: uuid(message.userId),
        meetingId: uuid(message.meetingId),
        studyMeetingEventName: message.studyMeetingEventName,
        ...times.values,
      },
    };
  }
  const result = validated(checkStudy, value);
  if (!result.ok) return result;
  const message = result.message as { [K in keyof StudyParticipationReceived]: string };
  const times = dates(message, ['completedAt'] as const, zone);
  if (!times.ok) return { ok: false, reason: 'invalid-date-time', detail: times.detail };
  return {
    ok: true,
    kind,
    event: {
      studyGroupId: uuid(message.studyGroupId),
      userId: uuid(message.userId),
      meetingId: uuid(message.meetingId),
      studyGroupName: message.studyGroupName,
      meetingName: message.meetingName,
      ...times.values,
    },
  };
}
