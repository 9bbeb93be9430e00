// The composition root: builds every adapter from the config, wires them to the use cases, starts them,
// and stops them in reverse order.

import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pino, { type Logger } from 'pino';
import { createHttpApi } from './adapters/http/http-api.ts';
import { gatewayIdentity } from './adapters/http/identity.ts';
import { jwtIdentity } from './adapters/http/jwt-identity.ts';
import type { ReadinessCheck } from './adapters/http/operations-routes.ts';
import { deadLetterTopics } from './adapters/kafka/dead-letter.ts';
import { createEventProducer, type EventProducer, ensureTopics } from './adapters/kafka/kafka-clients.ts';
import { ParticipationConsumer } from './adapters/kafka/participation-consumer.ts';
import { ServiceMetrics } from './adapters/metrics/metrics.ts';
import { MysqlAttendanceStore } from './adapters/mysql/attendance-store.ts';
import { type Database, openDatabase } from './adapters/mysql/database.ts';
import { ensureDatabaseExists, migrateToLatest } from './adapters/mysql/migrator.ts';
import { MysqlOutboxStore } from './adapters/mysql/outbox-store.ts';
import { MysqlParticipationStore } from './adapters/mysql/participation-store.ts';
import { retrying, Stopped, worthLogging } from './app/background-loop.ts';
import { type IngestionHalted, ingestParticipations } from './app/ingest-participations.ts';
import type { OnCommitted, OutboxRelay } from './app/outbox-relay.ts';
import type { Config } from './config.ts';
import { buildAsyncApiDocument } from './contracts/asyncapi.ts';
import { createOutboxRelay } from './outbox-relay-wiring.ts';
import { allTopics } from './record-kinds/registry.ts';

const TOPIC_WAIT_AT_START_MS = 3_000;
const TOPIC_PROVISIONING_BACKOFF = { firstMs: 2_000, maxMs: 30_000 };

export interface RunningService {
  /** host:port the HTTP server listens on. */
  address: { host: string; port: number };
  relay: OutboxRelay;
  consumer: ParticipationConsumer | undefined;
  logger: Logger;
  /** Settles when ingestion halts for a reason no retry cures (the store is not as deployed): the process should stop. */
  halted: Promise<IngestionHalted>;
  stop(): Promise<void>;
}

/** JSON lines to stdout, or to `destination` when given. */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { service: 'recording-command' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      // Exact paths only: wildcard paths make every log call slower (measured in docs/benchmarks.md), and no
      // code path logs headers or config objects anyway; these are the guard rails.
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        'authorization',
        'password',
        'secret',
        'config.databaseUrl',
        'config.auth.secret',
      ],
      censor: '[redacted]',
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

export async function migrate(config: Pick<Config, 'databaseUrl'>): Promise<string[]> {
  await ensureDatabaseExists(config.databaseUrl);
  const database = openDatabase(config.databaseUrl, 2);
  try {
    return await migrateToLatest(database.db);
  } finally {
    await database.close();
  }
}

export async function startService(config: Config, logger: Logger = createLogger(config)): Promise<RunningService> {
  const startedAt = performance.now();
  // First: a JWKS file that cannot be read stops the start before anything is opened.
  const identity = config.auth.mode === 'jwt' ? await jwtIdentity(config.auth) : gatewayIdentity();
  if (config.migrateOnStart) {
    const applied = await migrate(config);
    if (applied.length > 0) logger.info({ applied }, 'database migrated');
  }
  const database = openDatabase(config.databaseUrl, config.databasePoolSize);
  const producer = createEventProducer({
    brokers: config.kafkaBrokers,
    clientId: config.kafkaClientId,
    onSessionReset: (error) =>
      logger.warn({ err: error }, 'kafka producer session broken; sending on a new one (events may repeat, same event-id)'),
  });

  const outboxForHealth = new MysqlOutboxStore(config.databaseUrl, database);
  const metrics = new ServiceMetrics({ outboxBacklog: () => outboxForHealth.backlog() });
  const relay = createOutboxRelay(config, { database, producer, logger, observer: metrics.relayObserver });
  const onCommitted: OnCommitted = (events) => relay.committed(events);
  const attendanceStore = new MysqlAttendanceStore(database, { timeoutMs: config.databaseTimeoutMs, onCommitted });
  const participationStore = new MysqlParticipationStore(database, { timeoutMs: config.databaseBatchTimeoutMs, onCommitted });
  let halt: (error: IngestionHalted) => void = () => undefined;
  const halted = new Promise<IngestionHalted>((resolve) => {
    halt = resolve;
  });
  const consumer = config.consumersEnabled
    ? participationConsumer(config, { logger, producer, store: participationStore, metrics, onHalt: halt })
    : undefined;

  const stopProvisioning = new AbortController();
  const topicProvisioning = config.kafkaCreateTopics
    ? provisionTopics(config, logger, stopProvisioning.signal)
    : Promise.resolve();

  const app = await createHttpApi({
    server: {
      logger,
      bodyLimitBytes: config.bodyLimitBytes,
      requestTimeoutMs: config.httpRequestTimeoutMs,
      observeRequest: (route, method, status, seconds) => metrics.observeHttp(route, method, status, seconds),
    },
    readiness: readinessChecks(config, { database, producer, outbox: outboxForHealth }),
    metrics: { contentType: metrics.registry.contentType, text: () => metrics.registry.metrics() },
    attendance: { store: attendanceStore, identity, zone: config.businessTimeZone, now: Date.now },
    // With this instance's topic names: the catalogue shows what this deployment really reads and writes.
    asyncApiDocument: () => buildAsyncApiDocument(config.topics),
  });

  // Start-up waits for the topics only briefly: with Kafka away, HTTP must still come up.
  await Promise.race([topicProvisioning, sleep(TOPIC_WAIT_AT_START_MS, undefined, { ref: false })]);
  relay.start();
  consumer?.start();
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  logger.info({ port, ms: Math.round(performance.now() - startedAt) }, 'recording command service ready');

  let stopping: Promise<void> | undefined;
  return {
    address: { host: config.host, port },
    relay,
    consumer,
    logger,
    halted,
    stop: () => {
      stopping ??= (async () => {
        stopProvisioning.abort();
        await app.close();
        // Consumers first: their last batch commits and wakes the relay, which then flushes it.
        await consumer?.stop();
        await relay.stop();
        await producer.close().catch((error: unknown) => logger.warn({ err: error }, 'kafka producer close failed'));
        await database.close();
      })();
      return stopping;
    },
  };
}

