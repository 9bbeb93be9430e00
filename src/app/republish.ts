// Use case: re-emit the events of stored records (all, or one type and a time range) so that the query side
// can rebuild its read models. The events go through the same outbox and relay as live ones, with the same
// event-id as the first time, so consumers dedupe; they are enqueued in chunks only while the outbox backlog
// is small, so that live events keep their latency. Progress is stored: an interrupted run resumes.

import type { LocalDateTime } from '../domain/local-date-time.ts';
import type { RecordKind } from '../record-kinds/record-kind.ts';

export interface RepublishRange {
  kind: RecordKind;
  /** Inclusive lower bound of the record's stored time (business zone). */
  from: LocalDateTime | undefined;
  /** Exclusive upper bound. */
  to: LocalDateTime | undefined;
}

export interface RepublishStore {
  /** Loads or creates the job's progress; `restart` starts a finished (or unfinished) job again from the first record. */
  openJob(
    jobKey: string,
    kind: RecordKind,
    restart: boolean,
  ): Promise<{ lastRecordId: number; enqueued: number; finished: boolean }>;
  countRemaining(range: RepublishRange, afterRecordId: number): Promise<number>;
  /** In one transaction: outbox rows for the next records after `afterRecordId`, and the job's new position. */
  enqueueNext(
    jobKey: string,
    range: RepublishRange,
    afterRecordId: number,
    limit: number,
  ): Promise<{ count: number; lastRecordId: number }>;
  finishJob(jobKey: string): Promise<void>;
  outboxBacklog(): Promise<number>;
}

export interface RepublishProgress {
  kind: RecordKind;
  enqueued: number;
  total: number;
}

interface RepublishOptions {
  chunkSize: number;
  /** Enqueue the next chunk only while fewer events than this wait in the outbox. */
  maxBacklog: number;
  onProgress(progress: RepublishProgress): void;
  shouldStop(): boolean;
  sleep(ms: number): Promise<void>;
}

function republishJobKey(range: RepublishRange): string {
  return `${range.kind.eventType}|${range.from ?? '-'}|${range.to ?? '-'}`;
}

export async function republish(
  store: RepublishStore,
  range: RepublishRange,
  restart: boolean,
  options: RepublishOptions,
): Promise<{ enqueued: number; complete: boolean }> {
  const jobKey = republishJobKey(range);
  const job = await store.openJob(jobKey, range.kind, restart);
  if (job.finished) return { enqueued: 0, complete: true };
  let lastRecordId = job.lastRecordId;
  let enqueued = job.enqueued;
  const total = enqueued + (await store.countRemaining(range, lastRecordId));
  options.onProgress({ kind: range.kind, enqueued, total });
  for (;;) {
    if (options.shouldStop()) return { enqueued, complete: false };
    if ((await store.outboxBacklog()) >= options.maxBacklog) {
      await options.sleep(100);
      continue;
    }
    const chunk = await store.enqueueNext(jobKey, range, lastRecordId, options.chunkSize);
    if (chunk.count === 0) break;
    lastRecordId = chunk.lastRecordId;
    enqueued += chunk.count;
    options.onProgress({ kind: range.kind, enqueued, total: Math.max(total, enqueued) });
  }
  await store.finishJob(jobKey);
  return { enqueued, complete: true };
}
