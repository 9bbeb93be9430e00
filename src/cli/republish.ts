// npm run republish -- [--type <record kind>] [--from DATE] [--to DATE] [--restart]
// Re-emits the events of stored records for rebuilding the query side (see src/app/republish.ts). Runs an
// outbox relay of its own, which stands by while a running service's relay holds the lock and publishes
// itself when no service runs. Ctrl-C stops after the current chunk; the same command resumes.

import { parseArgs } from 'node:util';
import { createEventProducer } from '../adapters/kafka/kafka-clients.ts';
import { openDatabase } from '../adapters/mysql/database.ts';
import { MysqlRepublishStore } from '../adapters/mysql/republish-store.ts';
import { type RepublishRange, republish } from '../app/republish.ts';
import { loadConfig } from '../config.ts';
import { createOutboxRelay } from '../outbox-relay-wiring.ts';
import type { RecordKind } from '../record-kinds/record-kind.ts';
import { RECORD_KINDS, recordKindNamed } from '../record-kinds/registry.ts';
import { createLogger, migrate } from '../service.ts';
import { runTool, timeBound, UsageError } from './arguments.ts';
import { terminalProgress } from './progress.ts';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      type: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      restart: { type: 'boolean', default: false },
      'chunk-size': { type: 'string', default: '500' },
      'max-backlog': { type: 'string', default: '5000' },
    },
    strict: true,
  });
  const config = loadConfig();
  const kinds: readonly RecordKind[] =
    values.type === undefined
      ? RECORD_KINDS
      : [
          recordKindNamed(values.type) ??
            (() => {
              const names = RECORD_KINDS.map((kind) => kind.name);
              const choice = `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
              throw new UsageError(`--type must be ${choice}, not "${values.type}"`);
            })(),
        ];
  const from = timeBound(values.from, config.businessTimeZone, 'from');
  const to = timeBound(values.to, config.businessTimeZone, 'to');

  await migrate(config);
  const logger = createLogger({ logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const database = openDatabase(config.databaseUrl, 4);
  const producer = createEventProducer({ brokers: config.kafkaBrokers, clientId: `${config.kafkaClientId}-republish` });
  // The service's relay, settings and all: it may be the one that publishes while no service runs.
  const relay = createOutboxRelay(config, { database, producer, logger });
  const store = new MysqlRepublishStore(database.db);
  let stopRequested = false;
  process.once('SIGINT', () => {
    stopRequested = true;
  });
  process.once('SIGTERM', () => {
    stopRequested = true;
  });

  relay.start();
  let exitCode = 0;
  try {
    for (const kind of kinds) {
      const range: RepublishRange = { kind, from, to };
      const started = performance.now();
      const bar = terminalProgress(`${kind.eventType} [{bar}] {percentage}% {value}/{total} events | {eta_formatted}`);
      const result = await republish(store, range, values.restart, {
        chunkSize: Number(values['chunk-size']),
        maxBacklog: Number(values['max-backlog']),
        onProgress: (p) => bar.update(p.enqueued, p.total),
        shouldStop: () => stopRequested,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      }).finally(() => bar.stop());
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      if (!result.complete) {
        process.stdout.write(
          `${kind.eventType}: interrupted after ${result.enqueued} events; run the same command again to resume\n`,
        );
        exitCode = 130;
        break;
      }
      process.stdout.write(
        `${kind.eventType}: ${result.enqueued} events enqueued for republishing in ${seconds} s${result.enqueued === 0 ? ' (nothing left to do; --restart runs it again)' : ''}\n`,
      );
    }
    // Wait until the relay (ours or the running service's) has handed everything to Kafka.
    while (!stopRequested && (await store.outboxBacklog()) > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    if (!stopRequested) process.stdout.write('all republished events are acknowledged by Kafka\n');
  } finally {
    await relay.stop();
    await producer.close().catch(() => undefined);
    await database.close();
  }
  return exitCode;
}

await runTool('republish', main);
