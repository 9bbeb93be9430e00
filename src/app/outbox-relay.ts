// Use case: move committed outbox rows to the broker. Every instance publishes its own commits: a store hands
// the events of a transaction here right after its COMMIT, and they go to the broker from memory (no outbox
// read, no record read-back), a few requests in flight at once so that whatever commits meanwhile rides along
// in the next one. The outbox row is the durable copy, deleted (in bulk) once the broker acknowledged it.
// What an instance could not send (it crashed, it was stopped before its flush ended, the broker refused)
// stays in the outbox, and the sweep publishes it: one instance at a time holds the sweep lease and sends
// every row older than `sweepAfterMs`.
// Delivery is at least once, with the same event-id on every resend (consumers dedupe on it): a crash between
// the broker's ack and the delete, or a send slower than `sweepAfterMs`, sends an event twice. Events of one
// user are not promised in commit order (each creates an immutable record of its own, so none needs it).

import type { RecordKind, StoredRecord } from '../record-kinds/record-kind.ts';
import { type Backoff, backoffMs, pause, repeatUntilStopped, worthLogging } from './background-loop.ts';

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

/** An outbox row read back by the sweep, with the record its event is built from. */
export interface PendingEvent extends CommittedEvent {
  /** How long the row had waited when it was read, by the database's own clock. */
  ageAtReadMs: number;
}

/** The outbox as the relay sees it. */
export interface OutboxStore {
  readonly holdsSweepLease: boolean;
  /** Takes the sweep lease if no other instance holds it; answers whether this one holds it now. */
  tryTakeSweepLease(): Promise<boolean>;
  releaseSweepLease(): Promise<void>;
  /** The oldest events whose rows have waited at least `minAgeMs`, oldest first. */
  leftBehind(minAgeMs: number, limit: number): Promise<PendingEvent[]>;
  /** Deletes the rows of events the broker has acknowledged. */
  markPublished(outboxIds: number[]): Promise<void>;
}

export interface EventPublisher {
  /** Publishes `events` and settles once the broker acknowledged every one of them. */
  publish(events: readonly RecordEvent[]): Promise<void>;
}

export interface RelayObserver {
  /** After each acknowledged batch: for every event, the time from its commit to the broker's ack. */
  published(commitToAckMs: number[]): void;
  /** Events published by the sweep: left behind by a process that crashed, stopped or could not send. */
  swept?(count: number): void;
}

/** What the relay says about its work (pino's logger fits). */
export interface RelayLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface OutboxRelayOptions {
  outbox: OutboxStore;
  publisher: EventPublisher;
  log: RelayLog;
  /** The most events one send hands to the publisher (which splits them into size-bounded requests). */
  batchSize: number;
  /**
   * A row older than this is taken to be left behind and is swept. Far above a healthy send (milliseconds),
   * so that the sweep does not race the instance that committed the row; it bounds how long a crashed
   * instance's events wait.
   */
  sweepAfterMs: number;
  /** How often the sweep lease holder looks for rows left behind. */
  sweepIntervalMs: number;
  /**
   * How long a committed event waits for others to share its send (the producer's linger.ms), counted from its
   * commit, so that an event that waited through an earlier send goes at once: a few milliseconds of latency buy
   * produce requests that carry several events at moderate load, where one request per event costs the broker
   * more CPU than the event itself. 0 sends at once.
   */
  lingerMs: number;
  observer?: RelayObserver;
}

/**
 * Sends of this instance's own commits in flight at once. One: the idempotent producer takes one send at a
 * time anyway (see kafka-clients.ts), so what commits while a send is in flight rides along in the next one.
 */
const SENDS_IN_FLIGHT = 1;
/**
 * Events held in memory at most: past it (a broker that hangs while commits go on), new commits are left to
 * the sweep, so that memory stays bounded whatever the outage.
 */
const MAX_HELD_EVENTS = 20_000;
/** Acknowledged outbox ids waiting for their delete, at most (while the database is away). */
const MAX_UNDELETED_IDS = 200_000;
/** A standby instance asks for the sweep lease this often: a crashed holder's lease passes on within seconds. */
const LEASE_RETRY_MS = 1000;
const FAILURE_BACKOFF: Backoff = { firstMs: 200, maxMs: 5000 };
/** Ids per DELETE statement. */
const DELETE_CHUNK = 5000;
/** How long acknowledged ids wait for more before their DELETE (far below any sweep age). */
const DELETE_LINGER_MS = 50;

