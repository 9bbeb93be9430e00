// The Fastify server: request ids, the JSON body rules, and the one error handler that turns every failure
// into problem+json (a client's mistake is never a 5xx; an outage is a fast 503 with Retry-After).

import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { DependencyUnavailableError } from '../../app/dependency-unavailable.ts';
import { PROBLEM_CONTENT_TYPE, type ProblemKind, problemBody, problemTypes, sendProblem } from './problems.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** What a route adds to the request's one log line (for example who wrote what). */
    logFields: Record<string, unknown> | null;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Limits on what a client may send before any route runs. Node refuses a request line plus headers over
// MAX_HEADER_BYTES (431); a JWT of a few kB fits. No route of ours needs a long URL (414).
const MAX_HEADER_BYTES = 16 * 1024;
const MAX_URL_LENGTH = 2048;

export interface HttpServerOptions {
  logger: FastifyBaseLogger;
  bodyLimitBytes: number;
  /** A client has this long to send its whole request; then 408 problem+json. */
  requestTimeoutMs: number;
  /** Seconds a client should wait before retrying after a 503. */
  retryAfterSeconds?: number;
  /** Called once per answered request, e.g. for the request-duration histogram. */
  observeRequest?: (route: string, method: string, status: number, seconds: number) => void;
}

export const API_INFO = {
  title: 'GrewMeet recording command service',
  version: '1.0.0',
  description:
    'The write side of the recording domain: attendance check-ins over HTTP; dating and study participations ' +
    'from Kafka. Every record is published to Kafka through a transactional outbox (the event catalogue: ' +
    '[/docs/events](/docs/events)). ' +
    'Every error is application/problem+json (RFC 9457).',
};

const FASTIFY_ERROR_PROBLEMS: Record<string, ProblemKind> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'bodyTooLarge',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupportedMediaType',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalidRequest',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformedJson',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformedJson',
};

export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    // One log line per request, written in onResponse below.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: options.bodyLimitBytes,
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Slow-loris protection: a client has this long to send its headers and its whole request.
    connectionTimeout: 30_000,
    requestTimeout: options.requestTimeoutMs,
    // Node enforces requestTimeout only when headersTimeout (60 s by default) is not longer, and looks for late
    // requests every 30 s by default: a chunked body that never ended was cut silently by connectionTimeout
    // after 30 s. With both set, such a request gets its 408 within a second of the timeout.
    http: {
      maxHeaderSize: MAX_HEADER_BYTES,
      headersTimeout: options.requestTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      connectionsCheckingInterval: 1_000,
    },
    routerOptions: { maxParamLength: 100 },
    clientErrorHandler: (error, socket) => refuseConnection(error, socket, options.logger),
    // The router's refusals come before any hook runs (so the request id is set here too).
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      if (error.code === 'FST_ERR_BAD_URL') return sendProblem(reply, 'invalidRequest', 'The URL is not validly encoded.');
      if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return sendProblem(reply, 'uriTooLong', 'A path segment is too long.');
      request.log.error({ err: error }, 'unexpected error');
      return sendProblem(reply, 'internal', 'An unexpected error occurred; it has been logged with this request id.');
    },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Fastify's own answer to a request that arrives while it closes is bare JSON with no Retry-After: the
    // onRequest hook below refuses it with our 503 problem instead.
    return503OnClosing: false,
  });

  // Node answers an Expect other than 100-continue itself, with a bare 417 and no body, unless someone listens.
  app.server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
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
  });

  // Shutting down: requests still arriving on open keep-alive connections are refused (Fastify adds Connection:
  // close); requests already past this hook complete before close() resolves.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) {
      reply.header('retry-after', String(options.retryAfterSeconds ?? 1));
      return sendProblem(reply, 'unavailable', 'The service is shutting down; please retry shortly.');
    }
    if (request.url.length > MAX_URL_LENGTH) {
      return sendProblem(reply, 'uriTooLong', `The URL is longer than ${MAX_URL_LENGTH} characters.`);
    }
  });

  // Which methods each path answers, for a 405 with Allow instead of a 404 when only the method is wrong.
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = methodsByPath.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    methodsByPath.set(route.url, methods);
  });

  app.decorateRequest('logFields', null);
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL: ids in paths must not explode the metric's label set.
    options.observeRequest?.(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000);
    request.log.info(
      {
        method: request.method,
        url: pathOf(request),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
        ...request.logFields,
      },
      'request',
    );
  });

  // JSON with an empty body means "no body" (SPEC §3: the body is optional); everything else parses as usual,
  // with Fastify's protection against prototype poisoning.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const parseOptionalJson = (
    request: FastifyRequest,
    body: string | Buffer,
    done: (error: Error | null, value?: unknown) => void,
  ) => {
    if (body.toString().trim() === '') done(null, null);
    else parseJson(request, body.toString(), done);
  };
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseOptionalJson);
  app.addContentTypeParser(/^application\/[a-z0-9.+-]*\+json$/, { parseAs: 'string' }, parseOptionalJson);
  // A body-less request may still say text/plain (curl -d '' does): accepted only when it is empty.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) => {
    if (body.toString().trim() === '') done(null, null);
    else
      done(
        Object.assign(new Error('the body must be JSON (Content-Type: application/json)'), {
          statusCode: 415,
          code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
        }),
        undefined,
      );
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DependencyUnavailableError) {
      request.log.warn({ err: error.cause ?? error, dependency: error.dependency }, 'dependency unavailable');
      reply.header('retry-after', String(options.retryAfterSeconds ?? 1));
      return sendProblem(reply, 'unavailable', `The ${error.dependency} is unavailable; please retry shortly.`);
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
    return sendProblem(reply, 'internal', 'An unexpected error occurred; it has been logged with this request id.');
  });

  // The OpenAPI document is generated from the route schemas: one source for validation, types and docs.
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: API_INFO,
      servers: [{ url: 'http://localhost:8083', description: 'npm run dev' }],
      components: {
        securitySchemes: {
          ownerHeader: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Owner-Id',
            description: "AUTH_MODE=gateway (default): the user id the API gateway set after verifying the user's JWT.",
          },
          bearerToken: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'AUTH_MODE=jwt: the service verifies the token itself (see docs/authentication.md).',
          },
        },
      },
      tags: [
        { name: 'attendance', description: 'Attendance check-ins' },
        { name: 'operations', description: 'Health, readiness and metrics' },
      ],
    },
  });
  app.register(swaggerUi, { routePrefix: '/docs' });

  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request);
    const allowed = methodsByPath.get(path);
    if (allowed === undefined) return sendProblem(reply, 'notFound', `No route for ${request.method} ${path}.`);
    const allow = [...allowed].sort().join(', ');
    reply.header('allow', allow);
    return sendProblem(reply, 'methodNotAllowed', `${request.method} is not allowed on ${path}; allowed: ${allow}.`);
  });

  return app;
}

/** The URL without its query string (which could carry a token) and never longer than the limit. */
function pathOf(request: FastifyRequest): string {
  return (request.url.split('?')[0] ?? '').slice(0, MAX_URL_LENGTH);
}

/**
 * Node's HTTP parser refused the request (headers too large, malformed, too slow) before Fastify saw it: answer
 * with the same problem+json as everywhere else, on the raw socket, and close it.
 */
function refuseConnection(error: NodeJS.ErrnoException, socket: Socket, logger: FastifyBaseLogger): void {
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
