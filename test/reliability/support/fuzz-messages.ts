// fast-check arbitraries for what may arrive on the participation topics besides a valid event: random
// bytes, tombstones, random JSON, JSON that is not an object, and valid events broken in exactly one field
// (missing, mistyped, a malformed UUID or date-time, a name too long for its column). None may be stored;
// every one belongs on the dead-letter topic.

import fc from 'fast-check';
import { type Kind, participationCompleted } from '../../../testkit/participation-messages.ts';

export interface PoisonMessage {
  kind: Kind;
  key: Buffer | undefined;
  /** undefined: a tombstone (null value). */
  value: Buffer | undefined;
  headers: [Buffer, Buffer][];
  why: string;
}

const FIELDS: Record<Kind, { uuids: string[]; names: string[]; times: string[] }> = {
  dating: { uuids: ['studyGroupId', 'userId', 'meetingId'], names: ['studyMeetingEventName'], times: ['when', 'createdAt'] },
  study: { uuids: ['studyGroupId', 'userId', 'meetingId'], names: ['studyGroupName', 'meetingName'], times: ['completedAt'] },
};

const kind = fc.constantFrom<Kind>('dating', 'study');

/** A valid event with exactly one field made invalid. */
const brokenEvent = kind.chain((k) => {
  const { uuids, names, times } = FIELDS[k];
  const all = [...uuids, ...names, ...times];
  const nonString = fc.oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 2 }),
    fc.object({ maxDepth: 1 }),
  );
  const mutation = fc.oneof(
    fc.constantFrom(...all).map((field) => ({ field, value: undefined as unknown, why: `${field} missing` })),
    fc.tuple(fc.constantFrom(...all), nonString).map(([field, value]) => ({ field, value, why: `${field} not a string` })),
    fc
      .tuple(fc.constantFrom(...uuids), fc.string({ maxLength: 40 }))
      .map(([field, text]) => ({ field, value: `x${text}`, why: `${field} not a UUID` })),
    fc
      .tuple(
        fc.constantFrom(...times),
        fc.constantFrom(
          '2025-02-30T10:00:00',
          '2025-13-01T00:00:00',
          '0999-12-31T23:59:59',
          '2025-05-01',
          'yesterday',
          '',
          '2025-05-01T24:00:00',
        ),
      )
      .map(([field, value]) => ({ field, value, why: `${field} not a date-time` })),
    fc
      .tuple(fc.constantFrom(...names), fc.integer({ min: 256, max: 2000 }))
      .map(([field, length]) => ({ field, value: '가'.repeat(length), why: `${field} longer than 255` })),
  );
  return mutation.map(({ field, value, why }) => {
    const event = participationCompleted(k);
    if (value === undefined) delete event[field];
    else event[field] = value;
    return { kind: k, value: Buffer.from(JSON.stringify(event)), why };
  });
});

const value: fc.Arbitrary<{ kind: Kind; value: Buffer | undefined; why: string }> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(kind, fc.uint8Array({ minLength: 1, maxLength: 2000 }))
      .map(([k, b]) => ({ kind: k, value: Buffer.from(b), why: 'random bytes' })),
  },
  { weight: 1, arbitrary: kind.map((k) => ({ kind: k, value: undefined, why: 'tombstone' })) },
  { weight: 1, arbitrary: kind.map((k) => ({ kind: k, value: Buffer.alloc(0), why: 'empty value' })) },
  {
    weight: 3,
    arbitrary: fc.tuple(kind, fc.json()).map(([k, text]) => ({ kind: k, value: Buffer.from(text), why: 'random JSON' })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(kind, fc.object({ maxDepth: 2 }))
      .map(([k, o]) => ({ kind: k, value: Buffer.from(JSON.stringify(o)), why: 'random JSON object' })),
  },
  { weight: 4, arbitrary: brokenEvent },
);

export const poisonMessage: fc.Arbitrary<PoisonMessage> = fc
  .record({
    value,
    key: fc.option(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b))),
    headers: fc.array(
      fc.tuple(
        fc.uint8Array({ minLength: 1, maxLength: 20 }).map((b) => Buffer.from(b)),
        fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b)),
      ),
      { maxLength: 3 },
    ),
  })
  .map(({ value: v, key, headers }) => ({ ...v, key: key ?? undefined, headers }));
