// The whole HTTP API in one place: the server, its plugins in the order they must run, and every route, so
// that the service and the OpenAPI generator (npm run docs) build exactly the same thing.

import { attendanceRoutes } from './attendance-routes.ts';
import { eventCatalogue } from './event-catalogue.ts';
import { jsonBodies } from './json-bodies.ts';
import { openApi } from './open-api.ts';
import { type MetricsSource, operationsRoutes, type ReadinessCheck } from './operations-routes.ts';
import { problemDetails } from './problem-details.ts';
import { requestLimits } from './request-limits.ts';
import { type RequestObserver, requestLog } from './request-log.ts';
import { createHttpServer, type HttpServer, type HttpServerOptions } from './server.ts';
import { shutdownGate } from './shutdown-gate.ts';

export async function createHttpApi(options: {
  server: HttpServerOptions & {
    /** Seconds a client should wait before retrying after a 503. */
    retryAfterSeconds?: number;
    observeRequest?: RequestObserver;
  };
  readiness: ReadinessCheck[];
  metrics: MetricsSource;
  attendance: Parameters<typeof attendanceRoutes>[0];
  /** The AsyncAPI document, built when first asked for. */
  asyncApiDocument: () => Record<string, unknown>;
}): Promise<HttpServer> {
  const retryAfterSeconds = options.server.retryAfterSeconds ?? 1;
  const app = createHttpServer(options.server);
  // onRequest hooks run in this order: the request id first (every refusal names it), then the shutdown gate,
  // then the URL limit.
  await app.register(requestLog, { observeRequest: options.server.observeRequest });
  await app.register(shutdownGate, { retryAfterSeconds });
  await app.register(requestLimits);
  await app.register(jsonBodies);
  // Before any route: it lists every route for the 405 answer.
  await app.register(problemDetails, { retryAfterSeconds });
  await app.register(openApi);
  await app.register(operationsRoutes(options.readiness, options.metrics));
  await app.register(attendanceRoutes(options.attendance));
  await app.register(eventCatalogue({ document: options.asyncApiDocument }));
  return app;
}
