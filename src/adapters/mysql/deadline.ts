const EXPIRED = Symbol('deadline expired');

/** True for the error withDeadline rejects with (not for a timeout the driver reports itself). */
export function isDeadlineExpired(error: unknown): boolean {
  return typeof error === 'object' && error !== null && EXPIRED in error;
}

/** Rejects with a timeout error (classified as "database unavailable") when `work` takes longer than `ms`. */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        Object.assign(new Error(`${what} took longer than ${ms} ms`), { code: 'PROTOCOL_SEQUENCE_TIMEOUT', [EXPIRED]: true }),
      );
    }, ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
