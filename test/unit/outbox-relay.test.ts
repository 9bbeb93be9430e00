import { describe, expect, it, vi } from 'vitest';
import {
  type EventPublisher,
  type OutboxReader,
  OutboxRelay,
  type PendingEvent,
  type RecordEvent,
  type RelayLog,
} from '../../src/app/outbox-relay.ts';
import type { AttendanceRecord } from '../../src/domain/attendance.ts';
import type { LocalDateTime } from '../../src/domain/local-date-time.ts';
import type { OwnerId } from '../../src/domain/owner-id.ts';
import { attendance } from '../../src/record-kinds/attendance.ts';

/** A poll interval no test waits for: what is published before it, a wake-up or a stop caused. */
const NEVER = 60_000;
const UNTIL = { timeout: 10_000, interval: 5 };

const pending = (outboxId: number): PendingEvent => ({
  outboxId,
  ageAtReadMs: 3,
  traceparent: null,
  kind: attendance,
  record: {
    id: outboxId,
    userId: `user_${outboxId}` as OwnerId,
    attendanceTime: '2025-01-03T10:00:00' as LocalDateTime,
    createdAt: '2025-01-03T10:00:00' as LocalDateTime,
  } satisfies AttendanceRecord as AttendanceRecord,
});

/** The outbox in memory, with a lock that another instance may hold. */
class InMemoryOutbox implements OutboxReader {
  rows: PendingEvent[] = [];
  lockHeldElsewhere = false;
  leadershipAttempts = 0;
  resigned = 0;
  #leader = false;

  get isLeader(): boolean {
    return this.#leader;
  }

  commit(...ids: number[]): void {
    this.rows.push(...ids.map(pending));
  }

  pendingIds(): number[] {
    return this.rows.map((row) => row.outboxId);
  }

  async tryBecomeLeader(): Promise<boolean> {
    this.leadershipAttempts++;
    if (!this.lockHeldElsewhere) this.#leader = true;
    return this.#leader;
  }

  async nextBatch(limit: number): Promise<PendingEvent[]> {
    return this.rows.slice(0, limit);
  }

  async markPublished(outboxIds: number[]): Promise<void> {
    this.rows = this.rows.filter((row) => !outboxIds.includes(row.outboxId));
  }

  async resignLeadership(): Promise<void> {
    this.#leader = false;
    this.resigned++;
  }
}

/** Records every publish with what the outbox still held at that moment; fails while `failing` says so. */
class RecordingPublisher implements EventPublisher {
  readonly published: number[] = [];
  readonly calls: { ids: number[]; outboxHeld: number[] }[] = [];
  failing = 0;
  hang = false;
  readonly #outbox: InMemoryOutbox;

  constructor(outbox: InMemoryOutbox) {
    this.#outbox = outbox;
  }

