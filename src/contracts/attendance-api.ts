// The HTTP contract of POST /api/attendance: one definition from which Fastify validates, serialises and
// documents (OpenAPI).

import { type Static, Type } from '@sinclair/typebox';

const LocalDateTimeText = Type.String({
  maxLength: 64,
  description:
    'ISO-8601 local date-time in the business time zone (Asia/Seoul by default), e.g. 2025-01-03T10:00:00; ' +
    'up to 6 fraction digits are kept. A value with Z or an offset is converted to the business time zone.',
  examples: ['2025-01-03T10:00:00'],
});

export const RecordAttendanceBody = Type.Union(
  [
    Type.Object(
      {
        attendanceTime: Type.Optional(
          Type.Union([LocalDateTimeText, Type.Null()], { description: 'When the user attended; missing or null means now.' }),
        ),
      },
      { additionalProperties: true, description: 'Unknown fields are ignored.' },
    ),
    Type.Null(),
  ],
  { description: 'Optional: an empty or absent body records an attendance at the current time.' },
);
export type RecordAttendanceBody = Static<typeof RecordAttendanceBody>;

export const AttendanceRecordResponse = Type.Object(
  {
    id: Type.Integer({ examples: [42] }),
    userId: Type.String({ examples: ['user_1732500000000_123456789012'] }),
    attendanceTime: Type.String({ examples: ['2025-01-03T10:00:00'] }),
    createdAt: Type.String({ examples: ['2025-01-03T10:00:00.123'] }),
  },
  { additionalProperties: false },
);

export const ProblemResponse = Type.Object(
  {
    type: Type.String({ description: 'A stable URN naming the kind of problem.' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    requestId: Type.String(),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details (application/problem+json).' },
);

export const AlreadyAttendedProblem = Type.Intersect([
  ProblemResponse,
  Type.Object({
    existing: Type.Object(
      { id: Type.Integer(), attendanceTime: Type.String() },
      { description: 'The attendance already recorded for that date.' },
    ),
  }),
]);
