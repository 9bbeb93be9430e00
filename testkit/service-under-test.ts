// Starts the real service in this process against the test broker and a fresh database of its own, with
// topic names and a consumer group unique to the caller, so that test files never see each other's data.

import { randomBytes } from 'node:crypto';
import { type Connection, createConnection } from 'mysql2/promise';
import type { Logger } from 'pino';
import { inject } from 'vitest';
import { type Config, loadConfig } from '../../src/config.ts';
import { type RunningService, startService } from '../../src/service.ts';

export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

/**
 * The environment of a service under test: a fresh database, unique topic names and consumer group (so test
 * files never see each other's data), on top of `overrides`. Used as is for child processes (`node src/main.ts`)
 * and through loadConfig for in-process services, so both read configuration exactly as production does.
 */
export function isolatedServiceEnv(overrides: Record<string, string> = {}, prefix = 't'): Record<string, string> {
  const suffix = uniqueSuffix();
  return {
    DATABASE_URL: `${inject('databaseServerUrl')}/rc_${prefix}_${suffix}`,
    KAFKA_BROKERS: inject('kafkaBootstrap'),
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    KAFKA_GROUP_ID: `recording-${prefix}-${suffix}`,
    KAFKA_TOPIC_PARTITIONS: '3',
    TOPIC_DATING_PARTICIPATION_COMPLETED: `${prefix}${suffix}.dating.participation.completed`,
    TOPIC_STUDY_PARTICIPATION_COMPLETED: `${prefix}${suffix}.study.participation.completed`,
    TOPIC_ATTENDANCE_RECORDED: `${prefix}${suffix}.recording.attendance`,
    TOPIC_DATING_PARTICIPATION_RECORDED: `${prefix}${suffix}.recording.dating-participation`,
    TOPIC_STUDY_PARTICIPATION_RECORDED: `${prefix}${suffix}.recording.study-participation`,
    ...overrides,
  };
}

/** Config as production reads it, from env-style overrides on top of isolated test defaults. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig(isolatedServiceEnv({ PORT: '0', ...overrides }));
}

export interface ServiceUnderTest {
  config: Config;
  service: RunningService;
  baseUrl: string;
  /** A plain connection to the service's database, for assertions on what is stored. */
  sql: Connection;
  stop(): Promise<void>;
}

/** `logger` replaces the service's own (stdout) logger, e.g. to read what the service logs. */
export async function startTestService(config: Config = testConfig(), logger?: Logger): Promise<ServiceUnderTest> {
  const service = await startService(config, logger);
  const url = new URL(config.databaseUrl);
  const sql = await createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1),
    dateStrings: true,
  });
  return {
    config,
    service,
    baseUrl: `http://127.0.0.1:${service.address.port}`,
    sql,
    stop: async () => {
      await service.stop();
      await sql.end();
    },
  };
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const connection = await createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });
  await connection.query(`DROP DATABASE IF EXISTS ${connection.escapeId(url.pathname.slice(1))}`);
  await connection.end();
}
