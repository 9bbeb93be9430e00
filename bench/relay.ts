// Commit → broker ack of the outbox relay at a steady rate, seen from outside without anything added to the
// service: attendances are POSTed at a fixed rate, and a consumer of the attendance topic takes, for each
// event, the time it received it minus the event's `occurred-at` header (the record's createdAt, taken by
// the service just before its insert). Both clocks are this machine's. The figure is an upper bound of
// commit → ack: it also holds the insert and commit themselves (about a millisecond) and the consumer's fetch.

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
}

export async function relayLatency(options: {
  baseUrl: string;
  bootstrap: string;
  topic: string;
  rate: number;
  seconds: number;
  ownerPrefix: string;
}): Promise<RelayResult> {
  const consumer = new Consumer({
    groupId: `${options.ownerPrefix}reader`,
    clientId: 'bench-relay-reader',
    bootstrapBrokers: [options.bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 100,
    retries: 5,
    retryDelay: 200,
  });
  const latencies: number[] = [];
  try {
    const stream = await consumer.consume({ topics: [options.topic], mode: MessagesStreamModes.LATEST, autocommit: false });
    stream.on('data', (message) => {
      const receivedAt = Date.now();
      if (!message.key?.startsWith(options.ownerPrefix)) return;
      const occurredAt = Date.parse(message.headers.get('occurred-at') ?? '');
      if (!Number.isNaN(occurredAt)) latencies.push(receivedAt - occurredAt);
    });
    // The consumer has its partitions and their end offsets before the first event is written.
    await sleep(500);
    const http = await postAtFixedRate(options);
    const created = http.statuses[201] ?? 0;
    await eventually(() => latencies.length >= created, ARRIVAL_TIMEOUT_MS, 20);
    await stream.close();
    return {
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: percentile(latencies, 100),
      created,
      received: latencies.length,
      httpP99Ms: percentile(http.latenciesMs, 99),
    };
  } finally {
    await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
  }
}
