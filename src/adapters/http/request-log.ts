// Request ids and the one log line per request: every answer carries X-Request-Id (a valid incoming one is
// kept), and every answered request is logged once and observed once (the request-duration histogram).

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { pathOf } from './request-limits.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** What a route adds to the request's one log line (for example who wrote what). */
    logFields: Record<string, unknown> | null;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id (Fastify's genReqId): the client's X-Request-Id when it is a safe token, else a new UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Called once per answered request, e.g. for the request-duration histogram. */
export type RequestObserver = (route: string, method: string, status: number, seconds: number) => void;

const requestLogPlugin: FastifyPluginAsync<{ observeRequest: RequestObserver | undefined }> = async (app, options) => {
  // The first onRequest hook: whatever refuses the request later still answers with its id.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
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
};

export const requestLog = fastifyPlugin(requestLogPlugin, { name: 'request-log' });
