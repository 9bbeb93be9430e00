/** A store, broker or key server that cannot serve right now: the caller should retry later (HTTP 503, consumer backoff). */
export class DependencyUnavailableError extends Error {
  readonly dependency: 'database' | 'kafka' | 'JWKS endpoint';

  constructor(dependency: 'database' | 'kafka' | 'JWKS endpoint', cause: unknown) {
    super(`${dependency} unavailable`, { cause });
    this.name = 'DependencyUnavailableError';
    this.dependency = dependency;
  }
}
