// What every record kind's descriptor must hold, checked without a database or a broker: a new kind that gets
// one of these wrong fails here, before the integration tests tell it in a roundabout way.

import { describe, expect, it } from 'vitest';
import { parseParticipation } from '../../src/adapters/kafka/participation-messages.ts';
import { loadConfig } from '../../src/config.ts';
import type { LocalDateTime } from '../../src/domain/local-date-time.ts';
import { attendance } from '../../src/record-kinds/attendance.ts';
import {
  allTopics,
  consumedTopic,
  PARTICIPATION_KINDS,
  publishedTopic,
  RECORD_KINDS,
  recordKindNamed,
  recordKindOfEventType,
} from '../../src/record-kinds/registry.ts';

const recordedAt = '2025-05-02T21:00:01' as LocalDateTime;

describe('the record-kind registry', () => {
  it('names every kind, event type, CloudEvents type, table and topic setting once', () => {
    const once = (values: string[]) => expect(new Set(values).size, values.join(', ')).toBe(values.length);
    once(RECORD_KINDS.map((kind) => kind.name));
    once(RECORD_KINDS.map((kind) => kind.eventType));
    once(RECORD_KINDS.map((kind) => kind.cloudEventType));
    once(RECORD_KINDS.map((kind) => kind.table.name));
    once([...RECORD_KINDS.map((kind) => kind.published.env), ...PARTICIPATION_KINDS.map((kind) => kind.consumed.env)]);
    for (const kind of RECORD_KINDS) {
      expect(recordKindOfEventType(kind.eventType)).toBe(kind);
      expect(recordKindNamed(kind.name)).toBe(kind);
    }
  });

  it('gives every kind its topics in the configuration, and creates each of them', () => {
    const { topics } = loadConfig({});
    const created = allTopics(topics);
    for (const kind of RECORD_KINDS) expect(created).toContain(publishedTopic(kind, topics));
    for (const kind of PARTICIPATION_KINDS) {
      expect(created).toContain(consumedTopic(kind, topics));
      expect(created).toContain(`${consumedTopic(kind, topics)}.dlq`);
    }
  });

  it.each(PARTICIPATION_KINDS.map((kind) => [kind.name, kind] as const))(
    'maps a %s participation from its documented example to a row and to an event of exactly its published fields',
    (_, kind) => {
      const parsed = parseParticipation(kind, Buffer.from(JSON.stringify(kind.consumed.example)), 'Asia/Seoul');
      if (!parsed.ok) throw new Error(`the documented example is refused: ${parsed.detail}`);
      const participation = kind.toNew(parsed.event, recordedAt);
      expect(kind.toRow(participation)).toHaveLength(kind.insertColumns.length);
      const record = { id: 1, ...participation };
      expect(Object.keys(kind.payload(record)).sort()).toEqual(Object.keys(kind.published.schema.properties).sort());
      expect(kind.occurredAt(record)).toBe(recordedAt);
      // What the relay reads back is what was written: the table's columns give the record again.
      const row = Object.fromEntries(kind.insertColumns.map((column, i) => [column, kind.toRow(participation)[i]]));
      expect(kind.fromRow({ id: 1, ...row })).toEqual(record);
    },
  );

  it('maps an attendance record to an event of exactly its published fields', () => {
    const record = {
      id: 7,
      userId: 'user_1732500000000_123456789012',
      attendanceTime: '2025-01-03T10:00:00' as LocalDateTime,
      createdAt: '2025-01-03T10:00:00.123' as LocalDateTime,
    };
    expect(Object.keys(attendance.payload(record as never)).sort()).toEqual(
      Object.keys(attendance.published.schema.properties).sort(),
    );
    expect(
      attendance.fromRow({
        id: 7,
        user_id: record.userId,
        attendance_time: '2025-01-03 10:00:00',
        created_at: '2025-01-03 10:00:00.123000',
      }),
    ).toEqual(record);
  });
});
