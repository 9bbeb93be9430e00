// Consumes "participation completed" from the dating and study services. Each fetched batch becomes one
// database transaction; poison messages go to the dead-letter topic first; offsets are committed only after
// both, so a crash anywhere re-delivers instead of losing (and the unique keys make re-delivery harmless).
// A database or broker outage stops progress (nothing is committed past unprocessed work) and it resumes by
// itself.

import {
  Consumer,
  type Message,
  type MessagesStream,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
} from '@platformatic/kafka';
import type { Logger } from 'pino';
import { DependencyUnavailableError } from '../../app/dependency-unavailable.ts';
import type { ParticipationBatchOutcome } from '../../app/record-participations.ts';
import type { TopicNames } from '../../config.ts';
import type { DatingParticipationReceived, StudyParticipationReceived } from '../../domain/participation.ts';
import { type DeadLetter, sendToDeadLetters } from './dead-letter.ts';
import type { EventProducer } from './kafka-clients.ts';
import { type ParticipationKind, parseParticipation } from './participation-messages.ts';

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>;
type RawStream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;

export interface ConsumerObserver {
  batchProcessed(summary: {
    byTopic: Map<string, { consumed: number; deadLettered: number }>;
    outcome: ParticipationBatchOutcome;
    ms: number;
  }): void;
}

export interface ParticipationConsumerOptions {
  brokers: string[];
  clientId: string;
  groupId: string;
  topics: TopicNames;
  zone: string;
  maxBatch: number;
  logger: Logger;
  producer: EventProducer;
  record(received: {
    dating: DatingParticipationReceived[];
    study: StudyParticipationReceived[];
  }): Promise<ParticipationBatchOutcome>;
  observer?: ConsumerObserver;
  /** Consumer lag per topic and partition, every few seconds (negative: not assigned here). */
  onLag?: (lag: Map<string, bigint[]>) => void;
}

class StopRequested extends Error {}

const MAX_BACKOFF_MS = 5000;

export class ParticipationConsumer {
  readonly #options: ParticipationConsumerOptions;
  readonly #consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  #running = false;
  #loop: Promise<void> | undefined;
  #stream: RawStream | undefined;
  /** Ends whatever wait the loop is in (next batch, backoff) when stop() is called. */
  #interrupt: (() => void) | undefined;

