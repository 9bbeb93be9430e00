// The OpenAPI document, generated from the route schemas (one source for validation, types and docs), and
// its browsable UI at /docs. `npm run docs` writes the same document to docs/openapi.json.

import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';
import fastifyPlugin from 'fastify-plugin';

const openApiPlugin: FastifyPluginAsync = async (app) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'GrewMeet recording command service',
        version: '1.0.0',
        description:
          'The write side of the recording domain: attendance check-ins over HTTP; dating and study participations ' +
          'from Kafka. Every record is published to Kafka through a transactional outbox (the event catalogue: ' +
          '[/docs/events](/docs/events)). ' +
          'Every error is application/problem+json (RFC 9457).',
      },
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
  await app.register(swaggerUi, { routePrefix: '/docs' });
};

/**
 * Not encapsulated: the document collects the routes registered after it beside it, and `app.swagger()` is
 * what `npm run docs` reads.
 */
export const openApi = fastifyPlugin(openApiPlugin, { name: 'open-api' });
