// What varies from one kind of record to the next, as data: its table, the event it publishes and where, and
// for participations the topic and contract it is consumed from. Stores, relay, consumer, republish, metrics
// and the AsyncAPI document iterate over the registry (registry.ts) instead of naming kinds, so that a new
// kind is one descriptor here and one migration.

import type { TObject } from '@sinclair/typebox';
import type { LocalDateTime } from '../domain/local-date-time.ts';

/** A topic name that the environment may change. */
export interface TopicSetting<Key extends string = string> {
  /** The field of `config.topics`. */
  key: Key;
  /** The environment variable that renames it. */
  env: string;
  defaultName: string;
}

/** What every stored record has: an id from its table and the user its events are keyed by. */
export interface StoredRecord {
  id: number;
  userId: string;
}

/** A row as mysql2 reads it (dates as text, see adapters/mysql/database.ts). */
export type Row = Record<string, unknown>;

// Methods rather than function-valued properties: the registry holds every kind as RecordKind<StoredRecord>,
// which TypeScript allows only with method (bivariant) parameters.
export interface RecordKind<R extends StoredRecord = StoredRecord> {
  /** Short name: the `kind` label of metrics and the republish command's `--type`. */
  name: string;
  /** The outbox row's event_type, the `event-type` header and the payload's record name. */
  eventType: string;
  /** The CloudEvents `type` of the event. */
  cloudEventType: string;
  published: TopicSetting & {
    /** The payload's JSON schema: exactly the fields `payload` gives (the Java consumer refuses unknown ones). */
    schema: TObject;
    summary: string;
    example?: Record<string, unknown>;
  };
  table: {
    name: string;
    /** The columns `fromRow` needs, for `SELECT … FROM name WHERE id IN (…)`. */
    columns: readonly string[];
    /** When a record was stored: the time range of a republish. */
    storedAt: string;
  };
  fromRow(row: Row): R;
  payload(record: R): Record<string, unknown>;
  /** When the record was stored, in the business zone: the `occurred-at` of its event. */
  occurredAt(record: R): LocalDateTime;
}

/** A record kind that comes in from another service's topic: "this user took part in this meeting". */
export interface ParticipationKind<
  Received extends { meetingId: string; userId: string } = { meetingId: string; userId: string },
  New extends { meetingId: string; userId: string } = { meetingId: string; userId: string },
  R extends StoredRecord = StoredRecord,
> extends RecordKind<R> {
  consumed: TopicSetting & {
    /** The wire contract, checked before anything else; also the AsyncAPI payload. */
    schema: TObject;
    /** Stored lower-case, so that one id in two letter cases is one participation. */
    uuidFields: readonly string[];
    /** Local date-times in Jackson's forms, converted to the business zone. */
    dateFields: readonly string[];
    summary: string;
    example: Record<string, unknown>;
  };
  /** The record to store for a message, as of `recordedAt`. */
  toNew(received: Received, recordedAt: LocalDateTime): New;
  /** The insert columns, in the order of `toRow`'s values. */
  insertColumns: readonly string[];
  toRow(participation: New): unknown[];
}
