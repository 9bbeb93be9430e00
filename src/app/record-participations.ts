// Use case: the dating and study services report that users took part in meetings. A fetched batch is
// recorded in one transaction; a (meeting, user) already recorded, or repeated in the batch, is skipped.

import { localDateTimeAt } from '../domain/local-date-time.ts';
import {
  type DatingParticipationReceived,
  datingParticipationFrom,
  firstPerParticipation,
  type NewDatingParticipation,
  type NewStudyParticipation,
  type StudyParticipationReceived,
  studyParticipationFrom,
} from '../domain/participation.ts';

export interface ParticipationStore {
  /**
   * In one transaction: stores the participations whose (meeting, user) is not stored yet, and an outbox row
   * for each one stored. Answers how many were new.
   */
  recordBatch(batch: {
    dating: NewDatingParticipation[];
    study: NewStudyParticipation[];
  }): Promise<{ datingRecorded: number; studyRecorded: number }>;
}

export interface ParticipationBatchOutcome {
  datingRecorded: number;
  studyRecorded: number;
  duplicates: number;
}

export async function recordParticipations(
  deps: { store: ParticipationStore; zone: string; now: () => number },
  received: { dating: DatingParticipationReceived[]; study: StudyParticipationReceived[] },
): Promise<ParticipationBatchOutcome> {
  const recordedAt = localDateTimeAt(deps.now(), deps.zone);
  const dating = firstPerParticipation(received.dating).map((e) => datingParticipationFrom(e, recordedAt));
  const study = firstPerParticipation(received.study).map((e) => studyParticipationFrom(e, recordedAt));
  if (dating.length === 0 && study.length === 0) {
    return { datingRecorded: 0, studyRecorded: 0, duplicates: received.dating.length + received.study.length };
  }
  const stored = await deps.store.recordBatch({ dating, study });
  return {
    ...stored,
    duplicates: received.dating.length + received.study.length - stored.datingRecorded - stored.studyRecorded,
  };
}
