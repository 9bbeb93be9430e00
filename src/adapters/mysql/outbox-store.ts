// The outbox seen from the relay. Any instance deletes the rows of its acknowledged events; only the holder
// of the sweep lease, a MySQL named lock held on a connection of its own, reads rows left behind. The lease
// keeps two instances from sending the same rows: correctness does not hang on it (a resend carries the same
// event-id), so when its connection drops the lease is simply free for whoever asks next.

import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { type Connection, createConnection, type RowDataPacket } from 'mysql2/promise';
import type { OutboxStore, PendingEvent } from '../../app/outbox-relay.ts';
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

export class MysqlOutboxStore implements OutboxStore {
  readonly #databaseUrl: string;
  readonly #database: Database;
  readonly #lockName: string;
  #leaseConnection: Connection | undefined;

  constructor(databaseUrl: string, database: Database) {
    const { databaseName } = database;
    this.#databaseUrl = databaseUrl;
    this.#database = database;
    // Named locks are server-wide: the database name keeps two services (or test runs) on one server apart.
    const name = `recording-outbox-sweep:${databaseName}`;
    this.#lockName = name.length <= 64 ? name : `recording-outbox-sweep:${createHash('sha1').update(databaseName).digest('hex')}`;
  }

  get holdsSweepLease(): boolean {
    return this.#leaseConnection !== undefined;
  }

  async tryTakeSweepLease(): Promise<boolean> {
    if (this.#leaseConnection !== undefined) return true;
    const { multipleStatements: _, ...options } = connectionOptions(this.#databaseUrl);
    const connection = await createConnection(options);
    try {
      const [rows] = await connection.query<RowDataPacket[]>('SELECT GET_LOCK(?, 0) AS acquired', [this.#lockName]);
      if (rows[0]?.acquired === 1) {
        connection.on('error', () => this.#dropLease());
        this.#leaseConnection = connection;
        return true;
      }
      await connection.end();
      return false;
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  /** Gives the lock back (graceful stop) so that another instance takes over the sweep at once. */
  async releaseSweepLease(): Promise<void> {
    const connection = this.#leaseConnection;
    this.#leaseConnection = undefined;
    if (connection === undefined) return;
    await connection.query('DO RELEASE_LOCK(?)', [this.#lockName]).catch(() => undefined);
    await connection.end().catch(() => connection.destroy());
  }

  #dropLease(): void {
    this.#leaseConnection?.destroy();
    this.#leaseConnection = undefined;
  }

  /** The oldest rows that have waited at least `minAgeMs`, each with the record its payload is built from. */
  async leftBehind(minAgeMs: number, limit: number): Promise<PendingEvent[]> {
    // Ages by the server's clock, like created_at's default: no clocks of two machines are compared.
    const [result] = await this.#database.pool.query<RowDataPacket[]>(
      `SELECT id, event_type, record_id, traceparent, TIMESTAMPDIFF(MICROSECOND, created_at, NOW(6)) AS age_us
       FROM outbox_events WHERE created_at <= NOW(6) - INTERVAL ? MICROSECOND ORDER BY id LIMIT ?`,
      [Math.round(minAgeMs * 1000), limit],
    );
    const rows = result as OutboxRow[];
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
    // By id, never by range: a lower id may belong to a transaction that has not committed yet.
    await this.#database.pool.query('DELETE FROM outbox_events WHERE id IN (?)', [outboxIds]);
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
