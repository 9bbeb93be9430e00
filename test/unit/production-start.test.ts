// `npm start` and the container start the service with the same memory settings (docs/benchmarks.md): the
// benchmark measures what `npm start` runs, so the Dockerfile must not drift from it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const start: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.start;
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

describe('production start', () => {
  it('gives the container the Node flags of npm start', () => {
    const cmd = /^CMD (\[.*"dist\/main\.js"\])$/m.exec(dockerfile)?.[1];
    expect(cmd).toBeDefined();
    expect((JSON.parse(cmd as string) as string[]).join(' ')).toBe(start.slice(start.indexOf('node ')));
  });

  it('gives the container the environment of npm start', () => {
    const assignments = start.slice(0, start.indexOf('node ')).trim().split(/\s+/).filter(Boolean);
    expect(assignments.length).toBeGreaterThan(0);
    for (const assignment of assignments) expect(dockerfile).toMatch(new RegExp(`^ENV ${assignment}$`, 'm'));
  });
});
