// Every answer the server gives on its own, not decided by a route, as problem+json (the kinds are in
// problems.ts): thrown errors (a client's mistake is never a 5xx; an outage is a fast 503 with Retry-After),
// 404 and 405, and the refusals that come before Fastify's hooks run (Node's HTTP parser, the router, a 417).

import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { DependencyUnavailableError } from '../../app/dependency-unavailable.ts';
import { PROBLEM_CONTENT_TYPE, type ProblemKind, problemBody, problemTypes, sendProblem } from './problems.ts';
import { MAX_HEADER_BYTES, MAX_URL_LENGTH, pathOf } from './request-limits.ts';

const FASTIFY_ERROR_PROBLEMS: Record<string, ProblemKind> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'bodyTooLarge',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupportedMediaType',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalidRequest',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformedJson',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformedJson',
};

const INTERNAL_DETAIL = 'An unexpected error occurred; it has been logged with this request id.';

const problemDetailsPlugin: FastifyPluginAsync<{ retryAfterSeconds: number }> = async (app, options) => {
  // Node answers an Expect other than 100-continue itself, with a bare 417 and no body, unless someone listens.
  app.server.on('checkExpectation', refuseExpectation);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DependencyUnavailableError) {
      request.log.warn({ err: error.cause ?? error, dependency: error.dependency }, 'dependency unavailable');
      reply.header('retry-after', String(options.retryAfterSeconds));
      return sendProblem(reply, 'unavailable', `The ${error.dependency} is ${error.condition}; please retry shortly.`);
    }
    if (error.validation) {
      const detail = error.validation
        .map(
          (v) =>
            `${v.instancePath === '' ? (error.validationContext ?? 'request') : v.instancePath.slice(1).replaceAll('/', '.')} ${v.message ?? 'is invalid'}`,
        )
        .join('; ');
      return sendProblem(reply, 'invalidRequest', detail);
    }
    const mapped = error.code === undefined ? undefined : FASTIFY_ERROR_PROBLEMS[error.code];
    if (mapped !== undefined) return sendProblem(reply, mapped, error.message);
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      // Any other client error Fastify raises (for example a malformed header): keep its status.
      const body = problemBody('invalidRequest', request, error.message);
      return reply
        .code(error.statusCode)
        .type(PROBLEM_CONTENT_TYPE)
        .send({ ...body, status: error.statusCode });
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendProblem(reply, 'internal', INTERNAL_DETAIL);
  });

  // Which methods each path answers, for a 405 with Allow instead of a 404 when only the method is wrong.
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = methodsByPath.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    methodsByPath.set(route.url, methods);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request);
    const allowed = methodsByPath.get(path);
    if (allowed === undefined) return sendProblem(reply, 'notFound', `No route for ${request.method} ${path}.`);
    const allow = [...allowed].sort().join(', ');
    reply.header('allow', allow);
    return sendProblem(reply, 'methodNotAllowed', `${request.method} is not allowed on ${path}; allowed: ${allow}.`);
  });
};

/**
 * Not encapsulated: the error handler, the not-found handler and the route list behind 405 serve every route,
 * so it is registered before any route.
 */
export const problemDetails = fastifyPlugin(problemDetailsPlugin, {
  name: 'problem-details',
  // A problem names the request id, and the X-Request-Id header that request-log sets must say the same.
  dependencies: ['request-log'],
});

/** Fastify's `frameworkErrors`: the router's refusals come before any hook runs (so the request id is set here too). */
export function answerRouterRefusal(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('x-request-id', request.id);
  if (error.code === 'FST_ERR_BAD_URL') return sendProblem(reply, 'invalidRequest', 'The URL is not validly encoded.');
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return sendProblem(reply, 'uriTooLong', 'A path segment is too long.');
  request.log.error({ err: error }, 'unexpected error');
  return sendProblem(reply, 'internal', INTERNAL_DETAIL);
}

/**
 * Fastify's `clientErrorHandler`: Node's HTTP parser refused the request (headers too large, malformed, too
 * slow) before Fastify saw it. Answers with the same problem+json as everywhere else, on the raw socket, and
 * closes it.
 */
export function refuseUnparsedRequest(error: NodeJS.ErrnoException, socket: Socket, logger: FastifyBaseLogger): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [kind, detail]: [ProblemKind, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? ['headersTooLarge', `The request line and headers exceed ${MAX_HEADER_BYTES} bytes.`]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ['requestTimeout', 'The request did not arrive completely in time.']
        : ['invalidRequest', 'The request is not valid HTTP.'];
  const { type, title, status } = problemTypes[kind];
  const requestId = randomUUID();
  // Only the code: the parser's error carries the raw bytes of the request, Authorization header included.
  logger.debug({ code: error.code, status, requestId }, 'request refused by the HTTP parser');
  if (socket.writable) {
    const body = JSON.stringify({ type, title, status, detail, requestId });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function refuseExpectation(request: IncomingMessage, response: ServerResponse): void {
  const { type, title, status } = problemTypes.expectationFailed;
  const requestId = randomUUID();
  const detail = 'Only "Expect: 100-continue" is supported.';
  const instance = (request.url ?? '').split('?')[0]?.slice(0, MAX_URL_LENGTH);
  const body = JSON.stringify({ type, title, status, detail, instance, requestId });
  response
    .writeHead(status, {
      'content-type': PROBLEM_CONTENT_TYPE,
      'content-length': Buffer.byteLength(body),
      'x-request-id': requestId,
      connection: 'close',
    })
    .end(body);
}