/**
 * Topics are created in the background until it succeeds: a service started while Kafka is down still serves
 * HTTP (events wait in the outbox) and its relay publishes once the broker is back and the topics exist.
 */
function provisionTopics(config: Config, logger: Logger, signal: AbortSignal): Promise<void> {
  return retrying(
    () =>
      ensureTopics({
        brokers: config.kafkaBrokers,
        clientId: config.kafkaClientId,
        topics: allTopics(config.topics),
        partitions: config.kafkaTopicPartitions,
        replicationFactor: config.kafkaTopicReplicationFactor,
      }),
    {
      signal,
      backoff: TOPIC_PROVISIONING_BACKOFF,
      // Every failure here is the broker not answering (yet): keep trying until it does or the service stops.
      isTransient: () => true,
      onRetry: (error, attempt) => {
        if (worthLogging(attempt, 10)) logger.error({ err: error, attempt }, 'could not create kafka topics; retrying');
      },
    },
  ).then(
    (created) => {
      if (created.length > 0) logger.info({ created }, 'kafka topics created');
    },
    (error: unknown) => {
      if (!(error instanceof Stopped)) throw error;
    },
  );
}

/** The consumer of every participation kind's topic, recording through the ingestion use case. */
function participationConsumer(
  config: Config,
  deps: {
    logger: Logger;
    producer: EventProducer;
    store: MysqlParticipationStore;
    metrics: ServiceMetrics;
    onHalt: (error: IngestionHalted) => void;
  },
): ParticipationConsumer {
  const logger = deps.logger.child({ component: 'participation-consumer' });
  const deadLetters = deadLetterTopics(deps.producer, config.kafkaGroupId);
  return new ParticipationConsumer({
    brokers: config.kafkaBrokers,
    clientId: config.kafkaClientId,
    groupId: config.kafkaGroupId,
    topics: config.topics,
    zone: config.businessTimeZone,
    maxBatch: config.consumerMaxBatch,
    logger,
    observer: deps.metrics.consumerObserver,
    onLag: (lag) => deps.metrics.observeConsumerLag(lag),
    onHalt: deps.onHalt,
    ingest: (batch, signal) =>
      ingestParticipations(
        {
          store: deps.store,
          deadLetters,
          zone: config.businessTimeZone,
          now: Date.now,
          signal,
          log: logger,
          observer: deps.metrics.ingestionObserver,
        },
        batch,
      ),
  });
}

/** What /health/ready asks: the database answers, a broker answers, and the outbox is not falling behind. */
function readinessChecks(
  config: Config,
  deps: { database: Database; producer: EventProducer; outbox: MysqlOutboxStore },
): ReadinessCheck[] {
  return [
    {
      name: 'mysql',
      run: async () => {
        await sql`SELECT 1`.execute(deps.database.db);
        return { ok: true };
      },
    },
    {
      name: 'kafka',
      run: async () => {
        const metadata = await deps.producer.metadata({ topics: [] });
        return { ok: metadata.brokers.size > 0, detail: `${metadata.brokers.size} broker(s)` };
      },
    },
    {
      name: 'outbox',
      run: async () => {
        const backlog = await deps.outbox.backlog();
        return { ok: backlog.oldestAgeMs <= config.outboxMaxAgeMs, detail: backlog };
      },
    },
  ];
}
