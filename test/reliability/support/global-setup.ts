// The reliability suite's infrastructure: the integration tests' shared broker and database server, a file
// that every scenario appends its line of figures to (printed as one table when the suite ends), and a
// directory for the logs of the service processes.

import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import setupSharedInfrastructure from '../../support/global-setup.ts';
import { type Figures, figuresTable } from './figures.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    figuresFile: string;
    serviceLogDir: string;
  }
}

export default async function setup(project: TestProject) {
  const teardownInfrastructure = await setupSharedInfrastructure(project);
  const figuresFile = join(tmpdir(), `recording-reliability-figures-${process.pid}.jsonl`);
  rmSync(figuresFile, { force: true });
  project.provide('figuresFile', figuresFile);
  // The service processes' logs of the last run, kept for a look after a failure (.local/ is git-ignored).
  const serviceLogDir = resolve(import.meta.dirname, '../../../.local/reliability-logs');
  rmSync(serviceLogDir, { recursive: true, force: true });
  mkdirSync(serviceLogDir, { recursive: true });
  project.provide('serviceLogDir', serviceLogDir);
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
