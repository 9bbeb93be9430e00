// Gives memory back once the process has gone idle. Under load V8 grows the young generation and keeps its
// freed pages pooled for the next burst; only a memory-reducing collection returns them, and V8's own memory
// reducer, which would run one, judges this process never idle enough (a consumer fetch every 500 ms, a sweep
// poll, heartbeats). So after a while with the event loop nearly unused, one such collection is run here: about
// 20 MB of resident memory back (docs/benchmarks.md) for a pause of up to a hundred milliseconds, taken when
// nothing is waiting. Once per idle spell: the next needs a busy spell in between.

export interface IdleMemoryOptions {
  /** How often the event loop's use is looked at. */
  checkEveryMs: number;
  /** How long the loop must have been idle. */
  idleForMs: number;
  /** At most this share of the time busy (0-1) counts as idle. */
  maxIdleUtilization: number;
  /** The share of time the event loop was busy since the previous call (the first call: since start). */
  loopUtilizationSinceLastCheck(): number;
  /** Runs the memory-reducing collection. */
  reduceMemory(): void;
  onReduced?(tookMs: number): void;
}

export class IdleMemoryReducer {
  readonly #options: IdleMemoryOptions;
  #idleSinceMs = 0;
  #reducedThisSpell = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: IdleMemoryOptions) {
    this.#options = options;
  }

  start(): void {
    this.#timer ??= setInterval(() => this.#check(), this.#options.checkEveryMs);
    // Never what keeps the process alive.
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    const { checkEveryMs, idleForMs, maxIdleUtilization } = this.#options;
    if (this.#options.loopUtilizationSinceLastCheck() > maxIdleUtilization) {
      this.#idleSinceMs = 0;
      this.#reducedThisSpell = false;
      return;
    }
    this.#idleSinceMs += checkEveryMs;
    if (this.#reducedThisSpell || this.#idleSinceMs < idleForMs) return;
    this.#reducedThisSpell = true;
    const startedAt = performance.now();
    this.#options.reduceMemory();
    this.#options.onReduced?.(performance.now() - startedAt);
  }
}
