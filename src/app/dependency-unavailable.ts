/**
 * A store, broker or key server that cannot serve right now: the caller should retry later (HTTP 503, consumer
 * backoff). `busy` when it answers but contention keeps refusing the work (deadlocks, lock waits).
 */
export class DependencyUnavailableError extends Error {
  readonly dependency: 'database' | 'kafka' | 'JWKS endpoint';
  readonly condition: 'unavailable' | 'busy';

  constructor(
    dependency: 'database' | 'kafka' | 'JWKS endpoint',
    cause: unknown,
    condition: 'unavailable' | 'busy' = 'unavailable',
  ) {
    super(`${dependency} ${condition}`, { cause });
    this.name = 'DependencyUnavailableError';
    this.dependency = dependency;
    this.condition = condition;
  }
}
