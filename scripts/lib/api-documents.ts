// Renders the two API documents exactly as committed in docs/. The HTTP API is built with the same
// createHttpApi the service uses; its dependencies are never called while only the document is read.
import pino from 'pino';
import { stringify } from 'yaml';
import { createHttpApi } from '../../src/adapters/http/http-api.ts';
import { gatewayIdentity } from '../../src/adapters/http/identity.ts';
import { loadConfig } from '../../src/config.ts';
import { buildAsyncApiDocument } from '../../src/contracts/asyncapi.ts';

const notCalled = () => {
  throw new Error('not called while rendering documents');
};

export async function renderOpenApi(): Promise<string> {
  const app = await createHttpApi({
    server: { logger: pino({ level: 'silent' }), bodyLimitBytes: 16_384, requestTimeoutMs: 10_000 },
    readiness: [],
    metrics: { contentType: 'text/plain', text: notCalled },
    attendance: {
      store: { insertWithEvent: notCalled, findByUserAndDate: notCalled },
      identity: gatewayIdentity(),
      zone: 'Asia/Seoul',
      now: Date.now,
    },
    asyncApiDocument: notCalled,
  });
  await app.ready();
  const document = app.swagger();
  await app.close();
  return `${JSON.stringify(document, null, 2)}\n`;
}

export function renderAsyncApi(): string {
  // Topic names as configured by default (no env): the document describes the contract, not one deployment.
  return stringify(buildAsyncApiDocument(loadConfig({}).topics), { lineWidth: 0 });
}
