// Starts what the integration tests talk to: a real Kafka broker of its own on a free port (never the dev
// broker on 9092) and a check that the MySQL-compatible server answers. Each test file creates its own
// database (see service-under-test.ts), so runs never touch dev data and files never see each other's rows.

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureDatabaseServer, stopPrivateDatabaseServer } from '../../scripts/local-stack/database.ts';
import { KafkaBroker } from '../../scripts/local-stack/kafka-broker.ts';
import { freePort } from './free-port.ts';
import { ensureQueryServiceParser } from './query-service-parser.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBootstrap: string;
    databaseServerUrl: string;
    /** Where each test broker of a file's own leaves the contract check of its events (query-service-contract.ts). */
    ownBrokerChecksDir: string | undefined;
  }
}

export default async function setup(project: TestProject) {
  const serverUrl = process.env.TEST_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306';
  const dir = await mkdtemp(join(tmpdir(), 'recording-test-'));
  await ensureDatabaseServer(`${serverUrl}/recording_test`, { dataDir: join(dir, 'mysql'), logFile: join(dir, 'mysql.log') });
  await KafkaBroker.ensureJars();
  await ensureQueryServiceParser();
  const broker = new KafkaBroker({ port: await freePort(), dataDir: join(dir, 'kafka'), logFile: join(dir, 'kafka.log') });
  await broker.start();
  project.provide('kafkaBootstrap', broker.bootstrap);
  project.provide('databaseServerUrl', serverUrl);
  const ownBrokerChecksDir = join(dir, 'own-broker-checks');
  await mkdir(ownBrokerChecksDir);
  project.provide('ownBrokerChecksDir', ownBrokerChecksDir);
  return async () => {
    await broker.stop();
    await stopPrivateDatabaseServer(join(dir, 'mysql'));
    await rm(dir, { recursive: true, force: true });
  };
}
