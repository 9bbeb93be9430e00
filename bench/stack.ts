// What the benchmark runs against: a Kafka broker of its own on a free port (never the dev broker), the
// machine's MariaDB/MySQL server (or a private one when none answers), and fresh databases that are dropped
// again at the end. Everything listens on 127.0.0.1 only.

import type { Connection } from 'mysql2/promise';
import { ensureTopics } from '../src/adapters/kafka/kafka-clients.ts';
import { allTopics } from '../src/record-kinds/registry.ts';
import { connectToServer } from '../testkit/mysql.ts';
import { isolatedEnvironment, type ServiceEnvironment } from '../testkit/service-environment.ts';
import { startLocalStack } from '../testkit/stack.ts';

export interface BenchStack {
  kafkaBootstrap: string;
  /** mysql://user@host:port, without a database. */
  databaseServerUrl: string;
  kafkaPid: number | undefined;
  /** A database name that is dropped on dispose(); created by whoever uses it first. */
  databaseUrl(name: string): string;
  /** A plain connection to the server, for status counters and checks. */
  admin: Connection;
  dispose(): Promise<void>;
}

export async function startStack(options: { databaseServerUrl: string; runId: string }): Promise<BenchStack> {
  if (!['127.0.0.1', 'localhost'].includes(new URL(options.databaseServerUrl).hostname))
    throw new Error('the benchmark only talks to 127.0.0.1');
  const local = await startLocalStack({ databaseServerUrl: options.databaseServerUrl, name: 'bench' });
  const databases: string[] = [];
  let admin: Connection | undefined;
  const dispose = async () => {
    if (admin !== undefined) {
      for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeId(name)}`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    }
    await local.dispose().catch(() => undefined);
  };
  try {
    admin = await connectToServer(options.databaseServerUrl);
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    kafkaBootstrap: local.broker.bootstrap,
    databaseServerUrl: options.databaseServerUrl,
    kafkaPid: local.broker.broker.pid,
    admin,
    databaseUrl: (name) => {
      const database = `bench_${options.runId}_${name}`;
      databases.push(database);
      return `${options.databaseServerUrl}/${database}`;
    },
    dispose,
  };
}

/**
 * The environment a measured service runs with against `stack` (as the Dockerfile runs it, plus `overrides`),
 * the service's own reading of it, and its topics created with that reading's names and partition count.
 */
export async function serviceEnvironment(
  stack: BenchStack,
  options: { name: string; overrides?: Record<string, string> },
): Promise<ServiceEnvironment> {
  const environment = isolatedEnvironment({
    kafkaBootstrap: stack.kafkaBootstrap,
    databaseServerUrl: stack.databaseServerUrl,
    prefix: options.name,
    // The broker is the benchmark's own: the production topic names.
    ownTopics: false,
    overrides: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NODE_ENV: 'production',
      DATABASE_URL: stack.databaseUrl('service'),
      ...options.overrides,
    },
  });
  await ensureTopics({
    brokers: [stack.kafkaBootstrap],
    clientId: 'bench',
    topics: allTopics(environment.config.topics),
    partitions: environment.config.kafkaTopicPartitions,
    replicationFactor: 1,
  });
  return environment;
}