  async publish(events: readonly RecordEvent[]): Promise<void> {
    const ids = events.map((e) => e.record.id);
    this.calls.push({ ids, outboxHeld: this.#outbox.pendingIds() });
    if (this.hang) await new Promise(() => undefined);
    if (this.failing > 0) {
      this.failing--;
      throw new Error('broker unavailable');
    }
    this.published.push(...ids);
  }
}

function relayOver(options: { batchSize?: number; lingerMs?: number; pollIntervalMs?: number } = {}) {
  const outbox = new InMemoryOutbox();
  const publisher = new RecordingPublisher(outbox);
  const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() } satisfies RelayLog;
  const observed: number[][] = [];
  const relay = new OutboxRelay({
    outbox,
    publisher,
    log,
    pollIntervalMs: options.pollIntervalMs ?? NEVER,
    lingerMs: options.lingerMs ?? 0,
    batchSize: options.batchSize ?? 100,
    observer: { published: (ages) => observed.push(ages) },
  });
  return { relay, outbox, publisher, log, observed };
}

describe('OutboxRelay', () => {
  it('publishes committed events in outbox order, in batches, and deletes each batch only after it was published', async () => {
    const { relay, outbox, publisher, observed } = relayOver({ batchSize: 2 });
    outbox.commit(1, 2, 3, 4, 5);
    relay.start();
    relay.wake();
    await vi.waitFor(() => expect(outbox.rows).toEqual([]), UNTIL);
    await relay.stop();

    expect(publisher.published).toEqual([1, 2, 3, 4, 5]);
    expect(publisher.calls.map((call) => call.ids)).toEqual([[1, 2], [3, 4], [5]]);
    // Every batch was still in the outbox while it was being published.
    for (const call of publisher.calls) expect(call.outboxHeld).toEqual(expect.arrayContaining(call.ids));
    expect(observed.flat()).toHaveLength(5);
    for (const age of observed.flat()) expect(age).toBeGreaterThanOrEqual(3);
  });

  it('publishes a commit as soon as it is woken, without waiting for the poll interval', async () => {
    const { relay, outbox, publisher } = relayOver({ lingerMs: 2 });
    relay.start();
    await vi.waitFor(() => expect(outbox.isLeader).toBe(true), UNTIL);
    outbox.commit(1);
    relay.wake();
    await vi.waitFor(() => expect(publisher.published).toEqual([1]), UNTIL);
    outbox.commit(2);
    relay.wake();
    await vi.waitFor(() => expect(publisher.published).toEqual([1, 2]), UNTIL);
    await relay.stop();
  });

  it('stands by while another instance holds the leadership, and takes over when it is given back', async () => {
    const { relay, outbox, publisher } = relayOver();
    outbox.lockHeldElsewhere = true;
    outbox.commit(1);
    relay.start();
    relay.wake();
    await vi.waitFor(() => expect(outbox.leadershipAttempts).toBeGreaterThanOrEqual(1), UNTIL);
    expect(await relay.drain()).toBe(0);
    expect(publisher.calls).toEqual([]);

    outbox.lockHeldElsewhere = false;
    await vi.waitFor(() => expect(publisher.published).toEqual([1]), UNTIL);
    expect(outbox.rows).toEqual([]);
    await relay.stop();
  });

  it('retries a failed publish with the same events and deletes nothing until the broker took them', async () => {
    const { relay, outbox, publisher, log } = relayOver();
    publisher.failing = 2;
    outbox.commit(1, 2);
    relay.start();
    relay.wake();
    await vi.waitFor(() => expect(publisher.calls).toHaveLength(2), UNTIL);
    expect(outbox.pendingIds()).toEqual([1, 2]);
    expect(publisher.published).toEqual([]);

    await vi.waitFor(() => expect(outbox.rows).toEqual([]), UNTIL);
    await relay.stop();
    expect(publisher.calls.map((call) => call.ids)).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    expect(publisher.published).toEqual([1, 2]);
    // The first failure of the streak is logged, and the recovery after it.
    expect(log.error).toHaveBeenCalledWith(expect.objectContaining({ failures: 1 }), 'outbox relay failed; retrying');
    expect(log.error).toHaveBeenCalledTimes(1);
    expect(log.info).toHaveBeenCalledWith({ failures: 2 }, 'outbox relay recovered');
  });

  it('publishes what was committed when it stops, then gives the leadership back', async () => {
    const { relay, outbox, publisher } = relayOver();
    relay.start();
    await vi.waitFor(() => expect(outbox.isLeader).toBe(true), UNTIL);
    // Committed without a wake-up: only the flush on stop publishes it before the next poll.
    outbox.commit(1, 2, 3);
    await relay.stop();

    expect(publisher.published).toEqual([1, 2, 3]);
    expect(outbox.rows).toEqual([]);
    expect(outbox.resigned).toBe(1);
    expect(outbox.isLeader).toBe(false);
  });

  it('stops without flushing after the flush timeout when the broker does not answer, keeping the events', async () => {
    const { relay, outbox, publisher, log } = relayOver();
    relay.start();
    await vi.waitFor(() => expect(outbox.isLeader).toBe(true), UNTIL);
    publisher.hang = true;
    outbox.commit(1);
    relay.wake();
    await vi.waitFor(() => expect(publisher.calls).toHaveLength(1), UNTIL);
    await relay.stop(20);

    expect(outbox.pendingIds()).toEqual([1]);
    expect(outbox.resigned).toBe(1);
    expect(log.warn).toHaveBeenCalledWith(
      { flushTimeoutMs: 20 },
      'outbox relay stopped before flushing; the next relay publishes the rest',
    );
  });
});
