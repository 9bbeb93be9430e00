// The service's HTTP API exactly as the service builds it (createHttpApi), with the attendance store in memory
// and no database or broker: the fast tier for what is pure HTTP (limits, problem details, identity).
// Requests go through Fastify's inject() and come back as fetch Responses, so that assertions read as in the
// integration tier; listen() gives a real socket for what only Node's HTTP parser decides (framing, header
// size, timeouts, repeated headers).

import type { Logger } from 'pino';
import { createHttpApi } from '../src/adapters/http/http-api.ts';
import { gatewayIdentity } from '../src/adapters/http/identity.ts';
import { jwtIdentity } from '../src/adapters/http/jwt-identity.ts';
import type { HttpServer } from '../src/adapters/http/server.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { buildAsyncApiDocument } from '../src/contracts/asyncapi.ts';
import { createLogger } from '../src/service.ts';
import { InMemoryAttendanceStore } from './in-memory-attendance-store.ts';

export interface HttpApiUnderTest {
  app: HttpServer;
  config: Config;
  store: InMemoryAttendanceStore;
  /** fetch() through app.inject(): `path` is the URL path and query, e.g. '/api/attendance'. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Listens on a free local port and answers the base URL, e.g. http://127.0.0.1:41234. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/**
 * `env` is read by loadConfig as production reads it (AUTH_MODE, HTTP_BODY_LIMIT_BYTES, …); `logger` replaces
 * a silent one, e.g. to read what the API logs; `observeRequest` is the metrics hook.
 */
export async function startHttpApi(
  options: {
    env?: Record<string, string>;
    logger?: Logger;
    observeRequest?: (route: string, method: string, status: number, seconds: number) => void;
  } = {},
): Promise<HttpApiUnderTest> {
  const config = loadConfig(options.env ?? {});
  const store = new InMemoryAttendanceStore();
  const app = await createHttpApi({
    server: {
      logger: options.logger ?? createLogger({ logLevel: 'silent' }),
      bodyLimitBytes: config.bodyLimitBytes,
      requestTimeoutMs: config.httpRequestTimeoutMs,
      observeRequest: options.observeRequest,
    },
    readiness: [{ name: 'memory', run: async () => ({ ok: true }) }],
    asyncApiDocument: () => buildAsyncApiDocument(config.topics),
    metrics: { contentType: 'text/plain', text: async () => '' },
    attendance: {
      store,
      identity: config.auth.mode === 'jwt' ? await jwtIdentity(config.auth) : gatewayIdentity(),
      zone: config.businessTimeZone,
      now: Date.now,
    },
  });
  await app.ready();
  return {
    app,
    config,
    store,
    fetch: async (path, init = {}) => {
      const answer = await app.inject({
        method: (init.method ?? 'GET') as 'GET',
        url: path,
        headers: Object.fromEntries(new Headers(init.headers).entries()),
        ...(init.body === undefined || init.body === null ? {} : { payload: init.body as string }),
      });
      const headers = new Headers();
      for (const [name, value] of Object.entries(answer.headers)) {
        for (const one of [value ?? []].flat()) headers.append(name, String(one));
      }
      return new Response(answer.rawPayload.length === 0 ? null : answer.rawPayload, { status: answer.statusCode, headers });
    },
    listen: async () => {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    },
    close: () => app.close(),
  };
}
