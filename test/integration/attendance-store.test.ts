// The attendance store against the real database: requests arriving together are committed in one transaction,
// each answered as if alone. Transactions and statements are counted by the server itself (session status of
// every pooled connection), not by the store.

import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MysqlAttendanceStore } from '../../src/adapters/mysql/attendance-store.ts';
import { type Database, openDatabase } from '../../src/adapters/mysql/database.ts';
import { ensureDatabaseExists, migrateToLatest } from '../../src/adapters/mysql/migrator.ts';
import type { CommittedEvent } from '../../src/app/outbox-relay.ts';
import type { NewAttendance } from '../../src/domain/attendance.ts';
import type { BusinessDate, LocalDateTime } from '../../src/domain/local-date-time.ts';
import type { OwnerId } from '../../src/domain/owner-id.ts';
import { dropDatabase } from '../../testkit/mysql.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';

const POOL_SIZE = 4;
const databaseUrl = `${inject('databaseServerUrl')}/rc_store_${uniqueSuffix()}`;
let database: Database;
let handedOver: CommittedEvent[];
/** One transaction at a time: the first request of a burst goes alone, all the others wait for the next one. */
let store: MysqlAttendanceStore;

beforeAll(async () => {
  await ensureDatabaseExists(databaseUrl);
  database = openDatabase(databaseUrl, POOL_SIZE);
  await migrateToLatest(database.db);
  handedOver = [];
  store = new MysqlAttendanceStore(database, {
    timeoutMs: 10_000,
    onCommitted: (events) => handedOver.push(...events),
    groupsInFlight: 1,
  });
});

afterAll(async () => {
  await database?.close();
  await dropDatabase(databaseUrl);
});

const newUser = () => `user_${Date.now()}_${uniqueSuffix()}` as OwnerId;

function attendance(userId: OwnerId, date = '2025-04-01'): NewAttendance {
  return {
    userId,
    attendanceTime: `${date}T09:00:00` as LocalDateTime,
    attendanceDate: date as BusinessDate,
    createdAt: `${date}T09:00:01` as LocalDateTime,
  };
}

function insertAll(users: OwnerId[], traceparent?: string) {
  return Promise.all(users.map((user) => store.insertWithEvent(attendance(user), { traceparent })));
}

/** COMMIT, INSERT and SELECT statements the server ran on the pool's connections, summed. */
async function serverCounters(): Promise<{ commits: number; inserts: number; selects: number }> {
  const connections = await Promise.all(Array.from({ length: POOL_SIZE }, () => database.pool.getConnection()));
  const totals = { commits: 0, inserts: 0, selects: 0 };
  try {
    for (const connection of connections) {
      const [rows] = await connection.query<RowDataPacket[]>(
        "SHOW SESSION STATUS WHERE Variable_name IN ('Com_commit', 'Com_insert', 'Com_select')",
      );
      const value = (name: string) => Number(rows.find((r) => r.Variable_name === name)?.Value ?? 0);
      totals.commits += value('Com_commit');
      totals.inserts += value('Com_insert');
      totals.selects += value('Com_select');
    }
  } finally {
    for (const connection of connections) connection.release();
  }
  return totals;
}

async function countedRun<T>(work: () => Promise<T>): Promise<{ result: T; commits: number; inserts: number; selects: number }> {
  const before = await serverCounters();
  const result = await work();
  const after = await serverCounters();
  return {
    result,
    commits: after.commits - before.commits,
    inserts: after.inserts - before.inserts,
    selects: after.selects - before.selects,
  };
}

function eventsOf(users: OwnerId[]): CommittedEvent[] {
  return handedOver.filter((e) => users.includes(e.record.userId as OwnerId));
}

async function storedRows(users: OwnerId[]): Promise<RowDataPacket[]> {
  const [rows] = await database.pool.query<RowDataPacket[]>(
    `SELECT r.id, r.user_id, o.id AS outbox_id, o.traceparent
       FROM attendance_records r LEFT JOIN outbox_events o ON o.record_id = r.id
      WHERE r.user_id IN (?) ORDER BY r.id`,
    [users],
  );
  return rows;
}

