// Waiting for what happens elsewhere (in a service process, on a broker, in a database) by asking again until
// it holds or a deadline passes.

import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Asks `probe` every `intervalMs` until it holds, and answers false (rather than throwing) once `timeoutMs` has
 * passed: the caller says what failed (or, in a scenario, still prints its figures). A probe that throws ends
 * the wait with its error.
 */
export async function eventually(probe: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 250): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (performance.now() > deadline) return false;
    await sleep(intervalMs);
  }
}
