// The infrastructure of one test run or benchmark run, from the local stack (scripts/local-stack): a Kafka broker
// of its own on a free port (never the dev broker on 9092), and a MySQL-compatible server: the machine's, or a
// private one started from the installed binaries when none answers. Files live in a temporary directory.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDatabaseServer, stopPrivateDatabaseServer } from '../scripts/local-stack/database.ts';
import { type OwnBroker, startOwnBroker } from './own-broker.ts';

// One rule for ports in tests and benchmarks: see scripts/local-stack/ports.ts.
export { freePort } from '../scripts/local-stack/ports.ts';

export interface LocalStack {
  broker: OwnBroker;
  /** mysql://user@host:port, without a database. */
  databaseServerUrl: string;
  /** Stops what it started (the broker; the database server only if it started a private one), every step even when one fails. */
  dispose(): Promise<void>;
}

export async function startLocalStack(options: { databaseServerUrl: string; name: string }): Promise<LocalStack> {
  const dir = await mkdtemp(join(tmpdir(), `recording-${options.name}-`));
  let broker: OwnBroker | undefined;
  const dispose = () =>
    inTurn([
      async () => broker?.dispose(),
      () => stopPrivateDatabaseServer(join(dir, 'mysql')),
      () => rm(dir, { recursive: true, force: true }),
    ]);
  try {
    await ensureDatabaseServer(`${options.databaseServerUrl}/mysql`, {
      dataDir: join(dir, 'mysql'),
      logFile: join(dir, 'mysql.log'),
    });
    broker = await startOwnBroker();
    return { broker, databaseServerUrl: options.databaseServerUrl, dispose };
  } catch (error) {
    await dispose().catch(() => undefined);
    throw error;
  }
}

/** Runs every step, in order, even after one failed; then throws the first failure. */
async function inTurn(steps: (() => Promise<unknown>)[]): Promise<void> {
  let failure: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure !== undefined) throw failure;
}