  constructor(options: ParticipationConsumerOptions) {
    this.#options = options;
    this.#consumer = new Consumer({
      groupId: options.groupId,
      clientId: options.clientId,
      bootstrapBrokers: options.brokers,
      // A member that died (kill -9) holds its partitions until this passes; the broker's minimum is 6 s.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 30_000,
      maxWaitTime: 500,
      // Bounds what waits in memory: a fetch of 50 MB (the default) buffered ~30,000 messages under load.
      maxBytes: 1024 * 1024,
      highWaterMark: options.maxBatch * 2,
      retries: 10,
      retryDelay: 1_000,
    });
  }

  get kafkaConsumer(): Consumer<Buffer, Buffer, Buffer, Buffer> {
    return this.#consumer;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const { onLag, topics } = this.#options;
    if (onLag !== undefined) {
      this.#consumer.on('consumer:lag', onLag);
      // Lag is noise when it cannot be computed (broker away); the consumer's own errors are logged elsewhere.
      this.#consumer.on('consumer:lag:error', () => undefined);
      this.#consumer.startLagMonitoring(
        { topics: [topics.datingParticipationCompleted, topics.studyParticipationCompleted] },
        5_000,
      );
    }
    this.#loop = this.#run();
  }

  /** Finishes and commits the batch in hand, then leaves the group so that its partitions move at once. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#interrupt?.();
    await this.#loop;
    this.#consumer.stopLagMonitoring();
    if (this.#stream !== undefined) await this.#stream.close().catch(() => undefined);
    await new Promise<void>((resolve) => this.#consumer.close(true, () => resolve()));
  }

  #kindOf(topic: string): ParticipationKind {
    return topic === this.#options.topics.datingParticipationCompleted ? 'dating' : 'study';
  }

  async #run(): Promise<void> {
    const { logger, topics } = this.#options;
    let failures = 0;
    while (this.#running) {
      try {
        this.#stream = await this.#consumer.consume({
          topics: [topics.datingParticipationCompleted, topics.studyParticipationCompleted],
          mode: MessagesStreamModes.COMMITTED,
          fallbackMode: MessagesStreamFallbackModes.EARLIEST,
          autocommit: false,
        });
        failures = 0;
        await this.#consumeStream(this.#stream);
      } catch (error) {
        if (error instanceof StopRequested || !this.#running) break;
        failures++;
        if (failures === 1 || failures % 10 === 0)
          logger.error({ err: error, failures }, 'participation consumer failed; restarting');
        await this.#stream?.close().catch(() => undefined);
        this.#stream = undefined;
        await this.#pause(Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(failures, 5)));
      }
    }
  }

  async #consumeStream(stream: RawStream): Promise<void> {
    let streamError: Error | undefined;
    stream.on('error', (error: Error) => {
      streamError = error;
      this.#interrupt?.();
    });
    // A 'readable' listener for the stream's whole life: when the last one is removed, Node sets
    // readableFlowing back to null, and @platformatic/kafka's fetch loop then stops for good ("nobody
    // consumes"), so that a consumer that removed its listener while it recorded a batch never fetched again.
    stream.on('readable', () => {});
    while (this.#running) {
      if (streamError !== undefined) throw streamError;
      const batch = await this.#nextBatch(stream);
      if (batch.length === 0) continue;
      await this.#process(batch);
      await this.#commit(batch);
    }
  }

  /** Whatever the stream holds now, up to the batch size; waits only when it holds nothing. */
  async #nextBatch(stream: RawStream): Promise<RawMessage[]> {
    const batch: RawMessage[] = [];
    for (;;) {
      while (batch.length < this.#options.maxBatch) {
        const message = stream.read() as RawMessage | null;
        if (message === null) break;
        batch.push(message);
      }
      if (batch.length > 0 || !this.#running || stream.destroyed) return batch;
      await new Promise<void>((resolve) => {
        const done = () => {
          stream.off('readable', done);
          stream.off('close', done);
          this.#interrupt = undefined;
          resolve();
        };
        stream.on('readable', done);
        stream.on('close', done);
        this.#interrupt = done;
      });
    }
  }

  async #process(batch: RawMessage[]): Promise<void> {
    const startedAt = performance.now();
    const { zone, logger, groupId, producer } = this.#options;
    const dating: { message: RawMessage; event: DatingParticipationReceived }[] = [];
    const study: { message: RawMessage; event: StudyParticipationReceived }[] = [];
    const letters: DeadLetter[] = [];
    const byTopic = new Map<string, { consumed: number; deadLettered: number }>();
    for (const message of batch) {
      const counts = byTopic.get(message.topic) ?? { consumed: 0, deadLettered: 0 };
      counts.consumed++;
      byTopic.set(message.topic, counts);
      const parsed = parseParticipation(this.#kindOf(message.topic), message.value, zone);
      if (parsed.ok && parsed.kind === 'dating') dating.push({ message, event: parsed.event });
      else if (parsed.ok && parsed.kind === 'study') study.push({ message, event: parsed.event });
      else if (!parsed.ok) letters.push(this.#deadLetter(message, parsed.reason, parsed.detail));
    }

    let outcome: ParticipationBatchOutcome;
    try {
      outcome = await this.#retrying('record participations', () =>
        this.#options.record({ dating: dating.map((d) => d.event), study: study.map((s) => s.event) }),
      );
    } catch (error) {
      if (error instanceof StopRequested) throw error;
      // Not an outage but something in the batch the store refuses: find the message(s) one by one, so that
      // one bad message cannot stall the partition.
      logger.error({ err: error, messages: batch.length }, 'batch refused by the store; recording message by message');
      outcome = { datingRecorded: 0, studyRecorded: 0, duplicates: 0 };
      for (const item of [
        ...dating.map((d) => ({ ...d, kind: 'dating' as const })),
        ...study.map((s) => ({ ...s, kind: 'study' as const })),
      ]) {
        try {
          const single = await this.#retrying('record one participation', () =>
            this.#options.record(
              item.kind === 'dating'
                ? { dating: [item.event as DatingParticipationReceived], study: [] }
                : { dating: [], study: [item.event as StudyParticipationReceived] },
            ),
          );
          outcome.datingRecorded += single.datingRecorded;
          outcome.studyRecorded += single.studyRecorded;
          outcome.duplicates += single.duplicates;
        } catch (singleError) {
          if (singleError instanceof StopRequested) throw singleError;
          letters.push(this.#deadLetter(item.message, 'processing-failed', (singleError as Error).message));
        }
      }
    }

    // Dead letters are written before the offsets move past them, so a crash re-delivers rather than drops.
    if (letters.length > 0) {
      await this.#retrying('write dead letters', () => sendToDeadLetters(producer, groupId, letters));
      for (const letter of letters) {
        const counts = byTopic.get(letter.topic);
        if (counts !== undefined) counts.deadLettered++;
        logger.warn(
          {
            topic: letter.topic,
            partition: letter.partition,
            offset: String(letter.offset),
            reason: letter.reason,
            detail: letter.detail,
          },
          'message dead-lettered',
        );
      }
    }
    const ms = performance.now() - startedAt;
    logger.info(
      {
        messages: batch.length,
        recorded: outcome.datingRecorded + outcome.studyRecorded,
        duplicates: outcome.duplicates,
        deadLettered: letters.length,
        ms: Math.round(ms * 10) / 10,
      },
      'participation batch',
    );
    this.#options.observer?.batchProcessed({ byTopic, outcome, ms });
  }

  #deadLetter(message: RawMessage, reason: DeadLetter['reason'], detail: string): DeadLetter {
    return {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers: message.headers,
      reason,
      detail,
    };
  }

  /** Commits, per partition, the offset after the last message of the batch: everything before it is done. */
  async #commit(batch: RawMessage[]): Promise<void> {
    const next = new Map<string, { topic: string; partition: number; offset: bigint; leaderEpoch: number }>();
    for (const message of batch) {
      const key = `${message.topic}:${message.partition}`;
      const offset = message.offset + 1n;
      if ((next.get(key)?.offset ?? -1n) < offset) {
        next.set(key, { topic: message.topic, partition: message.partition, offset, leaderEpoch: -1 });
      }
    }
    try {
      await this.#consumer.commit({ offsets: [...next.values()] });
    } catch (error) {
      // After a rebalance the commit is refused; the batch is stored, so a re-delivery is only a duplicate.
      this.#options.logger.warn(
        { err: error, partitions: [...next.keys()] },
        'offset commit failed; messages may be re-delivered',
      );
    }
  }

  /** Runs `work` until it succeeds, backing off while a dependency is unavailable; gives up only on stop. */
  async #retrying<T>(what: string, work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (!this.#running && attempt > 1) throw new StopRequested();
      try {
        return await work();
      } catch (error) {
        const transient = error instanceof DependencyUnavailableError || what === 'write dead letters';
        if (!transient) throw error;
        if (attempt === 1 || attempt % 20 === 0)
          this.#options.logger.warn({ err: error, attempt }, `${what}: dependency unavailable; retrying`);
        await this.#pause(Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(attempt, 6)));
        if (!this.#running) throw new StopRequested();
      }
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.#interrupt === done) self.#interrupt = undefined;
        resolve();
      }
      this.#interrupt = done;
    });
  }
}
