// Starts the real service in this process against the test broker and a fresh database of its own, with
// topic names and a consumer group unique to the caller, so that test files never see each other's data.

import type { Connection } from 'mysql2/promise';
import type { Logger } from 'pino';
import type { Config } from '../src/config.ts';
import { type RunningService, startService } from '../src/service.ts';
import { connectToDatabase, dropDatabase } from './mysql.ts';
import { testEnvironment } from './test-environment.ts';

/** Config as production reads it, from env-style overrides on top of isolated test defaults. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return testEnvironment({ PORT: '0', ...overrides }).config;
}

export interface ServiceUnderTest {
  config: Config;
  service: RunningService;
  baseUrl: string;
  /** A plain connection to the service's database, for assertions on what is stored. */
  sql: Connection;
  stop(): Promise<void>;
  /** stop(), then drop its database: for the end of a file (a restart on the same database uses stop()). */
  dispose(): Promise<void>;
}

/** `logger` replaces the service's own (stdout) logger, e.g. to read what the service logs. */
export async function startTestService(config: Config = testConfig(), logger?: Logger): Promise<ServiceUnderTest> {
  const service = await startService(config, logger);
  const sql = await connectToDatabase(config.databaseUrl);
  const stop = async () => {
    await service.stop();
    await sql.end();
  };
  return {
    config,
    service,
    baseUrl: `http://127.0.0.1:${service.address.port}`,
    sql,
    stop,
    dispose: async () => {
      await stop();
      await dropDatabase(config.databaseUrl);
    },
  };
}