describe('MysqlAttendanceStore, requests arriving together', () => {
  it('commits a lone request at once in the single-statement transaction', async () => {
    const user = newUser();
    const run = await countedRun(() => insertAll([user]));
    expect(run.result).toEqual([{ kind: 'created', record: expect.objectContaining({ userId: user }) }]);
    expect(run).toMatchObject({ commits: 1, inserts: 2, selects: 0 });
  });

  it('creates every one of 20 concurrent requests in two transactions, each with its own record and outbox row handed over once', async () => {
    const users = Array.from({ length: 20 }, newUser);
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const run = await countedRun(() => insertAll(users, traceparent));

    // The first went alone; the 19 that arrived meanwhile went together: a transaction and two inserts each.
    expect(run).toMatchObject({ commits: 2, inserts: 4 });
    const ids = run.result.map((outcome, i) => {
      expect(outcome).toEqual({ kind: 'created', record: expect.objectContaining({ userId: users[i] }) });
      return outcome.kind === 'created' ? outcome.record.id : undefined;
    });
    expect(new Set(ids).size).toBe(20);

    const rows = await storedRows(users);
    expect(rows).toHaveLength(20);
    const events = eventsOf(users);
    expect(events).toHaveLength(20);
    expect(
      events.map((e) => ({ id: e.record.id, outboxId: e.outboxId, traceparent: e.traceparent })).sort((a, b) => a.id - b.id),
    ).toEqual(rows.map((r) => ({ id: Number(r.id), outboxId: Number(r.outbox_id), traceparent: r.traceparent })));
    for (const [i, user] of users.entries()) {
      expect(events.find((e) => e.record.userId === user)?.record).toEqual(
        run.result[i]?.kind === 'created' && run.result[i].record,
      );
    }
  });

  it("creates the first of one user's same-day requests in a group and answers the others as duplicates", async () => {
    const first = newUser();
    const user = newUser();
    const run = await countedRun(() => insertAll([first, user, user, user, user]));

    expect(run.commits).toBe(2);
    expect(run.result.map((o) => o.kind)).toEqual(['created', 'created', 'duplicate', 'duplicate', 'duplicate']);
    expect(await storedRows([user])).toHaveLength(1);
    const events = eventsOf([user]);
    expect(events).toHaveLength(1);
    expect(events[0]?.record).toEqual(run.result[1]?.kind === 'created' && run.result[1].record);
  });

  it('answers a request whose day another writer already stored as a duplicate and still creates the rest of its group', async () => {
    const [first, stored, second, third] = [newUser(), newUser(), newUser(), newUser()];
    await database.pool.query(
      "INSERT INTO attendance_records (user_id, attendance_time, attendance_date, created_at) VALUES (?, '2025-04-01 07:00:00', '2025-04-01', NOW(6))",
      [stored],
    );
    const before = handedOver.length;
    const outcomes = await insertAll([first, second, stored, third]);

    expect(outcomes.map((o) => o.kind)).toEqual(['created', 'created', 'duplicate', 'created']);
    expect(handedOver.slice(before).map((e) => e.record.userId)).toEqual(expect.arrayContaining([first, second, third]));
    expect(handedOver.length - before).toBe(3);
    const rows = await storedRows([first, stored, second, third]);
    expect(rows.map((r) => [r.user_id, r.outbox_id === null])).toEqual([
      [stored, true],
      ...[first, second, third].map((u) => [u, false]),
    ]);
  });

  it('fails only the request whose data the server refuses, not the others of its group', async () => {
    const [first, second, third] = [newUser(), newUser(), newUser()];
    const tooLong = 'x'.repeat(65) as OwnerId;
    const outcomes = await Promise.allSettled(
      [first, second, tooLong, third].map((u) => store.insertWithEvent(attendance(u), { traceparent: undefined })),
    );

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[2] as PromiseRejectedResult).reason.name).toBe('RecordRefusedError');
    expect(await storedRows([first, second, third])).toHaveLength(3);
    expect(eventsOf([first, second, third])).toHaveLength(3);
  });
});
