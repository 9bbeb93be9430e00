// Commit → broker ack of the outbox relay at a steady rate, seen from outside without anything added to the
// service: attendances are POSTed at a fixed rate, and a consumer of the attendance topic takes, for each
// event, the time it received it minus the event's `occurred-at` header (the record's createdAt, taken by
// the service just before its insert). Both clocks are this machine's. The figure is an upper bound of
// commit → ack: it also holds the insert and commit themselves (about a millisecond) and the consumer's fetch.
// With several instances the rate is split evenly between them and each one's latencies are kept apart (by
// the users' prefix), so that an instance whose commits wait for another's relay shows.

import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, MessagesStreamModes, stringDeserializers } from '@platformatic/kafka';
import { eventually } from '../testkit/polling.ts';
import { percentile, postAtFixedRate } from './fixed-rate.ts';

const ARRIVAL_TIMEOUT_MS = 30_000;

export interface RelayResult {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  created: number;
  received: number;
  httpP99Ms: number;
  /** Per instance, in the order of `targets`. */
  instances: { p50Ms: number; p99Ms: number; created: number }[];
}

/** Every target gets `rate / targets.length` check-ins a second, from users named after its `ownerPrefix`. */
export async function relayLatency(options: {
  targets: { baseUrl: string; ownerPrefix: string }[];
  bootstrap: string;
  topic: string;
  rate: number;
  seconds: number;
  /** The consumer group's name and the prefix every target's prefix starts with. */
  runPrefix: string;
}): Promise<RelayResult> {
  const consumer = new Consumer({
    groupId: `${options.runPrefix}reader`,
    clientId: 'bench-relay-reader',
    bootstrapBrokers: [options.bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 100,
    retries: 5,
    retryDelay: 200,
  });
  const latencies = options.targets.map(() => [] as number[]);
  const received = () => latencies.reduce((n, l) => n + l.length, 0);
  try {
    const stream = await consumer.consume({ topics: [options.topic], mode: MessagesStreamModes.LATEST, autocommit: false });
    stream.on('data', (message) => {
      const receivedAt = Date.now();
      const target = options.targets.findIndex((t) => message.key?.startsWith(t.ownerPrefix));
      if (target < 0) return;
      const occurredAt = Date.parse(message.headers.get('occurred-at') ?? '');
      if (!Number.isNaN(occurredAt)) latencies[target]?.push(receivedAt - occurredAt);
    });
    // The consumer has its partitions and their end offsets before the first event is written.
    await sleep(500);
    const rate = options.rate / options.targets.length;
    const posted = await Promise.all(
      options.targets.map((t) =>
        postAtFixedRate({ baseUrl: t.baseUrl, ownerPrefix: t.ownerPrefix, rate, seconds: options.seconds }),
      ),
    );
    const createdBy = posted.map((http) => http.statuses[201] ?? 0);
    const created = createdBy.reduce((n, c) => n + c, 0);
    await eventually(() => received() >= created, ARRIVAL_TIMEOUT_MS, 20);
    await stream.close();
    const all = latencies.flat();
    return {
      p50Ms: percentile(all, 50),
      p99Ms: percentile(all, 99),
      maxMs: percentile(all, 100),
      created,
      received: all.length,
      httpP99Ms: percentile(
        posted.flatMap((http) => http.latenciesMs),
        99,
      ),
      instances: latencies.map((l, i) => ({ p50Ms: percentile(l, 50), p99Ms: percentile(l, 99), created: createdBy[i] ?? 0 })),
    };
  } finally {
    await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
  }
}
