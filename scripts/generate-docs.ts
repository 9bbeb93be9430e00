// npm run docs: writes docs/openapi.json (from the route schemas) and docs/asyncapi.yaml (from the event
// schemas). test/http/api-documents.test.ts fails when the committed files are stale.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderAsyncApi, renderOpenApi } from './lib/api-documents.ts';

const docs = join(import.meta.dirname, '..', 'docs');
await writeFile(join(docs, 'openapi.json'), await renderOpenApi());
await writeFile(join(docs, 'asyncapi.yaml'), renderAsyncApi());
console.log('wrote docs/openapi.json and docs/asyncapi.yaml');
