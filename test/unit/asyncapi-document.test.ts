// docs/asyncapi.yaml as AsyncAPI's own tooling reads it: the official parser (which also validates the Kafka
// bindings and runs its recommended rules) must find nothing wrong and nothing to warn about. That the file is
// what `npm run docs` renders from the event schemas is checked in test/integration/operations.test.ts.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';

const committed = join(import.meta.dirname, '..', '..', 'docs', 'asyncapi.yaml');

describe('docs/asyncapi.yaml', () => {
  it('is a valid AsyncAPI document to the official parser, with no errors and no warnings', { timeout: 60_000 }, async () => {
    const { document, diagnostics } = await new Parser().parse(await readFile(committed, 'utf8'));
    const problems = diagnostics
      .filter((diagnostic) => diagnostic.severity <= DiagnosticSeverity.Warning)
      .map(
        (diagnostic) =>
          `${DiagnosticSeverity[diagnostic.severity]} ${diagnostic.code} at ${diagnostic.path.join('.')}: ${diagnostic.message}`,
      );
    expect(problems).toEqual([]);
    expect(document).toBeDefined();
    // The parser resolved the document as the catalogue shows it: five topics of the service's own and the two
    // dead-letter topics, each with the direction this service uses it in.
    const operations = document?.operations().all() ?? [];
    expect(operations.map((operation) => `${operation.action()} ${operation.channels().all()[0]?.address()}`).sort()).toEqual([
      'receive grewmeet.dating.participation.completed',
      'receive grewmeet.study.participation.completed',
      'send grewmeet.dating.participation.completed.dlq',
      'send grewmeet.recording.attendance',
      'send grewmeet.recording.dating-participation',
      'send grewmeet.recording.study-participation',
      'send grewmeet.study.participation.completed.dlq',
    ]);
  });
});
