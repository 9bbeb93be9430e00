// Use case: the services that run meetings report that users took part in them. A fetched batch is recorded in
// one transaction; a (meeting, user) already recorded, or repeated in the batch, is skipped. Which kinds of
// participation there are is the registry's business (src/record-kinds/): nothing here names one.

import { localDateTimeAt } from '../domain/local-date-time.ts';
import { firstPerParticipation } from '../domain/participation.ts';
import type { ParticipationKind } from '../record-kinds/record-kind.ts';

/** What identifies a participation, whatever its kind: the record's own fields are its kind's business. */
export type Participation = { meetingId: string; userId: string };

/** A participation message as parsed, with the kind whose topic it came from. */
interface ReceivedOfKind {
  kind: ParticipationKind;
  event: Participation;
}

export interface ParticipationStore {
  /**
   * In one transaction: stores the participations whose (meeting, user) is not stored yet, and an outbox row
   * for each one stored. Answers how many were new, by kind.
   */
  recordBatch(batch: ReadonlyMap<ParticipationKind, readonly Participation[]>): Promise<Map<ParticipationKind, number>>;
}

export interface ParticipationBatchOutcome {
  /** New records by kind name. */
  recorded: Map<string, number>;
  duplicates: number;
}

export function recordedTotal(outcome: ParticipationBatchOutcome): number {
  let total = 0;
  for (const count of outcome.recorded.values()) total += count;
  return total;
}

export async function recordParticipations(
  deps: { store: ParticipationStore; zone: string; now: () => number },
  received: readonly ReceivedOfKind[],
): Promise<ParticipationBatchOutcome> {
  const recordedAt = localDateTimeAt(deps.now(), deps.zone);
  const byKind = new Map<ParticipationKind, Participation[]>();
  for (const { kind, event } of received) {
    const events = byKind.get(kind);
    if (events === undefined) byKind.set(kind, [event]);
    else events.push(event);
  }
  const batch = new Map<ParticipationKind, Participation[]>();
  for (const [kind, events] of byKind) {
    batch.set(
      kind,
      firstPerParticipation(events).map((event) => kind.toNew(event, recordedAt)),
    );
  }
  const recorded = new Map<string, number>();
  if ([...batch.values()].every((items) => items.length === 0)) return { recorded, duplicates: received.length };
  const stored = await deps.store.recordBatch(batch);
  for (const [kind, count] of stored) if (count > 0) recorded.set(kind.name, count);
  const outcome = { recorded, duplicates: 0 };
  outcome.duplicates = received.length - recordedTotal(outcome);
  return outcome;
}
