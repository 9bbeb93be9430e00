// The records a republish walks through, in id order, and the job's stored position.

import { type Kysely, sql } from 'kysely';
import type { RepublishRange, RepublishStore } from '../../app/republish.ts';
import type { RecordKind } from '../../record-kinds/record-kind.ts';
import { toSqlDateTime } from '../../record-kinds/row-text.ts';
import type { RecordingDatabase } from './schema.ts';

export class MysqlRepublishStore implements RepublishStore {
  readonly #db: Kysely<RecordingDatabase>;

  constructor(db: Kysely<RecordingDatabase>) {
    this.#db = db;
  }

  async openJob(jobKey: string, kind: RecordKind, restart: boolean) {
    if (restart) await this.#db.deleteFrom('republish_jobs').where('job_key', '=', jobKey).execute();
    await sql`INSERT INTO republish_jobs (job_key, event_type) VALUES (${jobKey}, ${kind.eventType})
      ON DUPLICATE KEY UPDATE job_key = job_key`.execute(this.#db);
    const job = await this.#db.selectFrom('republish_jobs').selectAll().where('job_key', '=', jobKey).executeTakeFirstOrThrow();
    return { lastRecordId: Number(job.last_record_id), enqueued: Number(job.enqueued), finished: job.finished_at !== null };
  }

  #records(range: RepublishRange, afterRecordId: number) {
    // The time range of a republish is when records were stored.
    const { name, storedAt } = range.kind.table;
    return sql`FROM ${sql.table(name)} WHERE id > ${afterRecordId}
      ${range.from === undefined ? sql`` : sql`AND ${sql.ref(storedAt)} >= ${toSqlDateTime(range.from)}`}
      ${range.to === undefined ? sql`` : sql`AND ${sql.ref(storedAt)} < ${toSqlDateTime(range.to)}`}`;
  }

  async countRemaining(range: RepublishRange, afterRecordId: number): Promise<number> {
    const { rows } = await sql<{ n: number }>`SELECT COUNT(*) AS n ${this.#records(range, afterRecordId)}`.execute(this.#db);
    return Number(rows[0]?.n ?? 0);
  }

  async enqueueNext(jobKey: string, range: RepublishRange, afterRecordId: number, limit: number) {
    return this.#db.transaction().execute(async (trx) => {
      const { rows } = await sql<{
        id: number;
      }>`SELECT id ${this.#records(range, afterRecordId)} ORDER BY id LIMIT ${limit}`.execute(trx);
      if (rows.length === 0) return { count: 0, lastRecordId: afterRecordId };
      await trx
        .insertInto('outbox_events')
        .values(rows.map((r) => ({ event_type: range.kind.eventType, record_id: Number(r.id), traceparent: null })))
        .execute();
      const lastRecordId = Number(rows[rows.length - 1]?.id);
      await trx
        .updateTable('republish_jobs')
        .set((eb) => ({ last_record_id: lastRecordId, enqueued: eb('enqueued', '+', rows.length) }))
        .where('job_key', '=', jobKey)
        .execute();
      return { count: rows.length, lastRecordId };
    });
  }

  async finishJob(jobKey: string): Promise<void> {
    await sql`UPDATE republish_jobs SET finished_at = NOW(6) WHERE job_key = ${jobKey}`.execute(this.#db);
  }

  async outboxBacklog(): Promise<number> {
    const { rows } = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM outbox_events`.execute(this.#db);
    return Number(rows[0]?.n ?? 0);
  }
}
