// The one outbox relay of this service, built the same way for the service and the republish CLI: the MySQL
// outbox behind the relay use case, the Kafka publisher in front of it, with the configured batch and sweep
// settings. Part of the composition root: only here do the MySQL and Kafka adapters meet.

import type { Logger } from 'pino';
import { KafkaEventPublisher } from './adapters/kafka/event-publisher.ts';
import type { EventProducer } from './adapters/kafka/kafka-clients.ts';
import type { Database } from './adapters/mysql/database.ts';
import { MysqlOutboxStore } from './adapters/mysql/outbox-store.ts';
import { OutboxRelay, type RelayObserver } from './app/outbox-relay.ts';
import type { Config } from './config.ts';

export type OutboxRelayConfig = Pick<
  Config,
  | 'databaseUrl'
  | 'topics'
  | 'businessTimeZone'
  | 'cloudEventsSource'
  | 'outboxPollIntervalMs'
  | 'outboxSweepAfterMs'
  | 'outboxLingerMs'
  | 'outboxBatchSize'
>;

export function createOutboxRelay(
  config: OutboxRelayConfig,
  deps: { database: Database; producer: EventProducer; logger: Logger; observer?: RelayObserver },
): OutboxRelay {
  return new OutboxRelay({
    // An outbox store of its own: the sweep lease lives on the store's connection.
    outbox: new MysqlOutboxStore(config.databaseUrl, deps.database),
    publisher: new KafkaEventPublisher(deps.producer, {
      topics: config.topics,
      zone: config.businessTimeZone,
      source: config.cloudEventsSource,
    }),
    log: deps.logger.child({ component: 'outbox-relay' }),
    sweepIntervalMs: config.outboxPollIntervalMs,
    sweepAfterMs: config.outboxSweepAfterMs,
    lingerMs: config.outboxLingerMs,
    batchSize: config.outboxBatchSize,
    observer: deps.observer,
  });
}
