// The participation consumer on its own, with a store that takes its time: what must hold however long the
// recording of a batch takes.

import { describe, expect, inject, it } from 'vitest';
import { deadLetterTopics } from '../../src/adapters/kafka/dead-letter.ts';
import { createEventProducer, ensureTopics } from '../../src/adapters/kafka/kafka-clients.ts';
import { ParticipationConsumer } from '../../src/adapters/kafka/participation-consumer.ts';
import { ingestParticipations } from '../../src/app/ingest-participations.ts';
import { createLogger } from '../../src/service.ts';
import { cleanupRegistry } from '../../testkit/cleanup.ts';
import { datingCompleted, studyCompleted } from '../../testkit/participation-messages.ts';
import { testConfig } from '../../testkit/service-under-test.ts';
import { SpringProducer } from '../../testkit/spring-producer.ts';

const cleanup = cleanupRegistry();

describe('participation consumer', () => {
  it('keeps fetching while new messages arrive during the batches it records', async () => {
    const config = testConfig();
    const { topics } = config;
    const brokers = [inject('kafkaBootstrap')];
    await ensureTopics({
      brokers,
      clientId: 'consumer-test',
      topics: [topics.datingParticipationCompleted, topics.studyParticipationCompleted],
      partitions: 3,
      replicationFactor: 1,
    });
    const deadLetterProducer = createEventProducer({ brokers, clientId: 'consumer-test' });
    cleanup(() => deadLetterProducer.close());
    // By meeting: a redelivery (a rebalance at start, a retried send) may hand a message over twice.
    const recorded = new Set<string>();
    const consumer = new ParticipationConsumer({
      brokers,
      clientId: 'consumer-test',
      groupId: config.kafkaGroupId,
      topics,
      zone: config.businessTimeZone,
      maxBatch: config.consumerMaxBatch,
      logger: createLogger({ logLevel: 'silent' }),
      // A slow store: messages keep arriving while each batch is being recorded, which once stopped the
      // consumer's fetching for good (see participation-consumer.ts, the lasting 'readable' listener).
      ingest: (batch, signal) =>
        ingestParticipations(
          {
            store: {
              recordBatch: async (batch) => {
                await new Promise((resolve) => setTimeout(resolve, 150));
                for (const participations of batch.values()) for (const p of participations) recorded.add(p.meetingId);
                return new Map([...batch].map(([kind, participations]) => [kind, participations.length]));
              },
            },
            deadLetters: deadLetterTopics(deadLetterProducer, config.kafkaGroupId),
            zone: config.businessTimeZone,
            now: Date.now,
            signal,
            log: createLogger({ logLevel: 'silent' }),
          },
          batch,
        ),
    });
    consumer.start();
    cleanup(() => consumer.stop());
    const producer = new SpringProducer();
    cleanup(() => producer.close());

    const sent: string[] = [];
    for (let round = 0; round < 30; round++) {
      await producer.send(
        Array.from({ length: 10 }, (_, i) => {
          const message = i % 2 === 0 ? datingCompleted() : studyCompleted();
          sent.push(String(message.meetingId));
          const topic = i % 2 === 0 ? topics.datingParticipationCompleted : topics.studyParticipationCompleted;
          return { topic, value: JSON.stringify(message) };
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await expect.poll(() => sent.filter((m) => !recorded.has(m)).length, { timeout: 30_000, interval: 250 }).toBe(0);
  });
});
