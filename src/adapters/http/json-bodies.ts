// What a body may be: JSON (application/json or any +json type), where an empty body means "no body" because
// the body of POST /api/attendance is optional. Everything else parses as Fastify does, with its protection
// against prototype poisoning; any other content type is a 415.

import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';

const jsonBodiesPlugin: FastifyPluginAsync = async (app) => {
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
};

/** Not encapsulated: the parsers serve the routes registered beside it. */
export const jsonBodies = fastifyPlugin(jsonBodiesPlugin, { name: 'json-bodies' });
