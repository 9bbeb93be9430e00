import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdleMemoryReducer } from '../../src/app/idle-memory.ts';

/** A reducer whose event loop reports, check after check, the utilizations the test queues. */
function reducerOver(utilizations: number[]) {
  const reductions: number[] = [];
  const reducer = new IdleMemoryReducer({
    checkEveryMs: 2_000,
    idleForMs: 10_000,
    maxIdleUtilization: 0.02,
    loopUtilizationSinceLastCheck: () => utilizations.shift() ?? 0,
    reduceMemory: () => reductions.push(Date.now()),
  });
  reducer.start();
  return { reducer, reductions };
}

describe('IdleMemoryReducer', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('reduces once the loop has been idle for idleForMs, and only once while it stays idle', () => {
    const { reducer, reductions } = reducerOver([0.4, 0.01, 0.009, 0.01, 0.01]);
    vi.advanceTimersByTime(10_000);
    // Busy at the first check; four idle checks are 8 s of idle.
    expect(reductions).toEqual([]);
    vi.advanceTimersByTime(2_000);
    expect(reductions).toEqual([12_000]);
    vi.advanceTimersByTime(60_000);
    expect(reductions).toEqual([12_000]);
    reducer.stop();
  });

  it('starts counting again after a busy check, and reduces again in the next idle spell', () => {
    const { reducer, reductions } = reducerOver([0, 0, 0, 0, 0.3, 0, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 0]);
    vi.advanceTimersByTime(10_000);
    // The fifth check was busy: no ten idle seconds yet.
    expect(reductions).toEqual([]);
    vi.advanceTimersByTime(10_000);
    expect(reductions).toEqual([20_000]);
    vi.advanceTimersByTime(12_000);
    expect(reductions).toEqual([20_000, 32_000]);
    reducer.stop();
  });

  it('does nothing once stopped', () => {
    const { reducer, reductions } = reducerOver([]);
    reducer.stop();
    vi.advanceTimersByTime(60_000);
    expect(reductions).toEqual([]);
  });
});
