// The API documents integrators rely on: the committed files are what the code generates (npm run docs), and
// the API serves the same OpenAPI document with a browsable UI.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAsyncApi, renderOpenApi } from '../../scripts/lib/api-documents.ts';
import { type HttpApiUnderTest, startHttpApi } from '../../testkit/http-api-under-test.ts';
import { readJson } from '../../testkit/http-assertions.ts';

let api: HttpApiUnderTest;

beforeAll(async () => {
  api = await startHttpApi();
});

afterAll(async () => {
  await api?.close();
});

const docs = join(import.meta.dirname, '..', '..', 'docs');

describe('API documents', () => {
  it('serves the OpenAPI document that is committed in docs/openapi.json, and a browsable UI', async () => {
    const committed = JSON.parse(await readFile(join(docs, 'openapi.json'), 'utf8'));
    expect(JSON.parse(await renderOpenApi()), 'docs/openapi.json is stale: run npm run docs').toEqual(committed);
    expect(await readJson(await api.fetch('/docs/json'))).toEqual(committed);
    const ui = await api.fetch('/docs/');
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  it('keeps docs/asyncapi.yaml in step with the event schemas', async () => {
    expect(await readFile(join(docs, 'asyncapi.yaml'), 'utf8'), 'docs/asyncapi.yaml is stale: run npm run docs').toBe(
      renderAsyncApi(),
    );
  });
});
