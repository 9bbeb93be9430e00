// One mysql2 pool for the whole process, shared by Kysely (for most queries) and by the request path's
// single-round-trip transaction (see attendance-store.ts).

import { Kysely, MysqlDialect } from 'kysely';
import { createPool, type Pool, type PoolOptions } from 'mysql2';
import type { PoolConnection, Pool as PromisePool } from 'mysql2/promise';
import { DependencyUnavailableError } from '../../app/dependency-unavailable.ts';
import { RecordRefusedError, StoreMisconfiguredError } from '../../app/store-errors.ts';
import type { RecordingDatabase } from './schema.ts';

export interface Database {
  db: Kysely<RecordingDatabase>;
  pool: PromisePool;
  databaseName: string;
  close(): Promise<void>;
}

export function connectionOptions(databaseUrl: string): PoolOptions {
  const url = new URL(databaseUrl);
  return {
    host: url.hostname,
    port: url.port === '' ? 3306 : Number(url.port),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')),
    charset: 'utf8mb4_bin',
    // Local business times stay text end to end: no driver-side time zone conversion.
    dateStrings: true,
    supportBigNumbers: true,
    // Used only for the request path's transaction, whose statements are all parameterised.
    multipleStatements: true,
    connectTimeout: 2000,
    enableKeepAlive: true,
    // No caller stack captured per query: it cost about 5 % of the request path's CPU (docs/benchmarks.md).
    // Failures are still named by the operation that met them (withDeadline's label, the logged error code).
    trace: false,
  };
}

export function openDatabase(databaseUrl: string, poolSize: number): Database {
  const options = connectionOptions(databaseUrl);
  const callbackPool: Pool = createPool({ ...options, connectionLimit: poolSize, maxIdle: poolSize, queueLimit: 0 });
  const db = new Kysely<RecordingDatabase>({ dialect: new MysqlDialect({ pool: callbackPool }) });
  return {
    db,
    pool: callbackPool.promise(),
    databaseName: options.database as string,
    // Kysely's destroy ends the pool it was given.
    close: () => db.destroy(),
  };
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_QUERY_INTERRUPTED',
  'ER_OPTION_PREVENTS_STATEMENT', // a read-only replica after a failover
]);

/**
 * Gives a pooled connection back after a statement of an open transaction failed: the transaction is rolled
 * back before the pool hands the connection out again, and a broken connection is dropped instead.
 */
export async function releaseAfterFailure(connection: PoolConnection, error: unknown): Promise<void> {
  if (isDatabaseUnavailable(error)) {
    connection.destroy();
    return;
  }
  await connection.query('ROLLBACK').then(
    () => connection.release(),
    () => connection.destroy(),
  );
}

/** True for errors that say "the database cannot serve now" rather than "this statement is wrong". */
function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: string; fatal?: boolean; errno?: number };
  return e.fatal === true || (e.code !== undefined && UNAVAILABLE_CODES.has(e.code));
}

export function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'ER_DUP_ENTRY';
}

/** InnoDB may pick a duplicate-key insert as a deadlock victim under concurrency; the transaction is retried. */
export function isDeadlock(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'ER_LOCK_DEADLOCK';
}

/**
 * The driver's error in the use cases' terms. By SQLSTATE class rather than error name: mysql2 names MariaDB's
 * own numbers after unrelated MySQL errors (MariaDB's failed CHECK constraint, 4025, arrives as
 * ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE). Anything not recognised is passed on as it is: the caller treats it as
 * unknown (retried and reported, never taken for the data's fault).
 */
export function storeErrorOf(error: unknown): unknown {
  if (isDatabaseUnavailable(error)) return new DependencyUnavailableError('database', error);
  // Left after the store's own retries: contention, which passes.
  if (isDeadlock(error) || isDuplicateKey(error)) return new DependencyUnavailableError('database', error, 'busy');
  const { sqlState, errno } = (error ?? {}) as { sqlState?: string; errno?: number };
  if (sqlState === undefined) return error;
  // 22: data exception (too long, out of range, bad date); 23: integrity constraint (NOT NULL, CHECK, foreign key);
  // 1366 (incorrect string value) says HY000 although it is about the data too.
  if (sqlState.startsWith('22') || sqlState.startsWith('23') || errno === 1366) return new RecordRefusedError(error);
  // 42: no such table or column, no rights on it, a statement the server cannot parse; 3D: no such database.
  if (sqlState.startsWith('42') || sqlState.startsWith('3D')) return new StoreMisconfiguredError(error);
  return error;
}
