import { describe, expect, it } from 'vitest';
import { backoffMs, pause, repeatUntilStopped, retrying, Stopped, Wakeup, worthLogging } from '../../src/app/background-loop.ts';

const NEVER = 60_000;

describe('backoff', () => {
  it('doubles from the first wait and stops at the cap', () => {
    const schedule = [1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffMs(n, { firstMs: 200, maxMs: 5000 }));
    expect(schedule).toEqual([200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  });

  it('logs the first failure of a streak and then every n-th', () => {
    expect([1, 2, 19, 20, 21, 40].map((n) => worthLogging(n))).toEqual([true, false, false, true, false, true]);
    expect([1, 5, 10].map((n) => worthLogging(n, 10))).toEqual([true, false, true]);
  });
});

describe('pause', () => {
  it('ends at once when the stop signal fires, without rejecting', async () => {
    const stop = new AbortController();
    const waiting = pause(NEVER, stop.signal);
    stop.abort();
    await expect(waiting).resolves.toBeUndefined();
    await expect(pause(NEVER, stop.signal)).resolves.toBeUndefined();
  });
});

describe('Wakeup', () => {
  it('ends a wait when rung, and answers that it was rung', async () => {
    const wakeup = new Wakeup();
    const waiting = wakeup.wait(NEVER);
    wakeup.ring();
    await expect(waiting).resolves.toBe(true);
  });

  it('keeps a ring that came before the wait, so that no commit is missed', async () => {
    const wakeup = new Wakeup();
    wakeup.ring();
    await expect(wakeup.wait(NEVER)).resolves.toBe(true);
    await expect(wakeup.wait(1)).resolves.toBe(false);
  });

  it('ends a wait on stop without a ring', async () => {
    const wakeup = new Wakeup();
    const stop = new AbortController();
    const waiting = wakeup.wait(NEVER, stop.signal);
    stop.abort();
    await expect(waiting).resolves.toBe(false);
  });
});

describe('retrying', () => {
  const fast = { firstMs: 1, maxMs: 2 };

  it('retries transient failures until the work succeeds, reporting each', async () => {
    let calls = 0;
    const retries: number[] = [];
    const result = await retrying(
      async () => {
        calls++;
        if (calls < 4) throw new Error('transient');
        return 'done';
      },
      { signal: new AbortController().signal, backoff: fast, isTransient: () => true, onRetry: (_, n) => retries.push(n) },
    );
    expect(result).toBe('done');
    expect(retries).toEqual([1, 2, 3]);
  });

  it('throws a failure that is not transient to the caller at once', async () => {
    let calls = 0;
    const refused = new Error('refused');
    await expect(
      retrying(
        async () => {
          calls++;
          throw refused;
        },
        { signal: new AbortController().signal, backoff: fast, isTransient: () => false },
      ),
    ).rejects.toBe(refused);
    expect(calls).toBe(1);
  });

  it('gives up with Stopped when stopped while failing, after running the first attempt', async () => {
    const stop = new AbortController();
    stop.abort();
    let calls = 0;
    await expect(
      retrying(
        async () => {
          calls++;
          throw new Error('transient');
        },
        { signal: stop.signal, backoff: fast, isTransient: () => true },
      ),
    ).rejects.toBeInstanceOf(Stopped);
    expect(calls).toBe(1);
  });
});

describe('repeatUntilStopped', () => {
  it('backs off after failures, reports the streak and the recovery, and ends on stop', async () => {
    const stop = new AbortController();
    const failures: number[] = [];
    const recoveries: number[] = [];
    let rounds = 0;
    await repeatUntilStopped({
      signal: stop.signal,
      backoff: { firstMs: 1, maxMs: 2 },
      round: async () => {
        rounds++;
        if (rounds <= 3) throw new Error('down');
        if (rounds === 5) stop.abort();
      },
      onFailure: (_, n) => failures.push(n),
      onRecovery: (n) => recoveries.push(n),
    });
    expect(failures).toEqual([1, 2, 3]);
    expect(recoveries).toEqual([3]);
    expect(rounds).toBe(5);
  });
});