interface Held {
  events: CommittedEvent[];
  /** performance.now() when the transaction's events were handed over. */
  committedAt: number;
}

export class OutboxRelay {
  readonly #options: OutboxRelayOptions;
  /** Committed here, not yet handed to the publisher, oldest first. */
  #held: Held[] = [];
  #heldCount = 0;
  readonly #sends = new Set<Promise<void>>();
  /** Outbox ids this instance is sending, or has sent and not deleted yet: its sweep leaves them alone. */
  readonly #ownRows = new Set<number>();
  /** Consecutive failed sends. */
  #sendFailures = 0;
  /** After a failed send, until its backoff ends: commits are held but not sent. */
  #backingOff = false;
  #retryTimer: NodeJS.Timeout | undefined;
  /** Set while the oldest held commit waits for others to join it. */
  #lingering: NodeJS.Timeout | undefined;
  /** Set while a stop or a drain sends everything held: no lingering. */
  #flushing = false;
  #acknowledged: number[] = [];
  #deleting: Promise<void> | undefined;
  /** Set while acknowledged ids wait for more to share their DELETE. */
  #deleteWait: NodeJS.Timeout | undefined;
  #deleteFailures = 0;
  #accepting = false;
  #stop: AbortController | undefined;
  #sweep: Promise<void> | undefined;

  constructor(options: OutboxRelayOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#stop !== undefined && !this.#stop.signal.aborted) return;
    this.#accepting = true;
    this.#stop = new AbortController();
    this.#sweep = this.#sweepLoop(this.#stop.signal);
  }

