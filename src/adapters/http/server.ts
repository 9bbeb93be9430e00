// The Fastify instance with what can only be set when it is made: the logger, request ids, the limits and
// timeouts Node enforces, and the answers to what Node's parser or the router refuse. Everything else is a
// plugin, composed in http-api.ts.

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { answerRouterRefusal, refuseUnparsedRequest } from './problem-details.ts';
import { MAX_HEADER_BYTES } from './request-limits.ts';
import { requestIdOf } from './request-log.ts';

export interface HttpServerOptions {
  logger: FastifyBaseLogger;
  bodyLimitBytes: number;
  /** A client has this long to send its whole request; then 408 problem+json. */
  requestTimeoutMs: number;
}

export function createHttpServer(options: HttpServerOptions) {
  return Fastify({
    loggerInstance: options.logger,
    // One log line per request, written by request-log.ts.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: options.bodyLimitBytes,
    requestIdHeader: false,
    genReqId: requestIdOf,
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
    clientErrorHandler: (error, socket) => refuseUnparsedRequest(error, socket, options.logger),
    frameworkErrors: answerRouterRefusal,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Fastify's own answer to a request that arrives while it closes is bare JSON with no Retry-After: the
    // shutdown gate (shutdown-gate.ts) refuses it with our 503 problem instead.
    return503OnClosing: false,
  }).withTypeProvider<TypeBoxTypeProvider>();
}

export type HttpServer = ReturnType<typeof createHttpServer>;
