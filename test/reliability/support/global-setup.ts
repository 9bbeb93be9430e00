// The reliability suite's infrastructure: the integration tests' shared broker and database server, a file
// that every scenario appends its line of figures to (printed as one table when the suite ends), and a
// directory for the logs of the service processes.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { setupTestInfrastructure } from '../../../testkit/global-setup.ts';
import { type Figures, figuresTable } from './figures.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    figuresFile: string;
  }
}

export default async function setup(project: TestProject) {
  const teardownInfrastructure = await setupTestInfrastructure(project, 'reliability-logs');
  const figuresFile = join(tmpdir(), `recording-reliability-figures-${process.pid}.jsonl`);
  rmSync(figuresFile, { force: true });
  project.provide('figuresFile', figuresFile);
  return async () => {
    if (existsSync(figuresFile)) {
      const rows = readFileSync(figuresFile, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Figures);
      process.stdout.write(`\nreliability figures\n${figuresTable(rows)}\n`);
      rmSync(figuresFile, { force: true });
    }
    await teardownInfrastructure();
  };
}
