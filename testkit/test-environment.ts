// Services on the test run's own broker and database server (global-setup.ts provides their addresses): each
// with a fresh database, unique topic names and consumer group, so that test files never see each other's data.

import { join } from 'node:path';
import { inject } from 'vitest';
import { isolatedEnvironment, type ServiceEnvironment } from './service-environment.ts';
import { ServiceProcess } from './service-process.ts';
import { freePort } from './stack.ts';

/** An isolated environment with the tests' defaults (quiet, 3 partitions per topic), on top of which `overrides` apply. */
export function testEnvironment(overrides: Record<string, string> = {}, prefix = 't'): ServiceEnvironment {
  return isolatedEnvironment({
    kafkaBootstrap: inject('kafkaBootstrap'),
    databaseServerUrl: inject('databaseServerUrl'),
    prefix,
    ownTopics: true,
    overrides: { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', KAFKA_TOPIC_PARTITIONS: '3', ...overrides },
  });
}

/** What `node src/main.ts` in a process of its own (serviceProcess) is started with, on top of `overrides`. */
export function serviceEnvironment(overrides: Record<string, string> = {}): ServiceEnvironment {
  return testEnvironment(
    {
      // The child inherits the test's environment (PATH and the like): settings a developer may have exported
      // for the service are pinned here.
      AUTH_MODE: 'gateway',
      MIGRATE_ON_START: 'true',
      KAFKA_CREATE_TOPICS: 'true',
      KAFKA_CONSUMERS_ENABLED: 'true',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      ...overrides,
    },
    'proc',
  );
}

/**
 * The service of `environment` as a process of its own on a free port, its log in the run's log directory;
 * `nodeFlags` before the entry (e.g. `npm start`'s).
 */
export async function serviceProcess(
  name: string,
  environment: ServiceEnvironment,
  nodeFlags: string[] = [],
): Promise<ServiceProcess> {
  const port = await freePort();
  return new ServiceProcess({
    name,
    port,
    env: { ...process.env, ...environment.env },
    logFile: join(inject('serviceLogDir'), `${name}-${port}.log`),
    nodeFlags,
  });
}
