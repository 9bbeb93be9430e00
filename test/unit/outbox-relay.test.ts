import { describe, expect, it, vi } from 'vitest';
import {
  type CommittedEvent,
  type EventPublisher,
  OutboxRelay,
  type OutboxStore,
  type PendingEvent,
  type RecordEvent,
  type RelayLog,
} from '../../src/app/outbox-relay.ts';
import type { AttendanceRecord } from '../../src/domain/attendance.ts';
import type { LocalDateTime } from '../../src/domain/local-date-time.ts';
import type { OwnerId } from '../../src/domain/owner-id.ts';
import { attendance } from '../../src/record-kinds/attendance.ts';

/** A sweep interval no test waits for: what is swept before it, a start, a drain or a stop caused. */
const NEVER = 60_000;
const SWEEP_AFTER_MS = 1000;
const UNTIL = { timeout: 10_000, interval: 5 };

const event = (outboxId: number): CommittedEvent => ({
  outboxId,
  traceparent: null,
  kind: attendance,
  record: {
    id: outboxId,
    userId: `user_${outboxId}` as OwnerId,
    attendanceTime: '2025-01-03T10:00:00' as LocalDateTime,
    createdAt: '2025-01-03T10:00:00' as LocalDateTime,
  } satisfies AttendanceRecord as AttendanceRecord,
});

/** The outbox in memory: rows with an age the test sets, and a sweep lease that another instance may hold. */
class InMemoryOutbox implements OutboxStore {
  rows: PendingEvent[] = [];
  leaseHeldElsewhere = false;
  leaseAttempts = 0;
  released = 0;
  sweepReads = 0;
  deleteCalls: number[][] = [];
  failingDeletes = 0;
  #lease = false;

  get holdsSweepLease(): boolean {
    return this.#lease;
  }

  /** Commits rows as a store would, and answers the events the store hands to the relay. */
  commit(...ids: number[]): CommittedEvent[] {
    this.rows.push(...ids.map((id) => ({ ...event(id), ageAtReadMs: 0 })));
    return ids.map(event);
  }

  /** Lets time pass for the rows: they become old enough to sweep. */
  age(ms: number): void {
    for (const row of this.rows) row.ageAtReadMs += ms;
  }

  pendingIds(): number[] {
    return this.rows.map((row) => row.outboxId);
  }

  async tryTakeSweepLease(): Promise<boolean> {
    this.leaseAttempts++;
    if (!this.leaseHeldElsewhere) this.#lease = true;
    return this.#lease;
  }

  async releaseSweepLease(): Promise<void> {
    this.#lease = false;
    this.released++;
  }

  async leftBehind(minAgeMs: number, limit: number): Promise<PendingEvent[]> {
    this.sweepReads++;
    return this.rows.filter((row) => row.ageAtReadMs >= minAgeMs).slice(0, limit);
  }

  async markPublished(outboxIds: number[]): Promise<void> {
    this.deleteCalls.push(outboxIds);
    if (this.failingDeletes > 0) {
      this.failingDeletes--;
      throw new Error('database unavailable');
    }
    this.rows = this.rows.filter((row) => !outboxIds.includes(row.outboxId));
  }
}

/** Records every publish; fails while `failing` says so; holds every send while `held` is set. */
class RecordingPublisher implements EventPublisher {
  readonly published: number[] = [];
  readonly calls: number[][] = [];
  failing = 0;
  hang = false;
  #release: (() => void)[] = [];
  held = false;

