// Prometheus metrics (prom-client): what an operator needs to see that nothing is lost and nothing lags.
// Each adapter reports through a small observer; this file owns every metric name.

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { IngestionObserver } from '../../app/ingest-participations.ts';
import type { RelayObserver } from '../../app/outbox-relay.ts';
import type { ConsumerObserver } from '../kafka/participation-consumer.ts';

export class ServiceMetrics {
  readonly registry = new Registry();

  readonly #httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly #consumed = new Counter({
    name: 'participation_messages_consumed_total',
    help: 'Messages read from the participation topics',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });

  readonly #recorded = new Counter({
    name: 'participations_recorded_total',
    help: 'Participations stored (new records)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly #deduplicated = new Counter({
    name: 'participations_deduplicated_total',
    help: 'Participation messages acknowledged without a new record (already stored or repeated in the batch)',
    registers: [this.registry],
  });

  readonly #deadLettered = new Counter({
    name: 'participation_messages_dead_lettered_total',
    help: 'Messages sent to the dead-letter topic',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });

  readonly #storeFailures = new Counter({
    name: 'participation_store_failures_total',
    help:
      'Failed attempts to record participations, by class: refused (the data itself; dead-lettered when alone), ' +
      'unavailable (retried), unknown (retried; an error nobody classified: alert on it), fatal (ingestion halted)',
    labelNames: ['class'] as const,
    registers: [this.registry],
  });

  readonly #consumerLag = new Gauge({
    name: 'kafka_consumer_lag_messages',
    help: 'Messages between the committed offset and the end of each assigned partition',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  readonly #relayLatency = new Histogram({
    name: 'outbox_commit_to_ack_seconds',
    help: 'Time from an outbox row being written to the broker acknowledging its event',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300],
    registers: [this.registry],
  });

  readonly #published = new Counter({
    name: 'outbox_events_published_total',
    help: 'Events acknowledged by the broker',
    registers: [this.registry],
  });

  readonly #swept = new Counter({
    name: 'outbox_events_swept_total',
    help: "Events published by this instance's sweep: left in the outbox by an instance that crashed, stopped or could not send",
    registers: [this.registry],
  });

  constructor(options: { outboxBacklog: () => Promise<{ pending: number; oldestAgeMs: number }> }) {
    collectDefaultMetrics({ register: this.registry });
    // Read from the database when scraped, so that every instance reports the one shared outbox.
    let lastBacklog: Promise<{ pending: number; oldestAgeMs: number }> | undefined;
    const backlog = () => {
      lastBacklog ??= options.outboxBacklog().finally(() => {
        lastBacklog = undefined;
      });
      return lastBacklog;
    };
    new Gauge({
      name: 'outbox_backlog_events',
      help: 'Events written to the outbox and not yet acknowledged by the broker',
      registers: [this.registry],
      async collect() {
        this.set((await backlog().catch(() => ({ pending: Number.NaN }))).pending);
      },
    });
    new Gauge({
      name: 'outbox_oldest_event_age_seconds',
      help: 'Age of the oldest event still waiting in the outbox',
      registers: [this.registry],
      async collect() {
        this.set((await backlog().catch(() => ({ oldestAgeMs: Number.NaN }))).oldestAgeMs / 1000);
      },
    });
  }

  observeHttp(route: string, method: string, status: number, seconds: number): void {
    this.#httpDuration.observe({ route, method, status: String(status) }, seconds);
  }

  observeConsumerLag(lag: Map<string, bigint[]>): void {
    for (const [topic, partitions] of lag) {
      partitions.forEach((value, partition) => {
        // Negative values mean "not assigned to this instance".
        if (value >= 0n) this.#consumerLag.set({ topic, partition: String(partition) }, Number(value));
        else this.#consumerLag.remove({ topic, partition: String(partition) });
      });
    }
  }

  readonly relayObserver: RelayObserver = {
    published: (commitToAckMs) => {
      this.#published.inc(commitToAckMs.length);
      for (const ms of commitToAckMs) this.#relayLatency.observe(ms / 1000);
    },
    swept: (count) => this.#swept.inc(count),
  };

  readonly ingestionObserver: IngestionObserver = {
    storeFailed: (failure) => this.#storeFailures.inc({ class: failure }),
  };

  readonly consumerObserver: ConsumerObserver = {
    batchProcessed: ({ byTopic, outcome }) => {
      for (const [topic, counts] of byTopic) {
        this.#consumed.inc({ topic }, counts.consumed);
        if (counts.deadLettered > 0) this.#deadLettered.inc({ topic }, counts.deadLettered);
      }
      for (const [kind, count] of outcome.recorded) this.#recorded.inc({ kind }, count);
      if (outcome.duplicates > 0) this.#deduplicated.inc(outcome.duplicates);
    },
  };
}