  /** Called with the events of a transaction that has just committed. */
  committed(events: CommittedEvent[]): void {
    if (!this.#accepting || events.length === 0) return;
    // Past the bound the rows wait for the sweep instead: durable either way.
    if (this.#heldCount >= MAX_HELD_EVENTS) return;
    this.#held.push({ events, committedAt: performance.now() });
    this.#heldCount += events.length;
    if (this.#heldCount >= this.#options.batchSize) this.#stopLingering();
    this.#sendWhenDue();
  }

  /**
   * Sends what is held once its oldest event has waited `lingerMs` (during an earlier send, say) or a full batch
   * is held, one send at a time: what commits meanwhile waits for the next. A flush sends at once.
   */
  #sendWhenDue(): void {
    if (this.#sends.size >= SENDS_IN_FLIGHT || this.#backingOff || this.#lingering !== undefined) return;
    this.#leaveStaleToSweep();
    if (this.#heldCount === 0) return;
    const { lingerMs, batchSize } = this.#options;
    const wait = (this.#held[0]?.committedAt ?? 0) + lingerMs - performance.now();
    if (wait > 0 && this.#heldCount < batchSize && !this.#flushing) {
      this.#lingering = setTimeout(this.#lingerEnded, wait);
      return;
    }
    const send: Promise<void> = this.#send(this.#takeHeld()).finally(() => {
      this.#sends.delete(send);
      this.#sendWhenDue();
    });
    this.#sends.add(send);
  }

  readonly #lingerEnded = () => {
    this.#lingering = undefined;
    this.#sendWhenDue();
  };

  #stopLingering(): void {
    clearTimeout(this.#lingering);
    this.#lingering = undefined;
  }

  /**
   * Sends what this instance still holds and deletes what was acknowledged, for at most `flushTimeoutMs` (a
   * broker that is down must not hold the shutdown: what is left stays in the outbox for another instance's
   * sweep), then gives the sweep lease back.
   */
  async stop(flushTimeoutMs = 5000): Promise<void> {
    const stop = this.#stop;
    if (stop === undefined || stop.signal.aborted) return;
    stop.abort();
    this.#accepting = false;
    const timeout = new AbortController();
    const flushed = await Promise.race([
      Promise.all([this.#sweep, this.#flush()]).then(() => true),
      pause(flushTimeoutMs, timeout.signal).then(() => false),
    ]);
    timeout.abort();
    clearTimeout(this.#retryTimer);
    if (!flushed)
      this.#options.log.warn({ flushTimeoutMs }, 'outbox relay stopped before flushing; the sweep publishes the rest');
    await this.#options.outbox.releaseSweepLease().catch(() => undefined);
  }

  /**
   * Publishes everything pending now, this instance's own events and, if it can take the sweep lease, every
   * row in the outbox whatever its age; used by tests and tools. Answers how many rows the sweep published.
   */
  async drain(): Promise<number> {
    await this.#flush();
    const { outbox } = this.#options;
    if (!(await outbox.tryTakeSweepLease())) return 0;
    let total = 0;
    for (;;) {
      const swept = await this.#sweepOnce(0);
      if (swept === 0) break;
      total += swept;
    }
    await this.#flushDeletes();
    return total;
  }

  /**
   * Drops what has been held for half the sweep age already (a broker that hung or refused meanwhile): those
   * rows are the sweep's now, and sending them from here too would send them twice.
   */
  #leaveStaleToSweep(): void {
    const handedOverBefore = performance.now() - this.#options.sweepAfterMs / 2;
    let stale = 0;
    while (stale < this.#held.length && (this.#held[stale]?.committedAt ?? 0) < handedOverBefore) {
      this.#heldCount -= this.#held[stale]?.events.length ?? 0;
      stale++;
    }
    if (stale > 0) this.#held.splice(0, stale);
  }

  /** The oldest held transactions, whole, up to about `batchSize` events. */
  #takeHeld(): Held[] {
    const { batchSize } = this.#options;
    let taken = 0;
    let count = 0;
    for (const held of this.#held) {
      if (taken > 0 && taken + held.events.length > batchSize) break;
      taken += held.events.length;
      count++;
    }
    this.#heldCount -= taken;
    return this.#held.splice(0, count);
  }

  async #send(batch: Held[]): Promise<void> {
    const { publisher, observer, log } = this.#options;
    const events = batch.length === 1 ? (batch[0]?.events ?? []) : batch.flatMap((held) => held.events);
    for (const event of events) this.#ownRows.add(event.outboxId);
    try {
      await publisher.publish(events);
    } catch (error) {
      // The rows stay in the outbox and the sweep sends them once they are old enough. Sends pause for a
      // backoff, so that an outage costs one failure per backoff, not one per commit.
      this.#sendFailures++;
      if (worthLogging(this.#sendFailures)) {
        log.error(
          { err: error, failures: this.#sendFailures, events: events.length },
          'outbox relay could not publish; the sweep will send these events',
        );
      }
      for (const event of events) this.#ownRows.delete(event.outboxId);
      if (!this.#backingOff) {
        this.#backingOff = true;
        this.#retryTimer = setTimeout(
          () => {
            this.#backingOff = false;
            this.#sendWhenDue();
          },
          backoffMs(this.#sendFailures, FAILURE_BACKOFF),
        );
        this.#retryTimer.unref();
      }
      return;
    }
    if (this.#sendFailures > 0) {
      log.info({ failures: this.#sendFailures }, 'outbox relay recovered');
      this.#sendFailures = 0;
    }
    if (observer !== undefined) {
      const ackedAt = performance.now();
      const ages: number[] = [];
      for (const held of batch) {
        const age = ackedAt - held.committedAt;
        for (let i = 0; i < held.events.length; i++) ages.push(age);
      }
      observer.published(ages);
    }
    for (const event of events) this.#acknowledged.push(event.outboxId);
    this.#deleteAcknowledged();
  }

  /**
   * One DELETE in flight at a time, taking every id acknowledged meanwhile, and a short wait before it while
   * few are waiting: a delete per send would be a database round trip for every few events at moderate load.
   * An acknowledged row that outlives its instance (a crash in that wait) is sent again by the sweep.
   */
  #deleteAcknowledged(): void {
    if (this.#deleting !== undefined || this.#deleteWait !== undefined || this.#acknowledged.length === 0) return;
    if (this.#accepting && this.#acknowledged.length < DELETE_CHUNK) {
      this.#deleteWait = setTimeout(this.#deleteWaitEnded, DELETE_LINGER_MS);
      this.#deleteWait.unref();
      return;
    }
    this.#startDeleting();
  }

  readonly #deleteWaitEnded = () => {
    this.#deleteWait = undefined;
    this.#startDeleting();
  };

  #startDeleting(): void {
    if (this.#deleting !== undefined || this.#acknowledged.length === 0) return;
    this.#deleting = this.#deleteLoop().finally(() => {
      this.#deleting = undefined;
      // Ids acknowledged between the loop's last look and now (unless it gave up on a failing database).
      if (this.#deleteFailures === 0) this.#deleteAcknowledged();
    });
  }

  async #deleteLoop(): Promise<void> {
    const { outbox, log } = this.#options;
    while (this.#acknowledged.length > 0) {
      const ids = this.#acknowledged.splice(0, DELETE_CHUNK);
      try {
        await outbox.markPublished(ids);
        for (const id of ids) this.#ownRows.delete(id);
        if (this.#deleteFailures > 0) log.info({ failures: this.#deleteFailures }, 'outbox deletes recovered');
        this.#deleteFailures = 0;
      } catch (error) {
        this.#deleteFailures++;
        if (worthLogging(this.#deleteFailures)) {
          log.error({ err: error, failures: this.#deleteFailures }, 'could not delete published outbox rows; retrying');
        }
        // Kept for the next attempt; past the bound, the sweep sends those rows again (same event-id).
        if (this.#acknowledged.length + ids.length <= MAX_UNDELETED_IDS) this.#acknowledged.unshift(...ids);
        else for (const id of ids) this.#ownRows.delete(id);
        if (!this.#accepting) return;
        await pause(backoffMs(this.#deleteFailures, FAILURE_BACKOFF));
      }
    }
  }

  async #flushDeletes(): Promise<void> {
    clearTimeout(this.#deleteWait);
    this.#deleteWait = undefined;
    while (this.#deleting !== undefined || this.#acknowledged.length > 0) {
      this.#startDeleting();
      await this.#deleting;
      if (this.#deleteFailures > 0) return;
    }
  }

  /** Sends everything held (one attempt each), without lingering, and waits for the deletes. */
  async #flush(): Promise<void> {
    clearTimeout(this.#retryTimer);
    this.#stopLingering();
    this.#backingOff = false;
    this.#sendFailures = 0;
    this.#flushing = true;
    try {
      while (this.#heldCount > 0 || this.#sends.size > 0) {
        this.#sendWhenDue();
        await Promise.all(this.#sends);
        // A failed send during the flush leaves the rest to the sweep.
        if (this.#sendFailures > 0) break;
      }
    } finally {
      this.#flushing = false;
    }
    await this.#flushDeletes();
  }

  async #sweepLoop(signal: AbortSignal): Promise<void> {
    const { log, outbox, sweepAfterMs, sweepIntervalMs, batchSize } = this.#options;
    await repeatUntilStopped({
      signal,
      round: async () => {
        if (!(await outbox.tryTakeSweepLease())) {
          await pause(LEASE_RETRY_MS, signal);
          return;
        }
        const swept = await this.#sweepOnce(sweepAfterMs);
        if (swept < batchSize) await pause(sweepIntervalMs, signal);
      },
      backoff: FAILURE_BACKOFF,
      onFailure: (error, failures) => {
        // An outage shows in the log without a storm.
        if (worthLogging(failures)) log.error({ err: error, failures }, 'outbox sweep failed; retrying');
      },
      onRecovery: (failures) => log.info({ failures }, 'outbox sweep recovered'),
    });
  }

  /** Publishes one batch of rows older than `minAgeMs`; answers how many. */
  async #sweepOnce(minAgeMs: number): Promise<number> {
    const { outbox, publisher, batchSize, observer } = this.#options;
    if (!outbox.holdsSweepLease) return 0;
    const read = await outbox.leftBehind(minAgeMs, batchSize);
    // Rows this instance is sending itself (a send slower than the sweep age: a broker that hangs or has just
    // come back) or has sent and is about to delete are left alone; if that send fails, the next sweep takes them.
    const events = this.#ownRows.size === 0 ? read : read.filter((e) => !this.#ownRows.has(e.outboxId));
    if (events.length === 0) return 0;
    const readAt = performance.now();
    await publisher.publish(events);
    // Ages come from the database's clock at read time plus our own elapsed time: no clocks are compared.
    const sendMs = performance.now() - readAt;
    await outbox.markPublished(events.map((e) => e.outboxId));
    observer?.published(events.map((e) => e.ageAtReadMs + sendMs));
    observer?.swept?.(events.length);
    return events.length;
  }
}
