// Shutting down: requests still arriving on open keep-alive connections are refused with 503 + Retry-After
// (Fastify adds Connection: close); requests already past this gate complete before close() resolves.

import type { FastifyPluginAsync } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { sendProblem } from './problems.ts';

const shutdownGatePlugin: FastifyPluginAsync<{ retryAfterSeconds: number }> = async (app, options) => {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (closing) {
      reply.header('retry-after', String(options.retryAfterSeconds));
      return sendProblem(reply, 'unavailable', 'The service is shutting down; please retry shortly.');
    }
  });
};

export const shutdownGate = fastifyPlugin(shutdownGatePlugin, {
  name: 'shutdown-gate',
  // Its refusal carries the X-Request-Id header, which request-log sets in an earlier onRequest hook.
  dependencies: ['request-log'],
});
