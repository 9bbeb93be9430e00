// What the benchmark runs against: a Kafka broker of its own on a free port (never the dev broker), the
// machine's MariaDB/MySQL server (or a private one when none answers), and fresh databases that are dropped
// again at the end. Everything listens on 127.0.0.1 only.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Connection, createConnection } from 'mysql2/promise';
import { ensureDatabaseServer, stopPrivateDatabaseServer } from '../scripts/local-stack/database.ts';
import { KafkaBroker } from '../scripts/local-stack/kafka-broker.ts';
import { ensureTopics } from '../src/adapters/kafka/kafka-clients.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { allTopics } from '../src/record-kinds/registry.ts';
import { freePort } from '../test/support/free-port.ts';

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
  const dir = await mkdtemp(join(tmpdir(), 'recording-bench-'));
  const databases: string[] = [];
  let broker: KafkaBroker | undefined;
  let admin: Connection | undefined;
  const dispose = async () => {
    if (admin !== undefined) {
      for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeId(name)}`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    }
    await broker?.stop().catch(() => undefined);
    await stopPrivateDatabaseServer(join(dir, 'mysql')).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const serverUrl = new URL(options.databaseServerUrl);
    if (!['127.0.0.1', 'localhost'].includes(serverUrl.hostname)) throw new Error('the benchmark only talks to 127.0.0.1');
    await ensureDatabaseServer(`${options.databaseServerUrl}/mysql`, {
      dataDir: join(dir, 'mysql'),
      logFile: join(dir, 'mysql.log'),
    });
    admin = await createConnection({
      host: serverUrl.hostname,
      port: Number(serverUrl.port || 3306),
      user: decodeURIComponent(serverUrl.username) || 'root',
      password: decodeURIComponent(serverUrl.password),
    });
    await KafkaBroker.ensureJars();
    broker = new KafkaBroker({ port: await freePort(), dataDir: join(dir, 'kafka'), logFile: join(dir, 'kafka.log') });
    await broker.start();
    const startedBroker = broker;
    const connection = admin;
    return {
      kafkaBootstrap: startedBroker.bootstrap,
      databaseServerUrl: options.databaseServerUrl,
      kafkaPid: startedBroker.pid,
      admin: connection,
      databaseUrl: (name) => {
        const database = `bench_${options.runId}_${name}`;
        databases.push(database);
        return `${options.databaseServerUrl}/${database}`;
      },
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/**
 * The environment a measured service runs with against `stack` (as the Dockerfile runs it, plus `overrides`),
 * the service's own reading of it, and its topics created with that reading's names and partition count.
 */
export async function serviceEnvironment(
  stack: BenchStack,
  options: { groupId: string; overrides?: Record<string, string> },
): Promise<{ env: Record<string, string>; config: Config }> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    DATABASE_URL: stack.databaseUrl('service'),
    KAFKA_BROKERS: stack.kafkaBootstrap,
    KAFKA_GROUP_ID: options.groupId,
    ...options.overrides,
  };
  const config = loadConfig(env);
  await ensureTopics({
    brokers: [stack.kafkaBootstrap],
    clientId: 'bench',
    topics: allTopics(config.topics),
    partitions: config.kafkaTopicPartitions,
    replicationFactor: 1,
  });
  return { env, config };
}
