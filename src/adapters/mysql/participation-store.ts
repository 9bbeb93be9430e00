// Dating and study participations in MySQL, a whole fetched batch per transaction (multi-row statements).
// Deduplication is by the unique key (meeting_id, user_id): rows already stored are filtered out first, and
// a concurrent writer that slips in between makes the insert fail on the key, after which the whole batch
// is retried and the second read sees that row.

import type { Kysely, Transaction } from 'kysely';
import { DependencyUnavailableError } from '../../app/dependency-unavailable.ts';
import type { ParticipationStore } from '../../app/record-participations.ts';
import type { EventType } from '../../domain/events.ts';
import {
  type NewDatingParticipation,
  type NewStudyParticipation,
  participationKey,
  type Uuid,
} from '../../domain/participation.ts';
import { isDatabaseUnavailable, isDeadlock, isDuplicateKey, toSqlDateTime } from './database.ts';
import type { RecordingDatabase } from './schema.ts';

const MAX_ATTEMPTS = 5;

type ParticipationTable = 'dating_participations' | 'study_participations';

export class MysqlParticipationStore implements ParticipationStore {
  readonly #db: Kysely<RecordingDatabase>;
  readonly #onEventsWritten: () => void;

  constructor(db: Kysely<RecordingDatabase>, options: { onEventsWritten: () => void }) {
    this.#db = db;
    this.#onEventsWritten = options.onEventsWritten;
  }

  async recordBatch(batch: {
    dating: NewDatingParticipation[];
    study: NewStudyParticipation[];
  }): Promise<{ datingRecorded: number; studyRecorded: number }> {
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await this.#db.transaction().execute(async (trx) => ({
          datingRecorded: await this.#recordDating(trx, batch.dating),
          studyRecorded: await this.#recordStudy(trx, batch.study),
        }));
        if (outcome.datingRecorded + outcome.studyRecorded > 0) this.#onEventsWritten();
        return outcome;
      } catch (error) {
        if ((isDuplicateKey(error) || isDeadlock(error)) && attempt < MAX_ATTEMPTS) continue;
        throw isDatabaseUnavailable(error) ? new DependencyUnavailableError('database', error) : error;
      }
    }
  }

  async #recordDating(trx: Transaction<RecordingDatabase>, items: NewDatingParticipation[]): Promise<number> {
    const fresh = await this.#notYetStored(trx, 'dating_participations', items);
    if (fresh.length === 0) return 0;
    await trx
      .insertInto('dating_participations')
      .values(
        fresh.map((p) => ({
          dating_group_id: p.datingGroupId,
          user_id: p.userId,
          meeting_id: p.meetingId,
          event_name: p.eventName,
          scheduled_at: toSqlDateTime(p.scheduledAt),
          meeting_created_at: toSqlDateTime(p.meetingCreatedAt),
          recorded_at: toSqlDateTime(p.recordedAt),
        })),
      )
      .execute();
    await this.#writeOutbox(trx, 'dating_participations', 'DatingParticipationRecorded', fresh);
    return fresh.length;
  }

  async #recordStudy(trx: Transaction<RecordingDatabase>, items: NewStudyParticipation[]): Promise<number> {
    const fresh = await this.#notYetStored(trx, 'study_participations', items);
    if (fresh.length === 0) return 0;
    await trx
      .insertInto('study_participations')
      .values(
        fresh.map((p) => ({
          study_group_id: p.studyGroupId,
          user_id: p.userId,
          meeting_id: p.meetingId,
          study_group_name: p.studyGroupName,
          meeting_name: p.meetingName,
          completed_at: toSqlDateTime(p.completedAt),
          recorded_at: toSqlDateTime(p.recordedAt),
        })),
      )
      .execute();
    await this.#writeOutbox(trx, 'study_participations', 'StudyParticipationRecorded', fresh);
    return fresh.length;
  }

  /** Reads by meeting (the unique key's prefix, so an index range) and filters to the exact (meeting, user) pairs. */
  async #storedIds(
    trx: Transaction<RecordingDatabase>,
    table: ParticipationTable,
    items: readonly { meetingId: Uuid; userId: Uuid }[],
  ): Promise<Map<string, number>> {
    const meetingIds = [...new Set(items.map((p) => p.meetingId))];
    const rows = await trx
      .selectFrom(table)
      .select(['id', 'meeting_id', 'user_id'])
      .where('meeting_id', 'in', meetingIds)
      .execute();
    return new Map(
      rows.map((r) => [participationKey({ meetingId: r.meeting_id as Uuid, userId: r.user_id as Uuid }), Number(r.id)]),
    );
  }

  async #notYetStored<T extends { meetingId: Uuid; userId: Uuid }>(
    trx: Transaction<RecordingDatabase>,
    table: ParticipationTable,
    items: T[],
  ): Promise<T[]> {
    if (items.length === 0) return [];
    const stored = await this.#storedIds(trx, table, items);
    return items.filter((p) => !stored.has(participationKey(p)));
  }

  async #writeOutbox(
    trx: Transaction<RecordingDatabase>,
    table: ParticipationTable,
    eventType: EventType,
    inserted: readonly { meetingId: Uuid; userId: Uuid }[],
  ): Promise<void> {
    // Our own inserts are visible to our own transaction's read; the ids go to the outbox in insertion order.
    const ids = await this.#storedIds(trx, table, inserted);
    const values = inserted.map((p) => {
      const id = ids.get(participationKey(p));
      if (id === undefined) throw new Error(`participation ${participationKey(p)} not found right after its insert`);
      return { event_type: eventType, record_id: id, traceparent: null };
    });
    await trx.insertInto('outbox_events').values(values).execute();
  }
}
