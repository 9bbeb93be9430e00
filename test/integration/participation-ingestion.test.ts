// Participation ingestion through the real topics: what the dating and study services send in, what is
// stored, and what the query service reads out.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datingCompleted, studyCompleted, TYPE_ID } from '../../testkit/participation-messages.ts';
import { type ServiceUnderTest, startTestService } from '../../testkit/service-under-test.ts';
import { SpringProducer } from '../../testkit/spring-producer.ts';
import { TopicReader } from '../../testkit/topic-reader.ts';

let sut: ServiceUnderTest;
let producer: SpringProducer;
let datingOut: TopicReader;
let studyOut: TopicReader;
let deadLetters: TopicReader;

beforeAll(async () => {
  sut = await startTestService();
  producer = new SpringProducer();
  const { topics } = sut.config;
  datingOut = await TopicReader.open([topics.datingParticipationRecorded]);
  studyOut = await TopicReader.open([topics.studyParticipationRecorded]);
  deadLetters = await TopicReader.open([
    `${topics.datingParticipationCompleted}.dlq`,
    `${topics.studyParticipationCompleted}.dlq`,
  ]);
});

afterAll(async () => {
  await Promise.all([datingOut?.close(), studyOut?.close(), deadLetters?.close()]);
  await producer?.close();
  await sut?.dispose();
});

const dating = (message: Record<string, unknown>, key?: string) => ({
  topic: sut.config.topics.datingParticipationCompleted,
  value: JSON.stringify(message),
  typeId: TYPE_ID.dating,
  ...(key === undefined ? {} : { key }),
});
const study = (message: Record<string, unknown>, key?: string) => ({
  topic: sut.config.topics.studyParticipationCompleted,
  value: JSON.stringify(message),
  typeId: TYPE_ID.study,
  ...(key === undefined ? {} : { key }),
});

async function rowCount(table: string, meetingId: string): Promise<number> {
  const [rows] = await sut.sql.query(`SELECT COUNT(*) AS n FROM ${table} WHERE meeting_id = ?`, [meetingId]);
  return Number((rows as { n: number }[])[0]?.n);
}

