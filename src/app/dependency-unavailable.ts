/** A store or broker that cannot serve right now: the caller should retry later (HTTP 503, consumer backoff). */
export class DependencyUnavailableError extends Error {
  readonly dependency: 'database' | 'kafka';

  constructor(dependency: 'database' | 'kafka', cause: unknown) {
    super(`${dependency} unavailable`, { cause });
    this.name = 'DependencyUnavailableError';
    this.dependency = dependency;
  }
}
