// POST /api/attendance: identity → request → use case → answer. The same-day rule is not here (domain and
// unique key own it); this file only translates.

import type {} from '@fastify/swagger';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type AttendanceStore, recordAttendance } from '../../app/record-attendance.ts';
import {
  AlreadyAttendedProblem,
  AttendanceRecordResponse,
  ProblemResponse,
  RecordAttendanceBody,
} from '../../contracts/attendance-api.ts';
import { ATTENDANCE_FUTURE_TOLERANCE_MS } from '../../domain/attendance.ts';
import { type LocalDateTime, parseWireDateTime } from '../../domain/local-date-time.ts';
import { OWNER_ID_RULE } from '../../domain/owner-id.ts';
import type { IdentityResolver } from './identity.ts';
import { sendProblem } from './problems.ts';

/** An error answer as documented: application/problem+json, which is also the schema that serialises it. */
function problem(description: string, schema: object = ProblemResponse) {
  return { description, content: { 'application/problem+json': { schema } } };
}

/** The clock-skew tolerance in words, e.g. "5 minutes". */
const TOLERANCE = `${ATTENDANCE_FUTURE_TOLERANCE_MS / 60_000} minutes`;

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export function attendanceRoutes(deps: {
  store: AttendanceStore;
  identity: IdentityResolver;
  zone: string;
  now: () => number;
}): FastifyPluginAsyncTypebox {
  return async function register(app) {
    app.post(
      '/api/attendance',
      {
        schema: {
          summary: 'Record that the calling user attended today (or at the given time)',
          description:
            'At most one attendance per user and calendar date of the business time zone. A record is never ' +
            'changed. Publishes AttendanceRecordCreated to Kafka through the transactional outbox.',
          tags: ['attendance'],
          headers: {
            type: 'object',
            properties: {
              'x-owner-id': {
                type: 'string',
                description:
                  "The caller's user id, set by the API gateway after it verified the user's JWT (AUTH_MODE=gateway): " +
                  `${OWNER_ID_RULE}. With AUTH_MODE=jwt it is optional and must name the user of the bearer token.`,
              },
              authorization: {
                type: 'string',
                description: "Bearer <JWT>: required with AUTH_MODE=jwt, where the service verifies the user's token itself.",
              },
            },
          },
          body: RecordAttendanceBody,
          security: [{ ownerHeader: [] }, { bearerToken: [] }],
          response: {
            201: { description: 'Recorded', content: { 'application/json': { schema: AttendanceRecordResponse } } },
            400: problem(`Invalid body, attendance time more than ${TOLERANCE} ahead, or not a date-time`),
            401: problem('The caller is not identified (comes with WWW-Authenticate); the detail names the rule broken'),
            403: problem('The identities of the request disagree (AUTH_MODE=jwt)'),
            409: problem('Already attended on that business date; `existing` is the record', AlreadyAttendedProblem),
            413: problem('The body is larger than HTTP_BODY_LIMIT_BYTES'),
            415: problem('The body is not JSON'),
            503: problem('A dependency is unavailable or too contended (deadlocks); retry after Retry-After seconds'),
          },
        },
      },
      async (request, reply) => {
        const identity = await deps.identity(request);
        if (!identity.ok) {
          if (identity.kind === 'unauthenticated') reply.header('www-authenticate', identity.challenge);
          return sendProblem(reply, identity.kind, identity.detail);
        }
        const rawTime = request.body?.attendanceTime ?? undefined;
        let requestedTime: LocalDateTime | undefined;
        if (rawTime !== undefined) {
          const parsed = parseWireDateTime(rawTime, deps.zone);
          if (!parsed.ok) return sendProblem(reply, 'invalidAttendanceTime', `attendanceTime "${rawTime}" ${parsed.reason}.`);
          requestedTime = parsed.value;
        }
        const traceparent = request.headers.traceparent;
        const result = await recordAttendance(
          { store: deps.store, zone: deps.zone, now: deps.now },
          {
            userId: identity.ownerId,
            requestedTime,
            traceparent: typeof traceparent === 'string' && TRACEPARENT.test(traceparent) ? traceparent : undefined,
          },
        );
        switch (result.kind) {
          case 'created':
            // On the request's one log line: every accepted write names who wrote what.
            request.logFields = { userId: result.record.userId, attendanceId: result.record.id };
            return reply.code(201).header('location', `/api/attendance/${result.record.id}`).send(result.record);
          case 'already-attended':
            return sendProblem(
              reply,
              'alreadyAttended',
              `User already attended on ${result.existing.attendanceTime.slice(0, 10)} (attendance ${result.existing.id}).`,
              { existing: { id: result.existing.id, attendanceTime: result.existing.attendanceTime } },
            );
          case 'in-future':
            return sendProblem(
              reply,
              'attendanceInFuture',
              `attendanceTime is more than ${TOLERANCE} ahead of the server clock (latest allowed now: ${result.latestAllowed}).`,
            );
        }
      },
    );
  };
}
