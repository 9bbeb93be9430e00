// The outbox seen from the relay. One relay is active per database at a time: it holds a MySQL named lock on
// its own connection and reads and deletes outbox rows on that same connection, so a relay that lost its
// connection (and with it the lock) cannot go on publishing beside the new leader. A single reader in
// outbox order keeps every key's events in commit order.

import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { type Connection, createConnection, type RowDataPacket } from 'mysql2/promise';
import type { OutboxReader, PendingEvent } from '../../app/outbox-relay.ts';
import type { RecordKind, StoredRecord } from '../../record-kinds/record-kind.ts';
import { recordKindOfEventType } from '../../record-kinds/registry.ts';
import { connectionOptions, type Database } from './database.ts';

interface OutboxRow {
  id: number;
  event_type: string;
  record_id: number;
  traceparent: string | null;
  age_us: number | null;
}

export class MysqlOutboxStore implements OutboxReader {
  readonly #databaseUrl: string;
  readonly #database: Database;
  readonly #lockName: string;
  #leaderConnection: Connection | undefined;

  constructor(databaseUrl: string, database: Database) {
    const { databaseName } = database;
    this.#databaseUrl = databaseUrl;
    this.#database = database;
    // Named locks are server-wide: the database name keeps two services (or test runs) on one server apart.
    const name = `recording-outbox-relay:${databaseName}`;
    this.#lockName = name.length <= 64 ? name : `recording-outbox-relay:${createHash('sha1').update(databaseName).digest('hex')}`;
  }

  get isLeader(): boolean {
    return this.#leaderConnection !== undefined;
  }

  /** Takes the relay lock if it is free; answers whether this process is now the active relay. */
  async tryBecomeLeader(): Promise<boolean> {
    if (this.#leaderConnection !== undefined) return true;
    const { multipleStatements: _, ...options } = connectionOptions(this.#databaseUrl);
    const connection = await createConnection(options);
    try {
      const [rows] = await connection.query<RowDataPacket[]>('SELECT GET_LOCK(?, 0) AS acquired', [this.#lockName]);
      if (rows[0]?.acquired === 1) {
        connection.on('error', () => this.#dropLeadership());
        this.#leaderConnection = connection;
        return true;
      }
      await connection.end();
      return false;
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  /** Gives the lock back (graceful stop) so that another instance takes over at once. */
  async resignLeadership(): Promise<void> {
    const connection = this.#leaderConnection;
    this.#leaderConnection = undefined;
    if (connection === undefined) return;
    await connection.query('DO RELEASE_LOCK(?)', [this.#lockName]).catch(() => undefined);
    await connection.end().catch(() => connection.destroy());
  }

  #dropLeadership(): void {
    this.#leaderConnection?.destroy();
    this.#leaderConnection = undefined;
  }

  #leader(): Connection {
    if (this.#leaderConnection === undefined) throw new Error('outbox read without holding the relay lock');
    return this.#leaderConnection;
  }

  /** The oldest pending events, in outbox order, each with the record its payload is built from. */
  async nextBatch(limit: number): Promise<PendingEvent[]> {
    let rows: OutboxRow[];
    try {
      const [result] = await this.#leader().query<RowDataPacket[]>(
        'SELECT id, event_type, record_id, traceparent, TIMESTAMPDIFF(MICROSECOND, created_at, NOW(6)) AS age_us FROM outbox_events ORDER BY id LIMIT ?',
        [limit],
      );
      rows = result as OutboxRow[];
    } catch (error) {
      this.#dropLeadership();
      throw error;
    }
    if (rows.length === 0) return [];
    // One read per kind of record in the batch, all at once.
    const idsByType = new Map<string, number[]>();
    for (const row of rows) {
      const ids = idsByType.get(row.event_type);
      if (ids === undefined) idsByType.set(row.event_type, [Number(row.record_id)]);
      else ids.push(Number(row.record_id));
    }
    const recordsByType = new Map(
      await Promise.all(
        [...idsByType].map(async ([type, ids]) => {
          const kind = recordKindOfEventType(type);
          return [type, kind === undefined ? new Map<number, StoredRecord>() : await this.#records(kind, ids)] as const;
        }),
      ),
    );
    return rows.map((row) => {
      const kind = recordKindOfEventType(row.event_type);
      const record = recordsByType.get(row.event_type)?.get(Number(row.record_id));
      // Records are never deleted, so this is a row written by something else than this service.
      if (kind === undefined || record === undefined) {
        throw new Error(`outbox row ${row.id} (${row.event_type} ${row.record_id}) has no record to publish`);
      }
      return {
        outboxId: Number(row.id),
        traceparent: row.traceparent,
        ageAtReadMs: Math.max(0, Number(row.age_us ?? 0) / 1000),
        kind,
        record,
      };
    });
  }

  async markPublished(outboxIds: number[]): Promise<void> {
    if (outboxIds.length === 0) return;
    try {
      // By id, never by range: a lower id may belong to a transaction that has not committed yet.
      await this.#leader().query('DELETE FROM outbox_events WHERE id IN (?)', [outboxIds]);
    } catch (error) {
      this.#dropLeadership();
      throw error;
    }
  }

  /** How many events wait and how old the oldest is, for readiness and metrics. */
  async backlog(): Promise<{ pending: number; oldestAgeMs: number }> {
    // The age is computed by the server from its own clock, like created_at's default: no time zone involved.
    const { rows } = await sql<{ pending: number; age_us: number | null }>`
      SELECT COUNT(*) AS pending, TIMESTAMPDIFF(MICROSECOND, MIN(created_at), NOW(6)) AS age_us FROM outbox_events`.execute(
      this.#database.db,
    );
    const row = rows[0];
    return { pending: Number(row?.pending ?? 0), oldestAgeMs: Math.max(0, Number(row?.age_us ?? 0) / 1000) };
  }

  /** The records of one kind by id, read with plain mysql2 (thousands of rows per batch; see participation-store.ts). */
  async #records(kind: RecordKind, ids: number[]): Promise<Map<number, StoredRecord>> {
    const records = new Map<number, StoredRecord>();
    if (ids.length === 0) return records;
    const [rows] = await this.#database.pool.query<RowDataPacket[]>(
      `SELECT ${kind.table.columns.join(', ')} FROM ${kind.table.name} WHERE id IN (?)`,
      [ids],
    );
    for (const row of rows) records.set(Number(row.id), kind.fromRow(row));
    return records;
  }
}
