// Every refusal this service gives, in one place: RFC 9457 problem details with a stable type per kind.

import type { FastifyReply, FastifyRequest } from 'fastify';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const problemTypes = {
  invalidRequest: { type: 'urn:grewmeet:problem:invalid-request', title: 'The request is not valid', status: 400 },
  malformedJson: { type: 'urn:grewmeet:problem:malformed-json', title: 'The body is not valid JSON', status: 400 },
  invalidAttendanceTime: {
    type: 'urn:grewmeet:problem:invalid-attendance-time',
    title: 'The attendance time is not valid',
    status: 400,
  },
  attendanceInFuture: {
    type: 'urn:grewmeet:problem:attendance-in-future',
    title: 'The attendance time is in the future',
    status: 400,
  },
  unauthenticated: { type: 'urn:grewmeet:problem:unauthenticated', title: 'The caller is not identified', status: 401 },
  identityMismatch: {
    type: 'urn:grewmeet:problem:identity-mismatch',
    title: 'The identities of the request disagree',
    status: 403,
  },
  notFound: { type: 'urn:grewmeet:problem:not-found', title: 'No such resource', status: 404 },
  methodNotAllowed: { type: 'urn:grewmeet:problem:method-not-allowed', title: 'Method not allowed', status: 405 },
  alreadyAttended: { type: 'urn:grewmeet:problem:already-attended', title: 'Already attended on that date', status: 409 },
  bodyTooLarge: { type: 'urn:grewmeet:problem:body-too-large', title: 'The body is too large', status: 413 },
  uriTooLong: { type: 'urn:grewmeet:problem:uri-too-long', title: 'The URL is too long', status: 414 },
  unsupportedMediaType: { type: 'urn:grewmeet:problem:unsupported-media-type', title: 'The body must be JSON', status: 415 },
  expectationFailed: {
    type: 'urn:grewmeet:problem:expectation-failed',
    title: 'The Expect header asks for something this service does not do',
    status: 417,
  },
  requestTimeout: { type: 'urn:grewmeet:problem:request-timeout', title: 'The request took too long to arrive', status: 408 },
  headersTooLarge: { type: 'urn:grewmeet:problem:headers-too-large', title: 'The request headers are too large', status: 431 },
  internal: { type: 'urn:grewmeet:problem:internal', title: 'Internal error', status: 500 },
  unavailable: { type: 'urn:grewmeet:problem:service-unavailable', title: 'Temporarily unavailable', status: 503 },
} as const;

export type ProblemKind = keyof typeof problemTypes;

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  [extension: string]: unknown;
}

export function problemBody(
  kind: ProblemKind,
  request: FastifyRequest,
  detail: string,
  extensions: Record<string, unknown> = {},
): ProblemBody {
  const { type, title, status } = problemTypes[kind];
  return {
    type,
    title,
    status,
    detail,
    instance: request.url.split('?')[0] ?? request.url,
    requestId: request.id,
    ...extensions,
  };
}

export function sendProblem(
  reply: FastifyReply,
  kind: ProblemKind,
  detail: string,
  extensions: Record<string, unknown> = {},
): FastifyReply {
  const body = problemBody(kind, reply.request, detail, extensions);
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}
