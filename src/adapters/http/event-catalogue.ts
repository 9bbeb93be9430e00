// The event catalogue: this service's AsyncAPI document, raw (/docs/asyncapi.json, /docs/asyncapi.yaml) and
// rendered in the browser (/docs/events) by @asyncapi/react-component's standalone bundle. The bundle and its
// styles are served as files from node_modules: the renderer runs in the browser only, never in this process
// (start-up time and memory), and the page loads nothing from elsewhere, so it works without internet access.

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type {} from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

const renderer = dirname(createRequire(import.meta.url).resolve('@asyncapi/react-component/package.json'));

/** Where the page and its files are; relative URLs in the page make it work behind a path prefix too. */
const paths = {
  page: '/docs/events',
  json: '/docs/asyncapi.json',
  yaml: '/docs/asyncapi.yaml',
  script: '/docs/events/asyncapi-standalone.js',
  styles: '/docs/events/asyncapi.css',
} as const;

/** How the page names an operation of this service: what it publishes (send) and what it consumes (receive). */
export const OPERATION_LABELS = { send: 'PUBLISHES', receive: 'CONSUMES' } as const;

// From the page at /docs/events, relative URLs resolve against /docs/.
const initialisation = `AsyncApiStandalone.render({
  schema: { url: 'asyncapi.json' },
  config: {
    show: { sidebar: true },
    expand: { messageExamples: true },
    sendLabel: '${OPERATION_LABELS.send}',
    receiveLabel: '${OPERATION_LABELS.receive}',
  },
}, document.getElementById('catalogue'));`;

// The package's stylesheet sets the font on `.aui-root body`, which matches nothing, so the page sets it; the
// empty icon spares the browser a request for /favicon.ico.
const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Event catalogue · GrewMeet recording command service</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="events/asyncapi.css">
<style>body { margin: 0; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif; }</style>
</head>
<body>
<div id="catalogue"></div>
<script src="events/asyncapi-standalone.js"></script>
<script>${initialisation}</script>
</body>
</html>
`;

// Only this origin's files and the one inline script above. The bundled parser compiles JSON schemas with
// new Function (ajv), hence 'unsafe-eval'; the renderer sets inline styles, hence 'unsafe-inline' for styles.
const contentSecurityPolicy = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-eval' 'sha256-${createHash('sha256').update(initialisation).digest('base64')}'`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'self'",
].join('; ');

export function eventCatalogue(options: { document: () => Record<string, unknown> }) {
  return async function register(app: FastifyInstance): Promise<void> {
    // Built on the first request, not at start-up: most instances never serve it.
    let json: string | undefined;
    let yaml: string | undefined;
    const documentJson = () => {
      json ??= `${JSON.stringify(options.document(), null, 2)}\n`;
      return json;
    };

    // Files are named one by one (serve: false), so nothing else in the package is reachable.
    await app.register(fastifyStatic, { root: renderer, serve: false });

    app.get(paths.page, { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').header('content-security-policy', contentSecurityPolicy).send(page),
    );
    // The page's relative URLs need the path without the slash.
    app.get(`${paths.page}/`, { schema: { hide: true } }, async (_request, reply) => reply.redirect('../events'));

    app.get(
      paths.json,
      {
        schema: {
          tags: ['operations'],
          summary: 'The AsyncAPI document of the Kafka topics this service consumes and publishes',
          description:
            'AsyncAPI 3, with the topic names this instance is configured with. Rendered for people at ' +
            '[/docs/events](/docs/events); also as YAML at /docs/asyncapi.yaml.',
          response: {
            200: { description: 'The AsyncAPI document', content: { 'application/json': { schema: { type: 'object' } } } },
          },
        },
      },
      // A string is sent as is: the response schema above documents, it does not serialise.
      async (_request, reply) => reply.type('application/json; charset=utf-8').send(documentJson()),
    );
    app.get(paths.yaml, { schema: { hide: true } }, async (_request, reply) => {
      if (yaml === undefined) {
        const { stringify } = await import('yaml');
        yaml = stringify(JSON.parse(documentJson()), { lineWidth: 0 });
      }
      return reply.type('application/yaml; charset=utf-8').send(yaml);
    });

    app.get(paths.script, { schema: { hide: true } }, async (_request, reply) =>
      reply.sendFile(join('browser', 'standalone', 'index.js')),
    );
    app.get(paths.styles, { schema: { hide: true } }, async (_request, reply) =>
      reply.sendFile(join('styles', 'default.min.css')),
    );
  };
}
