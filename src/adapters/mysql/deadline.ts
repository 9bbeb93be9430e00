import type { PoolConnection, Pool as PromisePool } from 'mysql2/promise';
import { releaseAfterFailure } from './database.ts';

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

/**
 * Runs `work` on a pooled connection under a deadline, connection wait included. Past the deadline the
 * connection is destroyed, since its statement may never answer: the pool neither reuses nor waits for it. A
 * failure otherwise rolls back (or drops a broken connection) before it is passed on.
 */
export async function onConnectionWithDeadline<R>(
  pool: PromisePool,
  ms: number,
  what: string,
  work: (connection: PoolConnection) => Promise<R>,
): Promise<R> {
  /** The connection while the attempt holds it; cleared once it is back in the pool. */
  let held: PoolConnection | undefined;
  let expired = false;
  const attempt = async () => {
    const connection = await pool.getConnection();
    if (expired) {
      connection.release();
      throw new Error(`${what} abandoned at its deadline`);
    }
    held = connection;
    try {
      const result = await work(connection);
      held = undefined;
      connection.release();
      return result;
    } catch (error) {
      held = undefined;
      // Past the deadline the connection is destroyed already.
      if (!expired) await releaseAfterFailure(connection, error);
      throw error;
    }
  };
  try {
    return await withDeadline(attempt(), ms, what);
  } catch (error) {
    if (isDeadlineExpired(error)) {
      expired = true;
      held?.destroy();
    }
    throw error;
  }
}
