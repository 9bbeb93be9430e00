// The built service is one minified file: its stack traces point at columns of one long line. The source map
// beside it leads back to the line that threw, for a person (npm run original-stack) as for the profiles.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE_OPTIONS } from '../../scripts/build.ts';
import { withOriginalPlaces } from '../../scripts/original-stack.ts';

const work = mkdtempSync(join(tmpdir(), 'original-stack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const program = `export class Ledger {
  close(reason: string): never {
    throw new Error(reason);
  }
}

new Ledger().close('closed for the night');
`;

async function stackOfBundledProgram(): Promise<{ stack: string; dist: string }> {
  writeFileSync(join(work, 'ledger.ts'), program);
  const dist = join(work, 'dist');
  await build({ ...BUNDLE_OPTIONS, absWorkingDir: work, entryPoints: { app: 'ledger.ts' }, outdir: dist });
  try {
    execFileSync(process.execPath, [join(dist, 'app.js')], { stdio: 'pipe' });
  } catch (error) {
    return { stack: String((error as { stderr: Buffer }).stderr), dist };
  }
  throw new Error('the bundled program did not throw');
}

describe('original-stack', () => {
  it('replaces a place in the minified bundle by the line and column it was written at', async () => {
    const { stack, dist } = await stackOfBundledProgram();
    // Minified, the throw and the call that led to it share one line of the bundle.
    const bundleLines = [...stack.matchAll(/\/dist\/app\.js:(\d+):\d+/g)].map((m) => m[1]);
    expect(bundleLines).toHaveLength(2);
    expect(bundleLines[0]).toBe(bundleLines[1]);

    const original = withOriginalPlaces(stack, dist);

    expect(original).toMatch(/at Ledger\.close \(\S*ledger\.ts:3:11\)/);
    expect(original).toMatch(/at \S*ledger\.ts:7:14\n/);
    expect(original).not.toMatch(/app\.js:\d+:\d+/);
  });

  it('leaves alone what does not point into a bundle it has a map for', () => {
    const line = 'at run (node:internal/main:12:3) and at x (/app/dist/missing.js:1:5)';
    expect(withOriginalPlaces(line, join(work, 'nothing-here'))).toBe(line);
  });
});
