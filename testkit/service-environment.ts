// What a service under test or under measurement runs with: its environment variables, and the Config the
// service reads from them (loadConfig, as production does). Used as is for a child process (`node src/main.ts`
// or `node dist/main.js`) and through the Config for a service started in the caller's process.

import { randomBytes } from 'node:crypto';
import { type Config, loadConfig } from '../src/config.ts';

export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

export interface ServiceEnvironment {
  env: Record<string, string>;
  config: Config;
}

export interface EnvironmentOptions {
  kafkaBootstrap: string;
  /** mysql://user@host:port, without a database: the environment's own database is created there. */
  databaseServerUrl: string;
  /** Begins the names of its database, consumer group and topics; a random suffix makes them unique. */
  prefix: string;
  /** Topic names of its own, for a broker other environments share; on a broker of its own the production names stay. */
  ownTopics: boolean;
  /** Any other setting; applied last, so it may also replace the ones above. */
  overrides?: Record<string, string>;
}

/** A database and consumer group of its own (and its own topics, when asked), on top of which `overrides` apply. */
export function isolatedEnvironment(options: EnvironmentOptions): ServiceEnvironment {
  const { prefix } = options;
  const suffix = uniqueSuffix();
  const topics = `${prefix}${suffix}`;
  const env: Record<string, string> = {
    DATABASE_URL: `${options.databaseServerUrl}/rc_${prefix}_${suffix}`,
    KAFKA_BROKERS: options.kafkaBootstrap,
    HOST: '127.0.0.1',
    KAFKA_GROUP_ID: `recording-${prefix}-${suffix}`,
    ...(options.ownTopics
      ? {
          TOPIC_DATING_PARTICIPATION_COMPLETED: `${topics}.dating.participation.completed`,
          TOPIC_STUDY_PARTICIPATION_COMPLETED: `${topics}.study.participation.completed`,
          TOPIC_ATTENDANCE_RECORDED: `${topics}.recording.attendance`,
          TOPIC_DATING_PARTICIPATION_RECORDED: `${topics}.recording.dating-participation`,
          TOPIC_STUDY_PARTICIPATION_RECORDED: `${topics}.recording.study-participation`,
        }
      : {}),
    ...options.overrides,
  };
  // PORT 0 unless set: the caller (or the process harness) picks the port.
  return { env, config: loadConfig({ PORT: '0', ...env }) };
}