describe('dating participation', () => {
  it('stores the participation with the dating fields renamed and publishes DatingParticipationRecorded', async () => {
    const sent = datingCompleted({ extraFieldFromANewerProducer: true });
    await producer.send([dating(sent)]);
    const [event] = await datingOut.waitFor((m) => m.some((e) => e.json.meetingId === sent.meetingId));
    const message = datingOut.messages.find((e) => e.json.meetingId === sent.meetingId);
    expect(event).toBeDefined();
    expect(message?.json).toEqual({
      id: expect.any(Number),
      datingGroupId: sent.studyGroupId,
      userId: sent.userId,
      meetingId: sent.meetingId,
      eventName: '토요일 커피 모임 ☕',
      scheduledAt: '2025-05-01T19:30:00',
      meetingCreatedAt: '2025-04-20T10:11:12.123456',
      recordedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/),
    });
    expect(message?.key).toBe(sent.userId);
    expect(message?.headers['event-type']).toBe('DatingParticipationRecorded');
    expect(message?.headers['event-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(message?.headers['content-type']).toBe('application/json');
    expect(message?.headers['occurred-at']).toMatch(/Z$/);
  });

  it('records a (meeting, user) once, however often and however it is re-sent', async () => {
    const sent = datingCompleted();
    await producer.send([dating(sent), dating(sent, 'some-key'), dating({ ...sent, userId: String(sent.userId).toUpperCase() })]);
    await datingOut.waitFor((m) => m.some((e) => e.json.meetingId === sent.meetingId));

    // Again while the service is down: the repeat waits in the topic and meets the stored row after the
    // restart (same database, topics and consumer group).
    await sut.stop();
    await producer.send([dating(sent)]);
    sut = await startTestService({ ...sut.config });
    const later = datingCompleted();
    await producer.send([dating(later)]);
    await datingOut.waitFor((m) => m.some((e) => e.json.meetingId === later.meetingId));
    await sut.service.relay.drain();

    expect(await rowCount('dating_participations', String(sent.meetingId))).toBe(1);
    expect(datingOut.messages.filter((e) => e.json.meetingId === sent.meetingId)).toHaveLength(1);
  });

  it('converts offset date-times into the business zone', async () => {
    const sent = datingCompleted({ when: '2025-05-01T10:30:00Z', createdAt: '2025-04-20T10:11:12+09:00' });
    await producer.send([dating(sent)]);
    await datingOut.waitFor((m) => m.some((e) => e.json.meetingId === sent.meetingId));
    const event = datingOut.messages.find((e) => e.json.meetingId === sent.meetingId);
    expect(event?.json.scheduledAt).toBe('2025-05-01T19:30:00');
    expect(event?.json.meetingCreatedAt).toBe('2025-04-20T10:11:12');
  });
});

describe('study participation', () => {
  it('stores the participation and publishes StudyParticipationRecorded with exactly the published fields', async () => {
    const sent = studyCompleted();
    await producer.send([study(sent, 'study-key')]);
    await studyOut.waitFor((m) => m.some((e) => e.json.meetingId === sent.meetingId));
    const message = studyOut.messages.find((e) => e.json.meetingId === sent.meetingId);
    expect(message?.json).toEqual({
      id: expect.any(Number),
      studyGroupId: sent.studyGroupId,
      userId: sent.userId,
      meetingId: sent.meetingId,
      studyGroupName: '알고리즘 스터디 🧠',
      meetingName: '3주차',
      completedAt: '2025-05-02T21:00:00.5',
      recordedAt: expect.any(String),
    });
    expect(message?.headers['event-type']).toBe('StudyParticipationRecorded');
    expect(await rowCount('study_participations', String(sent.meetingId))).toBe(1);
  });
});

describe('poison messages', () => {
  it('sends unreadable messages to <topic>.dlq with the reason, and goes on with the next message', async () => {
    const { topics } = sut.config;
    const missingField = datingCompleted();
    delete missingField.meetingId;
    const next = datingCompleted();
    await producer.send([
      { topic: topics.datingParticipationCompleted, value: 'this is not json', key: 'k1', headers: { 'x-origin': 'test' } },
      dating(missingField),
      study(studyCompleted({ completedAt: '2025-02-30T10:00:00' })),
      study(studyCompleted({ meetingName: 'x'.repeat(256) })),
      { topic: topics.studyParticipationCompleted, value: '[1,2,3]' },
      dating(next),
    ]);
    await datingOut.waitFor((m) => m.some((e) => e.json.meetingId === next.meetingId));
    const letters = await deadLetters.waitForCount(5);

    const notJson = letters.find((l) => l.value === 'this is not json');
    expect(notJson?.headers).toMatchObject({
      'dlq-reason': 'not-json',
      'dlq-original-topic': topics.datingParticipationCompleted,
      'dlq-consumer-group': sut.config.kafkaGroupId,
      'x-origin': 'test',
    });
    expect(notJson?.headers['dlq-original-partition']).toMatch(/^\d+$/);
    expect(notJson?.headers['dlq-original-offset']).toMatch(/^\d+$/);
    expect(notJson?.key).toBe('k1');

    const reasons = letters.map((l) => l.headers['dlq-reason']).sort();
    expect(reasons).toEqual(['invalid-date-time', 'not-an-object', 'not-json', 'schema-violation', 'schema-violation']);
    const missing = letters.find((l) => l.headers['dlq-error']?.includes('meetingId'));
    expect(missing?.headers['dlq-original-topic']).toBe(topics.datingParticipationCompleted);
    expect(missing?.headers.__TypeId__).toBe('com.grewmeet.dating.event.DatingParticipationReceived');
  });
});

describe('names at the limit of their columns', () => {
  // VARCHAR(255) in utf8mb4 holds 255 characters (code points), whatever their UTF-16 length: an emoji is one
  // character there but two UTF-16 units, a combining mark is a character of its own.
  const names = {
    emoji: '😀'.repeat(255),
    hangul: '한'.repeat(255),
    'combining marks': `${'e\u0301'.repeat(127)}e`,
  };

  it.each(Object.entries(names))('stores and reads back equal a name of exactly 255 characters of %s', async (_, name) => {
    expect([...name]).toHaveLength(255);
    const sentDating = datingCompleted({ studyMeetingEventName: name });
    const sentStudy = studyCompleted({ studyGroupName: name, meetingName: name });
    await producer.send([dating(sentDating), study(sentStudy)]);
    await datingOut.waitFor((m) => m.some((e) => e.json.meetingId === sentDating.meetingId));
    await studyOut.waitFor((m) => m.some((e) => e.json.meetingId === sentStudy.meetingId));

    const [datingRows] = await sut.sql.query('SELECT event_name FROM dating_participations WHERE meeting_id = ?', [
      sentDating.meetingId,
    ]);
    expect(datingRows).toEqual([{ event_name: name }]);
    const [studyRows] = await sut.sql.query(
      'SELECT study_group_name, meeting_name FROM study_participations WHERE meeting_id = ?',
      [sentStudy.meetingId],
    );
    expect(studyRows).toEqual([{ study_group_name: name, meeting_name: name }]);
    expect(datingOut.messages.find((e) => e.json.meetingId === sentDating.meetingId)?.json.eventName).toBe(name);
    expect(deadLetters.messages.filter((l) => [sentDating.meetingId, sentStudy.meetingId].includes(l.json.meetingId))).toEqual(
      [],
    );
  });

  it.each(Object.entries(names))('dead-letters a name of 256 characters of %s with the reason', async (_, name) => {
    const sent = datingCompleted({ studyMeetingEventName: `${name}x` });
    await producer.send([dating(sent)]);
    await deadLetters.waitFor((l) => l.some((m) => m.json.meetingId === sent.meetingId));
    const letter = deadLetters.messages.find((m) => m.json.meetingId === sent.meetingId);
    expect(letter?.headers['dlq-reason']).toBe('schema-violation');
    expect(letter?.headers['dlq-error']).toContain('studyMeetingEventName: Expected string length less or equal to 255');
    expect(await rowCount('dating_participations', String(sent.meetingId))).toBe(0);
  });
});
