// The one way this service works in the background: the outbox relay, the participation consumer and topic
// provisioning all repeat a unit of work until told to stop, back off (doubling, capped) while it fails, log
// a failure streak sparingly, and end every wait at once when the stop signal fires.

/** A retry schedule: the first wait, doubled after every further failure, never longer than `maxMs`. */
export interface Backoff {
  firstMs: number;
  maxMs: number;
}

/** The wait after the `failures`-th failure in a row (1-based). */
export function backoffMs(failures: number, backoff: Backoff): number {
  return Math.min(backoff.maxMs, backoff.firstMs * 2 ** Math.min(Math.max(failures, 1) - 1, 20));
}

/** The first failure of a streak and then every `every`-th: an outage shows in the log without a storm. */
export function worthLogging(failures: number, every = 20): boolean {
  return failures === 1 || failures % every === 0;
}

/** Waits `ms`, or less when `signal` aborts; never rejects, so a stop is not an error. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * A doorbell between code that creates work (a commit) and a loop that sleeps between rounds: a ring during
 * the wait ends it, and a ring before the wait makes the next wait return at once, so no ring is lost.
 */
export class Wakeup {
  #rung = false;
  #answer: (() => void) | undefined;

  ring(): void {
    this.#rung = true;
    this.#answer?.();
  }

  /** Waits up to `ms` for a ring (or the stop signal); answers whether it was rung. */
  async wait(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (!this.#rung && !signal?.aborted) {
      const rung = new Promise<void>((resolve) => {
        this.#answer = resolve;
      });
      const stop = new AbortController();
      const onAbort = () => stop.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      await Promise.race([rung, pause(ms, stop.signal)]);
      stop.abort();
      signal?.removeEventListener('abort', onAbort);
      this.#answer = undefined;
    }
    const rung = this.#rung;
    this.#rung = false;
    return rung;
  }
}

/** Thrown by `retrying` when the stop signal fired before the work succeeded. */
export class Stopped extends Error {
  constructor() {
    super('stopped before the work succeeded');
    this.name = 'Stopped';
  }
}

/**
 * Runs `work` until it succeeds. A failure `isTransient` calls transient is retried after the backoff (and
 * reported to `onRetry`); any other failure is thrown to the caller, who knows what else to do with it. A stop
 * ends the retries with `Stopped`; the first attempt always runs, so work in hand is finished when it can be.
 */
export async function retrying<T>(
  work: () => Promise<T>,
  options: {
    signal: AbortSignal;
    backoff: Backoff;
    isTransient(error: unknown): boolean;
    onRetry?(error: unknown, failures: number): void;
  },
): Promise<T> {
  for (let failures = 0; ; ) {
    try {
      return await work();
    } catch (error) {
      if (!options.isTransient(error)) throw error;
      failures++;
      options.onRetry?.(error, failures);
      if (options.signal.aborted) throw new Stopped();
      await pause(backoffMs(failures, options.backoff), options.signal);
      if (options.signal.aborted) throw new Stopped();
    }
  }
}

/**
 * Repeats `round` until the stop signal fires. A round that throws is followed by the backoff: `onFailure`
 * hears every failure with the streak's length, `onRecovery` the first success after a streak. A round waits
 * for its own work (a wake-up, the next message), bounded, so that it sees the stop signal.
 */
export async function repeatUntilStopped(options: {
  signal: AbortSignal;
  round(): Promise<void>;
  backoff: Backoff;
  onFailure(error: unknown, failures: number): void;
  onRecovery?(failures: number): void;
}): Promise<void> {
  let failures = 0;
  while (!options.signal.aborted) {
    try {
      await options.round();
      if (failures > 0) options.onRecovery?.(failures);
      failures = 0;
    } catch (error) {
      if (options.signal.aborted) break;
      failures++;
      options.onFailure(error, failures);
      await pause(backoffMs(failures, options.backoff), options.signal);
    }
  }
}