  async publish(events: readonly RecordEvent[]): Promise<void> {
    const ids = events.map((e) => e.record.id);
    this.calls.push(ids);
    if (this.hang) await new Promise(() => undefined);
    if (this.held) await new Promise<void>((resolve) => this.#release.push(resolve));
    if (this.failing > 0) {
      this.failing--;
      throw new Error('broker unavailable');
    }
    this.published.push(...ids);
  }

  releaseAll(): void {
    this.held = false;
    for (const release of this.#release.splice(0)) release();
  }
}

function relayOver(options: { batchSize?: number; sweepIntervalMs?: number; lingerMs?: number } = {}) {
  const outbox = new InMemoryOutbox();
  const publisher = new RecordingPublisher();
  const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() } satisfies RelayLog;
  const observed: number[][] = [];
  const swept: number[] = [];
  const relay = new OutboxRelay({
    outbox,
    publisher,
    log,
    batchSize: options.batchSize ?? 100,
    sweepAfterMs: SWEEP_AFTER_MS,
    sweepIntervalMs: options.sweepIntervalMs ?? NEVER,
    lingerMs: options.lingerMs ?? 0,
    observer: { published: (ages) => observed.push(ages), swept: (count) => swept.push(count) },
  });
  return { relay, outbox, publisher, log, observed, swept };
}

describe('OutboxRelay, own commits', () => {
  it('publishes a committed transaction from memory at once, then deletes its rows', async () => {
    const { relay, outbox, publisher, observed } = relayOver();
    relay.start();
    await vi.waitFor(() => expect(outbox.sweepReads).toBe(1), UNTIL);
    relay.committed(outbox.commit(1, 2));
    await vi.waitFor(() => expect(outbox.rows).toEqual([]), UNTIL);

    expect(publisher.calls).toEqual([[1, 2]]);
    // The events came from memory: the only outbox read is the sweep's first look at start.
    expect(outbox.sweepReads).toBe(1);
    expect(outbox.deleteCalls).toEqual([[1, 2]]);
    expect(observed.flat()).toHaveLength(2);
    await relay.stop();
  });

  it('sends what commits while its sends are in flight together, in the next send', async () => {
    const { relay, outbox, publisher } = relayOver();
    relay.start();
    publisher.held = true;
    for (let id = 1; id <= 8; id++) relay.committed(outbox.commit(id));
    // One send in flight; the other seven transactions wait together.
    expect(publisher.calls).toEqual([[1]]);
    publisher.releaseAll();
    await vi.waitFor(() => expect(outbox.rows).toEqual([]), UNTIL);
    expect(publisher.calls).toEqual([[1], [2, 3, 4, 5, 6, 7, 8]]);
    expect(outbox.deleteCalls.length).toBeLessThanOrEqual(2);
    expect(outbox.deleteCalls.flat().sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await relay.stop();
  });

  it('lets a commit that finds no send in flight wait the linger time for others to share its send', async () => {
    const { relay, outbox, publisher } = relayOver({ lingerMs: 30 });
    relay.start();
    relay.committed(outbox.commit(1));
    relay.committed(outbox.commit(2, 3));
    expect(publisher.calls).toEqual([]);
    await vi.waitFor(() => expect(outbox.rows).toEqual([]), UNTIL);
    expect(publisher.calls).toEqual([[1, 2, 3]]);
    await relay.stop();
  });

  it('counts the linger from the commit: what waited through an earlier send goes as soon as it ends', async () => {
    const { relay, outbox, publisher } = relayOver({ lingerMs: 40 });
    relay.start();
    publisher.held = true;
    relay.committed(outbox.commit(1));
    await vi.waitFor(() => expect(publisher.calls).toEqual([[1]]), UNTIL);
    relay.committed(outbox.commit(2));
    await new Promise((resolve) => setTimeout(resolve, 60));
    relay.committed(outbox.commit(3));
    publisher.releaseAll();
    // 2 had lingered its 40 ms during the first send: it goes as soon as that send ends, and 3 with it.
    await vi.waitFor(() => expect(publisher.calls).toEqual([[1], [2, 3]]), { timeout: 30, interval: 1 });

    // 4 commits as a send ends: it still lingers, so that 5 can join it.
    publisher.held = true;
    relay.committed(outbox.commit(4));
    await vi.waitFor(() => expect(publisher.calls).toHaveLength(3), UNTIL);
    relay.committed(outbox.commit(5));
    publisher.releaseAll();
    relay.committed(outbox.commit(6));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(publisher.calls).toEqual([[1], [2, 3], [4]]);
    await vi.waitFor(() => expect(publisher.calls).toEqual([[1], [2, 3], [4], [5, 6]]), UNTIL);
    await relay.stop();
  });

  it('sends at once, without lingering, once a full batch is held', async () => {
    const { relay, outbox, publisher } = relayOver({ lingerMs: NEVER, batchSize: 2 });
    relay.start();
    relay.committed(outbox.commit(1, 2));
    expect(publisher.calls).toEqual([[1, 2]]);
    await relay.stop();
  });

  it('keeps a send to about the batch size, whole transactions only', async () => {
    const { relay, outbox, publisher } = relayOver({ batchSize: 3 });
    relay.start();
    publisher.held = true;
    relay.committed(outbox.commit(1));
    relay.committed(outbox.commit(2));
    relay.committed(outbox.commit(3));
    relay.committed(outbox.commit(4, 5));
    relay.committed(outbox.commit(6));
    relay.committed(outbox.commit(7, 8, 9, 10));
    publisher.releaseAll();
    await vi.waitFor(() => expect(outbox.rows).toEqual([]), UNTIL);
    expect(publisher.calls).toEqual([[1], [2, 3], [4, 5, 6], [7, 8, 9, 10]]);
    await relay.stop();
  });

  it('leaves the events of a failed send to the sweep, and holds new commits until its backoff ends', async () => {
    const { relay, outbox, publisher, log } = relayOver();
    relay.start();
    publisher.failing = 1;
    relay.committed(outbox.commit(1));
    await vi.waitFor(() => expect(publisher.calls).toEqual([[1]]), UNTIL);
    relay.committed(outbox.commit(2));
    // Not sent during the backoff, then sent by itself: event 1 is the sweep's now.
    expect(publisher.calls).toEqual([[1]]);
    await vi.waitFor(() => expect(publisher.published).toEqual([2]), UNTIL);
    await vi.waitFor(() => expect(outbox.pendingIds()).toEqual([1]), UNTIL);
    expect(log.error).toHaveBeenCalledWith(
      expect.objectContaining({ failures: 1, events: 1 }),
      'outbox relay could not publish; the sweep will send these events',
    );
    expect(log.info).toHaveBeenCalledWith({ failures: 1 }, 'outbox relay recovered');

    // Old enough: the sweep sends it.
    outbox.age(SWEEP_AFTER_MS);
    expect(await relay.drain()).toBe(1);
    expect(publisher.published).toEqual([2, 1]);
    expect(outbox.rows).toEqual([]);
    await relay.stop();
  });

  it('lets acknowledged rows wait briefly so that several sends share one DELETE', async () => {
    const { relay, outbox, publisher } = relayOver();
    relay.start();
    relay.committed(outbox.commit(1));
    await vi.waitFor(() => expect(publisher.published).toEqual([1]), UNTIL);
    relay.committed(outbox.commit(2));
    await vi.waitFor(() => expect(outbox.rows).toEqual([]), UNTIL);
    expect(publisher.calls).toEqual([[1], [2]]);
    expect(outbox.deleteCalls).toEqual([[1, 2]]);
    await relay.stop();
  });

  it('leaves to the sweep what it has held for half the sweep age, instead of sending it twice', async () => {
    const { relay, outbox, publisher } = relayOver();
    relay.start();
    publisher.held = true;
    relay.committed(outbox.commit(1));
    relay.committed(outbox.commit(2));
    // The broker hangs on 1 while 2 waits: past half the sweep age, 2 is the sweep's.
    await new Promise((resolve) => setTimeout(resolve, SWEEP_AFTER_MS / 2 + 50));
    relay.committed(outbox.commit(3));
    publisher.releaseAll();
    await vi.waitFor(() => expect(publisher.calls).toEqual([[1], [3]]), UNTIL);
    await vi.waitFor(() => expect(outbox.pendingIds()).toEqual([2]), UNTIL);
    await relay.stop();
  });

  it('retries the delete of acknowledged rows rather than letting the sweep send them again', async () => {
    const { relay, outbox, publisher } = relayOver();
    relay.start();
    outbox.failingDeletes = 1;
    relay.committed(outbox.commit(1));
    await vi.waitFor(() => expect(outbox.rows).toEqual([]), UNTIL);
    expect(outbox.deleteCalls).toEqual([[1], [1]]);
    expect(publisher.published).toEqual([1]);
    await relay.stop();
  });

  it('sends what it holds when it stops, then gives the sweep lease back', async () => {
    const { relay, outbox, publisher } = relayOver();
    relay.start();
    await vi.waitFor(() => expect(outbox.holdsSweepLease).toBe(true), UNTIL);
    publisher.held = true;
    for (let id = 1; id <= 5; id++) relay.committed(outbox.commit(id));
    const stopped = relay.stop();
    publisher.releaseAll();
    await stopped;

    expect(publisher.published.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    expect(outbox.rows).toEqual([]);
    expect(outbox.released).toBe(1);
    expect(outbox.holdsSweepLease).toBe(false);
    // Stopped: a commit after that is not taken (its row waits for another instance's sweep).
    relay.committed(outbox.commit(6));
    expect(publisher.calls.flat()).not.toContain(6);
  });

  it('stops after the flush timeout when the broker does not answer, leaving the rows for the sweep', async () => {
    const { relay, outbox, publisher, log } = relayOver();
    relay.start();
    publisher.hang = true;
    relay.committed(outbox.commit(1));
    await vi.waitFor(() => expect(publisher.calls).toHaveLength(1), UNTIL);
    await relay.stop(20);

    expect(outbox.pendingIds()).toEqual([1]);
    expect(outbox.released).toBe(1);
    expect(log.warn).toHaveBeenCalledWith(
      { flushTimeoutMs: 20 },
      'outbox relay stopped before flushing; the sweep publishes the rest',
    );
  });
});

describe('OutboxRelay, sweep', () => {
  it('publishes rows left behind once they are older than the sweep age, and only those', async () => {
    const { relay, outbox, publisher, swept, observed } = relayOver({ sweepIntervalMs: 5 });
    // Committed by an instance that crashed before sending: nothing hands them over.
    outbox.commit(1, 2);
    outbox.age(SWEEP_AFTER_MS);
    outbox.commit(3);
    relay.start();
    await vi.waitFor(() => expect(publisher.published).toEqual([1, 2]), UNTIL);
    expect(outbox.pendingIds()).toEqual([3]);
    expect(swept).toEqual([2]);
    for (const age of observed.flat()) expect(age).toBeGreaterThanOrEqual(SWEEP_AFTER_MS);

    outbox.age(SWEEP_AFTER_MS);
    await vi.waitFor(() => expect(publisher.published).toEqual([1, 2, 3]), UNTIL);
    await relay.stop();
  });

  it("leaves alone rows that this instance's own send still carries, however long that send takes", async () => {
    const { relay, outbox, publisher } = relayOver({ sweepIntervalMs: 5 });
    relay.start();
    publisher.held = true;
    relay.committed(outbox.commit(1));
    await vi.waitFor(() => expect(publisher.calls).toEqual([[1]]), UNTIL);
    outbox.age(SWEEP_AFTER_MS);
    const reads = outbox.sweepReads;
    await vi.waitFor(() => expect(outbox.sweepReads).toBeGreaterThan(reads + 2), UNTIL);
    expect(publisher.calls).toEqual([[1]]);
    publisher.releaseAll();
    await vi.waitFor(() => expect(outbox.rows).toEqual([]), UNTIL);
    expect(publisher.published).toEqual([1]);
    await relay.stop();
  });

  it('sweeps in batches, the next one at once while batches come back full', async () => {
    const { relay, outbox, publisher } = relayOver({ batchSize: 2 });
    outbox.commit(1, 2, 3, 4, 5);
    outbox.age(SWEEP_AFTER_MS);
    relay.start();
    await vi.waitFor(() => expect(outbox.rows).toEqual([]), UNTIL);
    expect(publisher.calls).toEqual([[1, 2], [3, 4], [5]]);
    await relay.stop();
  });

  it('does not sweep while another instance holds the lease, and takes over once it is free', async () => {
    const { relay, outbox, publisher } = relayOver({ sweepIntervalMs: 5 });
    outbox.leaseHeldElsewhere = true;
    outbox.commit(1);
    outbox.age(SWEEP_AFTER_MS);
    relay.start();
    await vi.waitFor(() => expect(outbox.leaseAttempts).toBeGreaterThanOrEqual(1), UNTIL);
    expect(await relay.drain()).toBe(0);
    expect(publisher.calls).toEqual([]);

    outbox.leaseHeldElsewhere = false;
    await vi.waitFor(() => expect(publisher.published).toEqual([1]), UNTIL);
    expect(outbox.rows).toEqual([]);
    await relay.stop();
  });

  it('retries a failed sweep with the same rows, deleting nothing until the broker took them', async () => {
    const { relay, outbox, publisher, log } = relayOver({ sweepIntervalMs: 5 });
    publisher.failing = 2;
    outbox.commit(1, 2);
    outbox.age(SWEEP_AFTER_MS);
    relay.start();
    await vi.waitFor(() => expect(outbox.rows).toEqual([]), UNTIL);
    expect(publisher.calls).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    expect(log.error).toHaveBeenCalledWith(expect.objectContaining({ failures: 1 }), 'outbox sweep failed; retrying');
    await vi.waitFor(() => expect(log.info).toHaveBeenCalledWith({ failures: 2 }, 'outbox sweep recovered'), UNTIL);
    await relay.stop();
  });
});
