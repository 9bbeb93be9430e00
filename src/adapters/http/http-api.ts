// The whole HTTP API in one place: the server and every route, so that the service and the OpenAPI
// generator (npm run docs) build exactly the same thing.

import type { FastifyInstance } from 'fastify';
import { attendanceRoutes } from './attendance-routes.ts';
import { eventCatalogue } from './event-catalogue.ts';
import { type MetricsSource, operationsRoutes, type ReadinessCheck } from './operations-routes.ts';
import { createHttpServer, type HttpServerOptions } from './server.ts';

export async function createHttpApi(options: {
  server: HttpServerOptions;
  readiness: ReadinessCheck[];
  metrics: MetricsSource;
  attendance: Parameters<typeof attendanceRoutes>[0];
  /** The AsyncAPI document, built when first asked for. */
  asyncApiDocument: () => Record<string, unknown>;
}): Promise<FastifyInstance> {
  const app = createHttpServer(options.server);
  await app.register(operationsRoutes(options.readiness, options.metrics));
  await app.register(attendanceRoutes(options.attendance));
  await app.register(eventCatalogue({ document: options.asyncApiDocument }));
  return app;
}
