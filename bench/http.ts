// POST /api/attendance: throughput at 64 connections against the service, the same transaction with mysql2
// and no HTTP (the raw ceiling), and latency at a fixed rate. Every request is a user of its own, so every
// answer is a 201 and every request commits.

import autocannon from 'autocannon';
import { type Connection, createConnection, createPool, type ResultSetHeader } from 'mysql2/promise';
import { INSERT_WITH_EVENT } from '../src/adapters/mysql/attendance-store.ts';
import { connectionOptions } from '../src/adapters/mysql/database.ts';
import { atFixedRate, percentile, postAtFixedRate } from './fixed-rate.ts';

export interface ThroughputResult {
  rps: number;
  /** Count per status (HTTP) or per outcome (ceiling). */
  outcomes: Record<string, number>;
  errors: number;
  seconds: number;
}

export async function httpThroughput(options: {
  baseUrl: string;
  connections: number;
  seconds: number;
  ownerPrefix: string;
}): Promise<ThroughputResult> {
  let next = 0;
  const result = await autocannon({
    url: `${options.baseUrl}/api/attendance`,
    connections: options.connections,
    duration: options.seconds,
    method: 'POST',
    timeout: 10,
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          headers: { ...request.headers, 'x-owner-id': `${options.ownerPrefix}${next++}` },
        }),
      },
    ],
  });
  const outcomes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([status, { count }]) => [status, count]));
  return {
    rps: result['2xx'] / result.duration,
    outcomes,
    errors: result.errors + result.timeouts,
    seconds: result.duration,
  };
}

/** The same transaction on `connections` connections of their own, each one after the other as fast as it goes. */
export async function httpCeiling(options: {
  databaseUrl: string;
  connections: number;
  seconds: number;
  ownerPrefix: string;
}): Promise<ThroughputResult> {
  const connections: Connection[] = [];
  try {
    for (let i = 0; i < options.connections; i++)
      connections.push(await createConnection(connectionOptions(options.databaseUrl)));
    let next = 0;
    let commits = 0;
    let failures = 0;
    const startedAt = performance.now();
    const endAt = startedAt + options.seconds * 1000;
    await Promise.all(
      connections.map(async (connection) => {
        while (performance.now() < endAt) {
          const time = '2025-01-03 10:00:00.000';
          try {
            const [results] = await connection.query({ sql: INSERT_WITH_EVENT, timeout: 10_000 }, [
              `${options.ownerPrefix}${next++}`,
              time,
              '2025-01-03',
              time,
              null,
            ]);
            if ((results as ResultSetHeader[])[1]?.insertId === undefined) throw new Error('no insert id');
            commits++;
          } catch {
            failures++;
            await connection.query('ROLLBACK').catch(() => undefined);
          }
        }
      }),
    );
    const seconds = (performance.now() - startedAt) / 1000;
    return { rps: commits / seconds, outcomes: { commit: commits }, errors: failures, seconds };
  } finally {
    await Promise.all(connections.map((c) => c.end().catch(() => c.destroy())));
  }
}

/**
 * The same transaction at a fixed rate, open loop (each latency from its due time), on a pool of connections:
 * what the database alone answers at the rate of http.fixedRate, so that the service's p99 can be read against
 * the database's own (a commit waits for its log flush, and that tail is the database's).
 */
export async function commitLatencyAtRate(options: {
  databaseUrl: string;
  rate: number;
  seconds: number;
  ownerPrefix: string;
}): Promise<{ p50Ms: number; p99Ms: number; commits: number; failures: number }> {
  const pool = createPool({ ...connectionOptions(options.databaseUrl), connectionLimit: 64 });
  const latencies: number[] = [];
  let failures = 0;
  try {
    const time = '2025-01-03 10:00:00.000';
    await atFixedRate(options, (i, dueAt) =>
      pool
        .query({ sql: INSERT_WITH_EVENT, timeout: 10_000 }, [`${options.ownerPrefix}${i}`, time, '2025-01-03', time, null])
        .then(
          () => {
            latencies.push(performance.now() - dueAt);
          },
          () => {
            failures++;
          },
        ),
    );
    return { p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), commits: latencies.length, failures };
  } finally {
    await pool.end();
  }
}

export async function httpFixedRateLatency(options: {
  baseUrl: string;
  rate: number;
  seconds: number;
  ownerPrefix: string;
}): Promise<{ p50Ms: number; p99Ms: number; maxMs: number; outcomes: Record<string, number> }> {
  const result = await postAtFixedRate(options);
  return {
    p50Ms: percentile(result.latenciesMs, 50),
    p99Ms: percentile(result.latenciesMs, 99),
    maxMs: percentile(result.latenciesMs, 100),
    outcomes: result.statuses,
  };
}
