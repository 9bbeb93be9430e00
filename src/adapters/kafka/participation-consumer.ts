// Consumes "participation completed" from every participation kind's topic (the record-kind registry). This adapter only translates: it
// reads batches, parses each message's bytes, hands them to the ingestion use case (which records them,
// dead-letters what is wrong in itself and retries what fails for a while), and commits the offsets once the
// use case answered: a crash anywhere re-delivers instead of losing (and the unique keys make re-delivery
// harmless). A database or broker outage stops progress and it resumes by itself.

import {
  Consumer,
  type Message,
  type MessagesStream,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
} from '@platformatic/kafka';
import type { Logger } from 'pino';
import { backoffMs, pause, worthLogging } from '../../app/background-loop.ts';
import {
  IngestionHalted,
  type IngestionOutcome,
  type ReceivedParticipation,
  StopRequested,
} from '../../app/ingest-participations.ts';
import { type ParticipationBatchOutcome, recordedTotal } from '../../app/record-participations.ts';
import type { TopicNames } from '../../config.ts';
import type { ParticipationKind } from '../../record-kinds/record-kind.ts';
import { consumedTopic, PARTICIPATION_KINDS, participationKindOfTopic } from '../../record-kinds/registry.ts';
import { parseParticipation } from './participation-messages.ts';

export type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>;
type RawStream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;

export interface ConsumerObserver {
  batchProcessed(summary: {
    byTopic: Map<string, { consumed: number; deadLettered: number }>;
    outcome: ParticipationBatchOutcome;
    ms: number;
  }): void;
}

interface ParticipationConsumerOptions {
  brokers: string[];
  clientId: string;
  groupId: string;
  topics: TopicNames;
  zone: string;
  maxBatch: number;
  logger: Logger;
  /** The ingestion use case; `signal` is aborted when the consumer stops. */
  ingest(batch: ReceivedParticipation<RawMessage>[], signal: AbortSignal): Promise<IngestionOutcome<RawMessage>>;
  observer?: ConsumerObserver;
  /** Consumer lag per topic and partition, every few seconds (negative: not assigned here). */
  onLag?: (lag: Map<string, bigint[]>) => void;
  /** Ingestion halted for a reason no retry can cure: the consumer has stopped consuming. */
  onHalt?: (error: IngestionHalted) => void;
}

/** After the consumer itself failed (broker away, a rebalance gone wrong): 500 ms, doubling to 5 s. */
const RESTART_BACKOFF = { firstMs: 500, maxMs: 5_000 };

export class ParticipationConsumer {
  readonly #options: ParticipationConsumerOptions;
  readonly #consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  #running = false;
  #started = false;
  #loop: Promise<void> | undefined;
  #stream: RawStream | undefined;
  /** Ends whatever wait the loop is in (next batch, backoff) when stop() is called. */
  #interrupt: (() => void) | undefined;
  /** Tells the use case to give up its retries. */
  readonly #stopping = new AbortController();

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
    if (this.#started) return;
    this.#started = true;
    this.#running = true;
    const { onLag, topics } = this.#options;
    if (onLag !== undefined) {
      this.#consumer.on('consumer:lag', onLag);
      // Lag is noise when it cannot be computed (broker away); the consumer's own errors are logged elsewhere.
      this.#consumer.on('consumer:lag:error', () => undefined);
      this.#consumer.startLagMonitoring({ topics: this.#topics(topics) }, 5_000);
    }
    this.#loop = this.#run();
  }

  /** Finishes and commits the batch in hand, then leaves the group so that its partitions move at once. */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#running = false;
    this.#stopping.abort();
    this.#interrupt?.();
    await this.#loop;
    this.#consumer.stopLagMonitoring();
    if (this.#stream !== undefined) await this.#stream.close().catch(() => undefined);
    await new Promise<void>((resolve) => this.#consumer.close(true, () => resolve()));
  }

  #topics(topics: TopicNames): string[] {
    return PARTICIPATION_KINDS.map((kind) => consumedTopic(kind, topics));
  }

  #kindOf(topic: string): ParticipationKind {
    const kind = participationKindOfTopic(topic, this.#options.topics);
    // The consumer subscribes to these topics only.
    if (kind === undefined) throw new Error(`message from ${topic}, which no participation kind is consumed from`);
    return kind;
  }

  async #run(): Promise<void> {
    const { logger, topics } = this.#options;
    let failures = 0;
    while (this.#running) {
      try {
        this.#stream = await this.#consumer.consume({
          topics: this.#topics(topics),
          mode: MessagesStreamModes.COMMITTED,
          fallbackMode: MessagesStreamFallbackModes.EARLIEST,
          autocommit: false,
        });
        failures = 0;
        await this.#consumeStream(this.#stream);
      } catch (error) {
        if (error instanceof StopRequested || !this.#running) break;
        if (error instanceof IngestionHalted) {
          // Nothing of the batch is committed: once someone has repaired the store, a restart takes it up again.
          logger.fatal({ err: error.cause ?? error }, 'participation ingestion halted: the store cannot work as deployed');
          this.#running = false;
          await this.#stream?.close().catch(() => undefined);
          this.#stream = undefined;
          this.#options.onHalt?.(error);
          break;
        }
        failures++;
        if (worthLogging(failures, 10)) logger.error({ err: error, failures }, 'participation consumer failed; restarting');
        await this.#stream?.close().catch(() => undefined);
        this.#stream = undefined;
        await pause(backoffMs(failures, RESTART_BACKOFF), this.#stopping.signal);
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
    const { zone, logger } = this.#options;
    const byTopic = new Map<string, { consumed: number; deadLettered: number }>();
    const received = batch.map((message): ReceivedParticipation<RawMessage> => {
      const counts = byTopic.get(message.topic) ?? { consumed: 0, deadLettered: 0 };
      counts.consumed++;
      byTopic.set(message.topic, counts);
      return { ...parseParticipation(this.#kindOf(message.topic), message.value, zone), source: message };
    });

    const outcome = await this.#options.ingest(received, this.#stopping.signal);

    for (const { source, reason, detail } of outcome.deadLettered) {
      const counts = byTopic.get(source.topic);
      if (counts !== undefined) counts.deadLettered++;
      logger.warn(
        { topic: source.topic, partition: source.partition, offset: String(source.offset), reason, detail },
        'message dead-lettered',
      );
    }
    const ms = performance.now() - startedAt;
    logger.info(
      {
        messages: batch.length,
        recorded: recordedTotal(outcome),
        duplicates: outcome.duplicates,
        deadLettered: outcome.deadLettered.length,
        ms: Math.round(ms * 10) / 10,
      },
      'participation batch',
    );
    this.#options.observer?.batchProcessed({ byTopic, outcome, ms });
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
}
