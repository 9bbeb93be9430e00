// Use case: move committed outbox rows to the broker. Woken in-process right after a commit (milliseconds, not a
// polling interval), with a polling fallback that also picks up what another instance or a crashed process
// left. Delivery is at least once: a row is deleted only after the broker acknowledged its event, and a crash
// in between re-sends it with the same event-id, on which consumers dedupe. One relay is active per database
// (the outbox's leadership), and it reads in outbox order, so every key's events are published in commit order.

import type { RecordKind, StoredRecord } from '../record-kinds/record-kind.ts';
import { type Backoff, pause, repeatUntilStopped, Wakeup, worthLogging } from './background-loop.ts';

/** A stored record's event, without the outbox bookkeeping. */
export interface RecordEvent {
  kind: RecordKind;
  record: StoredRecord;
  traceparent: string | null;
}

/**
 * An event this process has just committed, handed to the relay in memory: everything its message needs is
 * here, so the hot path neither reads the outbox nor reads the record back. Its outbox row stays the durable
 * copy until the broker has acknowledged it.
 */
export interface CommittedEvent extends RecordEvent {
  outboxId: number;
}

/** Where stores hand the events of a transaction once it has committed. */
export type OnCommitted = (events: CommittedEvent[]) => void;

/** An outbox row with the record its event is built from. */
export interface PendingEvent extends RecordEvent {
  outboxId: number;
  /** How long the row had waited when it was read, by the database's own clock. */
  ageAtReadMs: number;
}

/** The outbox as the relay reads it; only the leader reads, and it gives the leadership back on stop. */
export interface OutboxReader {
  readonly isLeader: boolean;
  /** Answers whether this process is now the active relay. */
  tryBecomeLeader(): Promise<boolean>;
  /** The oldest pending events, in outbox order. */
  nextBatch(limit: number): Promise<PendingEvent[]>;
  markPublished(outboxIds: number[]): Promise<void>;
  resignLeadership(): Promise<void>;
}

export interface EventPublisher {
  /** Publishes `events` in their order and settles once the broker acknowledged every one of them. */
  publish(events: readonly RecordEvent[]): Promise<void>;
}

export interface RelayObserver {
  /** After each acknowledged batch: for every event, the time from its outbox insert to the broker's ack. */
  published(commitToAckMs: number[]): void;
}

/** What the relay says about its work (pino's logger fits). */
export interface RelayLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface OutboxRelayOptions {
  outbox: OutboxReader;
  publisher: EventPublisher;
  log: RelayLog;
  pollIntervalMs: number;
  /**
   * After a small batch, how long to let further commits gather before reading again (like a producer's
   * linger.ms): at a few hundred events a second, one read-send-delete round per event costs more CPU than the
   * requests themselves. 0 reads again at once.
   */
  lingerMs: number;
  batchSize: number;
  observer?: RelayObserver;
}

/** A standby relay asks for the leadership this often: the leader's lock passes on within about a second. */
const LEADERSHIP_RETRY_MS = 1000;
const FAILURE_BACKOFF: Backoff = { firstMs: 200, maxMs: 5000 };

export class OutboxRelay {
  readonly #options: OutboxRelayOptions;
  readonly #commits = new Wakeup();
  #stop: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: OutboxRelayOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#stop !== undefined && !this.#stop.signal.aborted) return;
    this.#stop = new AbortController();
    this.#loop = this.#run(this.#stop.signal);
  }

  /** Called after a transaction that wrote outbox rows has committed. */
  wake(): void {
    this.#commits.ring();
  }

  /** Called with the events of a transaction that has just committed. */
  committed(_events: CommittedEvent[]): void {
    this.#commits.ring();
  }

  /**
   * Lets the current batch finish and publishes what is already committed, for at most `flushTimeoutMs` (a
   * broker that is down must not hold the shutdown: what is left stays in the outbox for the next relay),
   * then gives the leadership back.
   */
  async stop(flushTimeoutMs = 5000): Promise<void> {
    const stop = this.#stop;
    if (stop === undefined || stop.signal.aborted) return;
    stop.abort();
    const timeout = new AbortController();
    const flushed = await Promise.race([this.#loop?.then(() => true), pause(flushTimeoutMs, timeout.signal).then(() => false)]);
    timeout.abort();
    if (!flushed)
      this.#options.log.warn({ flushTimeoutMs }, 'outbox relay stopped before flushing; the next relay publishes the rest');
    await this.#options.outbox.resignLeadership();
  }

  /** Publishes everything pending now; used on shutdown and by tests. Answers how many were published. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await this.#publishOneBatch();
      if (published === 0) return total;
      total += published;
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { log, outbox } = this.#options;
    await repeatUntilStopped({
      signal,
      round: () => this.#round(signal),
      backoff: FAILURE_BACKOFF,
      onFailure: (error, failures) => {
        // An outage shows in the log without a storm.
        if (worthLogging(failures)) log.error({ err: error, failures }, 'outbox relay failed; retrying');
      },
      onRecovery: (failures) => log.info({ failures }, 'outbox relay recovered'),
    });
    // Shutdown: what is committed is sent now rather than after the next start.
    if (outbox.isLeader) {
      await this.drain().catch((error: unknown) => log.warn({ err: error }, 'outbox relay could not flush on stop'));
    }
  }

  async #round(signal: AbortSignal): Promise<void> {
    const { outbox, pollIntervalMs, lingerMs, batchSize } = this.#options;
    if (!(await outbox.tryBecomeLeader())) {
      await pause(LEADERSHIP_RETRY_MS, signal);
      return;
    }
    const published = await this.#publishOneBatch();
    if (published === 0) await this.#commits.wait(pollIntervalMs, signal);
    else if (published < batchSize && lingerMs > 0) await pause(lingerMs, signal);
  }

  async #publishOneBatch(): Promise<number> {
    const { outbox, publisher, batchSize, observer } = this.#options;
    if (!outbox.isLeader) return 0;
    const events = await outbox.nextBatch(batchSize);
    if (events.length === 0) return 0;
    const readAt = performance.now();
    await publisher.publish(events);
    // Ages come from the database's clock at read time plus our own elapsed time: no clocks are compared.
    const sendMs = performance.now() - readAt;
    await outbox.markPublished(events.map((e) => e.outboxId));
    observer?.published(events.map((e) => e.ageAtReadMs + sendMs));
    return events.length;
  }
}
