// Limits on what a client may send before any route runs. Node refuses a request line plus headers over
// MAX_HEADER_BYTES (431, see server.ts); a JWT of a few kB fits. No route of ours needs a long URL (414).

import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { sendProblem } from './problems.ts';

export const MAX_HEADER_BYTES = 16 * 1024;
export const MAX_URL_LENGTH = 2048;

/** The URL without its query string (which could carry a token) and never longer than the limit. */
export function pathOf(request: FastifyRequest): string {
  return (request.url.split('?')[0] ?? '').slice(0, MAX_URL_LENGTH);
}

const urlLengthLimit: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', async (request, reply) => {
    if (request.url.length > MAX_URL_LENGTH) {
      return sendProblem(reply, 'uriTooLong', `The URL is longer than ${MAX_URL_LENGTH} characters.`);
    }
  });
};

/** 414 problem+json to a URL over MAX_URL_LENGTH, for every route and the not-found handler alike. */
export const requestLimits = fastifyPlugin(urlLengthLimit, {
  name: 'request-limits',
  // Its refusal carries the X-Request-Id header, which request-log sets in an earlier onRequest hook; after the
  // shutdown gate, so that a closing server answers 503 whatever the URL.
  dependencies: ['request-log', 'shutdown-gate'],
});
