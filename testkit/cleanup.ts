// Clean-ups of a test file: what a test starts (services, brokers, readers, databases) is registered where it
// is started, and stopped after the file even when the test failed halfway.

import { afterAll } from 'vitest';

export type Cleanup = (cleanup: () => Promise<unknown> | unknown) => void;

/** Registers clean-ups that run after the file, last registered first, each even when an earlier one failed. */
export function cleanupRegistry(): Cleanup {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // The next clean-up still runs; a failing one must not hide the test's own result.
      }
    }
  });
  return (cleanup) => {
    cleanups.push(cleanup);
  };
}
