// Participations of every kind in MySQL (each kind's table and row mapping from the record-kind registry), a
// whole fetched batch per transaction (multi-row statements). Deduplication is by the unique key (meeting_id,
// user_id): rows already stored are filtered out first, and
// a concurrent writer that slips in between makes the insert fail on the key, after which the whole batch
// is retried and the second read sees that row.
// Each attempt has a deadline: a database that hangs instead of refusing (a frozen server, a network black hole)
// would otherwise hold the consumer until TCP gives up. Past it the attempt's connection is destroyed, never
// handed out again, and the batch counts as "database unavailable"; if its COMMIT still lands later, the retry
// finds the rows stored and counts them as duplicates.
// Plain mysql2 statements rather than Kysely's builder: a 2,000-row insert built node by node cost about 5 %
// of the ingestion's CPU and as much again in garbage (docs/benchmarks.md). mysql2 expands `VALUES ?` with an
// array of rows and `IN (?)` with an array, escaping every value.

import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { CommittedEvent, OnCommitted } from '../../app/outbox-relay.ts';
import type { Participation, ParticipationStore } from '../../app/record-participations.ts';
import { participationKey } from '../../domain/participation.ts';
import type { ParticipationKind, StoredRecord } from '../../record-kinds/record-kind.ts';
import { type Database, isDeadlock, isDuplicateKey, storeErrorOf } from './database.ts';
import { onConnectionWithDeadline } from './deadline.ts';

const MAX_ATTEMPTS = 5;

export class MysqlParticipationStore implements ParticipationStore {
  readonly #database: Database;
  readonly #timeoutMs: number;
  readonly #onCommitted: OnCommitted;

  /** `timeoutMs`: the deadline of one attempt at a batch's transaction, connection included. */
  constructor(database: Database, options: { timeoutMs: number; onCommitted: OnCommitted }) {
    this.#database = database;
    this.#timeoutMs = options.timeoutMs;
    this.#onCommitted = options.onCommitted;
  }

  async recordBatch(batch: ReadonlyMap<ParticipationKind, readonly Participation[]>): Promise<Map<ParticipationKind, number>> {
    for (let attempt = 1; ; attempt++) {
      try {
        const committed: CommittedEvent[] = [];
        const outcome = await this.#inTransaction(async (connection) => {
          committed.length = 0;
          const recorded = new Map<ParticipationKind, number>();
          for (const [kind, items] of batch) recorded.set(kind, await record(connection, kind, items, committed));
          return recorded;
        });
        if (committed.length > 0) this.#onCommitted(committed);
        return outcome;
      } catch (error) {
        if ((isDuplicateKey(error) || isDeadlock(error)) && attempt < MAX_ATTEMPTS) continue;
        throw storeErrorOf(error);
      }
    }
  }

  /** One attempt at the batch's transaction under the deadline (see onConnectionWithDeadline). */
  #inTransaction<R>(work: (connection: PoolConnection) => Promise<R>): Promise<R> {
    return onConnectionWithDeadline(this.#database.pool, this.#timeoutMs, 'participation batch', async (connection) => {
      await connection.query('START TRANSACTION');
      const result = await work(connection);
      await connection.query('COMMIT');
      return result;
    });
  }
}

/**
 * Stores the participations not stored yet, and an outbox row for each; adds their events to `committed` and
 * answers how many were new.
 */
async function record(
  connection: PoolConnection,
  kind: ParticipationKind,
  items: readonly Participation[],
  committed: CommittedEvent[],
): Promise<number> {
  if (items.length === 0) return 0;
  const { name } = kind.table;
  const stored = await storedIds(connection, name, items);
  const fresh = items.filter((p) => !stored.has(participationKey(p)));
  if (fresh.length === 0) return 0;
  await connection.query(`INSERT INTO ${name} (${kind.insertColumns.join(', ')}) VALUES ?`, [fresh.map((p) => kind.toRow(p))]);
  // Our own inserts are visible to our own transaction's read; the ids go to the outbox in insertion order.
  const ids = await storedIds(connection, name, fresh);
  const records = fresh.map((p): StoredRecord => {
    const id = ids.get(participationKey(p));
    if (id === undefined) throw new Error(`participation ${participationKey(p)} not found right after its insert`);
    return { ...p, id };
  });
  const [inserted] = await connection.query<ResultSetHeader>(
    'INSERT INTO outbox_events (event_type, record_id, traceparent) VALUES ?',
    [records.map((r) => [kind.eventType, r.id, null])],
  );
  const outboxIds = await outboxIdsFrom(connection, kind, Number(inserted.insertId));
  for (const record of records) {
    const outboxId = outboxIds.get(record.id);
    if (outboxId === undefined) throw new Error(`outbox row of ${kind.eventType} ${record.id} not found right after its insert`);
    committed.push({ kind, record, traceparent: null, outboxId });
  }
  return fresh.length;
}

/**
 * The ids of the outbox rows just inserted, by record id. A multi-row insert reports only its first id, and
 * the server need not hand out the rest consecutively, so they are read back: from the first id up, our
 * transaction's snapshot (taken at its first read, before these ids existed) shows only its own rows.
 */
async function outboxIdsFrom(connection: PoolConnection, kind: ParticipationKind, firstId: number): Promise<Map<number, number>> {
  const [rows] = await connection.query<RowDataPacket[]>(
    'SELECT id, record_id FROM outbox_events WHERE id >= ? AND event_type = ?',
    [firstId, kind.eventType],
  );
  const ids = new Map<number, number>();
  for (const row of rows) ids.set(Number(row.record_id), Number(row.id));
  return ids;
}

/** Reads by meeting (the unique key's prefix, so an index range) and maps the (meeting, user) pairs to ids. */
async function storedIds(
  connection: PoolConnection,
  table: string,
  items: readonly Participation[],
): Promise<Map<string, number>> {
  const meetingIds = [...new Set(items.map((p) => p.meetingId))];
  const [rows] = await connection.query<RowDataPacket[]>(`SELECT id, meeting_id, user_id FROM ${table} WHERE meeting_id IN (?)`, [
    meetingIds,
  ]);
  const ids = new Map<string, number>();
  for (const r of rows) ids.set(participationKey({ meetingId: r.meeting_id, userId: r.user_id }), Number(r.id));
  return ids;
}
