// Starts what the integration tests talk to: a real Kafka broker of its own on a free port (never the dev
// broker on 9092) and a check that the MySQL-compatible server answers. Each test file creates its own
// database (see test-environment.ts), so runs never touch dev data and files never see each other's rows.
// The service processes some tests start write their logs to a directory under .local/, emptied per run.

import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureQueryServiceParser } from './query-service-parser.ts';
import { startLocalStack } from './stack.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBootstrap: string;
    databaseServerUrl: string;
    serviceLogDir: string;
    /** Where each test broker of a file's own leaves the contract check of its events (query-service-contract.ts). */
    ownBrokerChecksDir: string | undefined;
  }
}

/** The suite's infrastructure, service logs in .local/<logDirName>/ (kept for a look after a failure; git-ignored). */
export async function setupTestInfrastructure(project: TestProject, logDirName: string): Promise<() => Promise<void>> {
  const stack = await startLocalStack({
    databaseServerUrl: process.env.TEST_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306',
    name: 'test',
  });
  project.provide('kafkaBootstrap', stack.broker.bootstrap);
  project.provide('databaseServerUrl', stack.databaseServerUrl);
  const serviceLogDir = resolve(import.meta.dirname, '..', '.local', logDirName);
  rmSync(serviceLogDir, { recursive: true, force: true });
  mkdirSync(serviceLogDir, { recursive: true });
  project.provide('serviceLogDir', serviceLogDir);
  return () => stack.dispose();
}

export default async function setup(project: TestProject) {
  // Compiled before the first file runs, so that the contract checks never wait for Maven or javac.
  await ensureQueryServiceParser();
  const teardown = await setupTestInfrastructure(project, 'test-logs');
  const ownBrokerChecksDir = resolve(import.meta.dirname, '..', '.local', 'own-broker-checks');
  rmSync(ownBrokerChecksDir, { recursive: true, force: true });
  mkdirSync(ownBrokerChecksDir, { recursive: true });
  project.provide('ownBrokerChecksDir', ownBrokerChecksDir);
  return teardown;
}
