// What the consumers accept from the Spring producers, and what they dead-letter, message by message.
// (Parsing is pure: bytes in, an event or a reason out; the topics and the store are tested in integration.)

import { describe, expect, it } from 'vitest';
import { parseParticipation } from '../../src/adapters/kafka/participation-messages.ts';
import { datingParticipation } from '../../src/record-kinds/dating-participation.ts';
import { studyParticipation } from '../../src/record-kinds/study-participation.ts';

const zone = 'Asia/Seoul';
const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

const dating = {
  studyGroupId: '6f1c2a3e-8f64-4c1e-9a51-2f0b7d2c9e11',
  userId: '0b8e7a52-3c2d-4e8f-9d1a-5c6b7a8e9f00',
  meetingId: 'a2c4e6f8-1b3d-4f5a-8c7e-9d0b1a2c3e4f',
  studyMeetingEventName: '토요일 커피 모임 ☕',
  when: '2025-05-01T19:30:00',
  createdAt: '2025-04-20T10:11:12.123456789',
};

// The example the event catalogue shows for the study service's messages.
const study = studyParticipation.consumed.example;

describe('parseParticipation', () => {
  it("reads the dating service's sample from peer-contract.md, cutting the fraction to 6 digits", () => {
    expect(parseParticipation(datingParticipation, bytes(dating), zone)).toEqual({
      ok: true,
      kind: datingParticipation,
      event: { ...dating, createdAt: '2025-04-20T10:11:12.123456' },
    });
  });

  it("reads the study service's sample, keeping a one-digit fraction", () => {
    expect(parseParticipation(studyParticipation, bytes(study), zone)).toEqual({
      ok: true,
      kind: studyParticipation,
      event: study,
    });
  });

  it('ignores unknown fields, lower-cases UUIDs and converts offsets into the business zone', () => {
    const parsed = parseParticipation(
      datingParticipation,
      bytes({ ...dating, userId: dating.userId.toUpperCase(), when: '2025-05-01T10:30:00Z', newField: [1, 2] }),
      zone,
    );
    expect(parsed.ok && parsed.kind === datingParticipation && parsed.event).toMatchObject({
      userId: dating.userId,
      when: '2025-05-01T19:30:00',
    });
    expect(parsed.ok && Object.keys(parsed.event)).not.toContain('newField');
  });

  it.each([
    ['no value', undefined, 'empty-value'],
    ['an empty value', Buffer.alloc(0), 'empty-value'],
    ['text that is not JSON', bytes('hello'), 'not-json'],
    ['a JSON array', bytes('[1,2]'), 'not-an-object'],
    ['JSON null', bytes('null'), 'not-an-object'],
    ['a missing meetingId', bytes({ ...dating, meetingId: undefined }), 'schema-violation'],
    ['a meetingId that is not a UUID', bytes({ ...dating, meetingId: 'meeting-1' }), 'schema-violation'],
    ['a numeric name', bytes({ ...dating, studyMeetingEventName: 7 }), 'schema-violation'],
    ['a name over 255 characters', bytes({ ...dating, studyMeetingEventName: 'x'.repeat(256) }), 'schema-violation'],
    ['a null date', bytes({ ...dating, when: null }), 'schema-violation'],
    ['Jackson timestamps as arrays', bytes({ ...dating, when: [2025, 5, 1, 19, 30] }), 'schema-violation'],
    ['an impossible date', bytes({ ...dating, when: '2025-02-30T19:30:00' }), 'invalid-date-time'],
  ])('refuses %s with the reason %s', (_, value, reason) => {
    const parsed = parseParticipation(datingParticipation, value as Buffer | undefined, zone);
    expect(parsed).toMatchObject({ ok: false, reason });
    expect(!parsed.ok && parsed.detail.length).toBeGreaterThan(0);
  });

  // 255 characters as the utf8mb4 VARCHAR(255) column counts them (code points), whatever their UTF-16 length.
  const names255 = {
    emoji: '😀'.repeat(255),
    hangul: '한'.repeat(255),
    'combining marks': `${'e\u0301'.repeat(127)}e`,
  };

  it.each(Object.entries(names255))('accepts a name of exactly 255 characters of %s', (_, name) => {
    expect([...name]).toHaveLength(255);
    expect(parseParticipation(datingParticipation, bytes({ ...dating, studyMeetingEventName: name }), zone)).toMatchObject({
      ok: true,
      event: { studyMeetingEventName: name },
    });
    expect(parseParticipation(studyParticipation, bytes({ ...study, studyGroupName: name, meetingName: name }), zone).ok).toBe(
      true,
    );
  });

  it.each(Object.entries(names255))('refuses a name of 256 characters of %s, naming the limit', (_, name) => {
    const parsed = parseParticipation(studyParticipation, bytes({ ...study, meetingName: `${name}x` }), zone);
    expect(parsed).toMatchObject({ ok: false, reason: 'schema-violation' });
    expect(!parsed.ok && parsed.detail).toContain('meetingName: Expected string length less or equal to 255 characters');
  });

  it('names the field that is wrong', () => {
    const parsed = parseParticipation(studyParticipation, bytes({ ...study, completedAt: undefined }), zone);
    expect(!parsed.ok && parsed.detail).toContain('completedAt');
  });
});
