// The Kafka contracts: what the dating and study services send (validated here, one definition per event),
// and what this service publishes. The AsyncAPI document is generated from these same definitions.

import { Kind, Type, TypeRegistry } from '@sinclair/typebox';

const UuidText = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  description: 'A UUID in canonical form, any letter case.',
  examples: ['0b8e7a52-3c2d-4e8f-9d1a-5c6b7a8e9f00'],
});

/** Jackson's LocalDateTime (0–9 fraction digits); a value with Z or an offset is converted to the business zone. */
const WireDateTime = Type.String({
  maxLength: 64,
  description: 'ISO-8601 local date-time, e.g. 2025-05-01T19:30:00 or 2025-04-20T10:11:12.123456789',
  examples: ['2025-05-01T19:30:00'],
});

/** Characters as MySQL's utf8mb4 and JSON Schema count them: Unicode code points (an emoji is one, not two). */
function codePointLength(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length--;
        i++;
      }
    }
  }
  return length;
}

// TypeBox's own string check measures maxLength in UTF-16 units, which refused valid names of emoji. This kind
// is the same JSON Schema (type string, maxLength) checked the way the schema and the column mean it.
const CODE_POINT_STRING = 'CodePointString';
TypeRegistry.Set<{ maxLength: number }>(
  CODE_POINT_STRING,
  (schema, value) =>
    typeof value === 'string' && (value.length <= schema.maxLength || codePointLength(value) <= schema.maxLength),
);

/** The longest name the VARCHAR(255) utf8mb4 columns hold, in characters (code points). */
const NAME_MAX_CHARACTERS = 255;

// A longer name is refused here rather than failing (or being cut) in the store.
const Name = Type.Unsafe<string>({
  [Kind]: CODE_POINT_STRING,
  type: 'string',
  maxLength: NAME_MAX_CHARACTERS,
  description: `At most ${NAME_MAX_CHARACTERS} characters, counted as Unicode code points (as the utf8mb4 column counts them).`,
});

export const DatingParticipationReceivedSchema = Type.Object(
  {
    studyGroupId: UuidText,
    userId: UuidText,
    meetingId: UuidText,
    studyMeetingEventName: Name,
    when: WireDateTime,
    createdAt: WireDateTime,
  },
  {
    $id: 'DatingParticipationReceived',
    additionalProperties: true,
    description: 'Sent by the dating service when a user has taken part in a dating meeting. Unknown fields are ignored.',
  },
);

export const StudyParticipationReceivedSchema = Type.Object(
  {
    studyGroupId: UuidText,
    userId: UuidText,
    meetingId: UuidText,
    studyGroupName: Name,
    meetingName: Name,
    completedAt: WireDateTime,
  },
  {
    $id: 'StudyParticipationReceived',
    additionalProperties: true,
    description: 'Sent by the study service when a user has completed a study meeting. Unknown fields are ignored.',
  },
);

const LocalDateTimeOut = Type.String({
  description: 'ISO-8601 local date-time in the business time zone, no offset (Jackson LocalDateTime).',
  examples: ['2025-05-01T19:30:00'],
});

export const AttendanceRecordCreatedSchema = Type.Object(
  {
    id: Type.Integer(),
    userId: Type.String({ examples: ['user_1732500000000_123456789012'] }),
    attendanceTime: LocalDateTimeOut,
    createdAt: LocalDateTimeOut,
  },
  { $id: 'AttendanceRecordCreated', additionalProperties: false },
);

export const DatingParticipationRecordedSchema = Type.Object(
  {
    id: Type.Integer(),
    datingGroupId: Type.String({ format: 'uuid' }),
    userId: Type.String({ format: 'uuid' }),
    meetingId: Type.String({ format: 'uuid' }),
    eventName: Type.String(),
    scheduledAt: LocalDateTimeOut,
    meetingCreatedAt: LocalDateTimeOut,
    recordedAt: LocalDateTimeOut,
  },
  { $id: 'DatingParticipationRecorded', additionalProperties: false },
);

export const StudyParticipationRecordedSchema = Type.Object(
  {
    id: Type.Integer(),
    studyGroupId: Type.String({ format: 'uuid' }),
    userId: Type.String({ format: 'uuid' }),
    meetingId: Type.String({ format: 'uuid' }),
    studyGroupName: Type.String(),
    meetingName: Type.String(),
    completedAt: LocalDateTimeOut,
    recordedAt: LocalDateTimeOut,
  },
  { $id: 'StudyParticipationRecorded', additionalProperties: false },
);
