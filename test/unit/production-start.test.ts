// `npm start` and the container start the service with the same memory settings (docs/benchmarks.md): the
// benchmark measures what `npm start` runs, so the Dockerfile must not drift from it. `npm start` runs the
// build as it is and never builds; without one it says so in one line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRun } from '../../testkit/service-process.ts';

const root = join(import.meta.dirname, '..', '..');
const scripts: Record<string, string> = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts;
const start = scripts.start as string;
const run = startRun(start);
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

describe('production start', () => {
  it('gives the container the Node flags of npm start', () => {
    const cmd = /^CMD (\[.*"dist\/main\.js"\])$/m.exec(dockerfile)?.[1];
    expect(cmd).toBeDefined();
    expect((JSON.parse(cmd as string) as string[]).join(' ')).toBe(run.slice(run.indexOf('node ')));
  });

  it('gives the container the environment of npm start', () => {
    const assignments = run.slice(0, run.indexOf('node ')).trim().split(/\s+/).filter(Boolean);
    expect(assignments.length).toBeGreaterThan(0);
    for (const assignment of assignments) expect(dockerfile).toMatch(new RegExp(`^ENV ${assignment}$`, 'm'));
  });

  it('does not build on start', () => {
    expect(scripts.prestart).toBeUndefined();
    expect(run).toMatch(/^[A-Z_=0-9 ]*node [^&;|]*dist\/main\.js$/);
  });

  it('without a build, fails with one line that says to build', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-build-'));
    try {
      const result = spawnSync('sh', ['-c', start], { cwd: empty, encoding: 'utf8', timeout: 10_000 });
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain('npm run build');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
