// Every published event is also a CloudEvent (Kafka protocol binding, binary content mode): the official
// CloudEvents SDK reads the messages as they come off the topics, and the old headers are still there.

import { type CloudEvent, Kafka, type KafkaMessage } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../../testkit/http-assertions.ts';
import { dropDatabase } from '../../testkit/mysql.ts';
import { datingCompleted, studyCompleted } from '../../testkit/participation-messages.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';
import { type ServiceUnderTest, startTestService, testConfig } from '../../testkit/service-under-test.ts';
import { SpringProducer } from '../../testkit/spring-producer.ts';
import { type ReadMessage, TopicReader } from '../../testkit/topic-reader.ts';

const SOURCE = '/grewmeet/recording-command-service/test';

let sut: ServiceUnderTest;
let producer: SpringProducer;
let published: TopicReader;

beforeAll(async () => {
  sut = await startTestService(testConfig({ CLOUDEVENTS_SOURCE: SOURCE }));
  producer = new SpringProducer();
  const { topics } = sut.config;
  published = await TopicReader.open([
    topics.attendanceRecorded,
    topics.datingParticipationRecorded,
    topics.studyParticipationRecorded,
  ]);
});

afterAll(async () => {
  await published?.close();
  await producer?.close();
  await sut?.stop();
  if (sut) await dropDatabase(sut.config.databaseUrl);
});

/** The message as the SDK's Kafka binding takes it from a consumer: key, value and headers as received. */
function asCloudEvent(message: ReadMessage) {
  const received: KafkaMessage<string> = {
    key: message.key ?? '',
    value: message.value,
    headers: message.headers,
    body: message.value,
  };
  const event = Kafka.toEvent<Record<string, unknown>>(received);
  if (Array.isArray(event)) throw new Error('a batch of CloudEvents where one was expected');
  return event as CloudEvent<Record<string, unknown>>;
}

function expectCloudEventOf(message: ReadMessage, type: string) {
  const event = asCloudEvent(message);
  // The binding builds the event without checking it; validate() applies the spec's rules (throws if broken).
  expect(event.validate()).toBe(true);
  expect(event.specversion).toBe('1.0');
  expect(event.id).toBe(message.headers['event-id']);
  expect(event.type).toBe(type);
  expect(event.source).toBe(SOURCE);
  expect(event.time).toBe(new Date(message.headers['occurred-at'] ?? '').toISOString());
  expect(event.datacontenttype).toBe('application/json');
  expect(event.data).toEqual(message.json);
  // No header of ours is mistaken for a CloudEvents extension attribute.
  const attributes = Object.entries(event.toJSON()).filter(([, value]) => value !== undefined);
  expect(attributes.map(([name]) => name).sort()).toEqual(
    ['data', 'datacontenttype', 'id', 'partitionkey', 'source', 'specversion', 'time', 'type'].sort(),
  );
  return event;
}

describe('CloudEvents on published events', () => {
  it('publishes an attendance as a valid CloudEvent whose id, time and data are the event-id, occurred-at and payload', async () => {
    const user = `user_${uniqueSuffix()}`;
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const response = await fetch(`${sut.baseUrl}/api/attendance`, {
      method: 'POST',
      headers: { 'x-owner-id': user, traceparent },
    });
    expect(response.status).toBe(201);
    const record = await readJson(response);
    const [message] = (await published.waitFor((m) => m.some((e) => e.key === user))).filter((e) => e.key === user);
    if (message === undefined) throw new Error('no attendance event');

    const event = expectCloudEventOf(message, 'com.grewmeet.recording.attendance.created');
    expect(event.data).toEqual(record);
    expect(event.partitionkey).toBe(user);
    // The headers existing consumers read are unchanged.
    expect(message.headers).toMatchObject({
      'event-type': 'AttendanceRecordCreated',
      'content-type': 'application/json',
      traceparent,
    });
    expect(message.headers.ce_time).toBe(message.headers['occurred-at']);
    expect(message.headers.ce_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
  });

  it('publishes dating and study participations as valid CloudEvents of their own types', async () => {
    const dating = datingCompleted();
    const study = studyCompleted();
    const { topics } = sut.config;
    await producer.send([
      { topic: topics.datingParticipationCompleted, value: JSON.stringify(dating) },
      { topic: topics.studyParticipationCompleted, value: JSON.stringify(study) },
    ]);
    const byMeeting = (meetingId: unknown) => (m: ReadMessage) => m.json.meetingId === meetingId;
    const messages = await published.waitFor((m) => m.some(byMeeting(dating.meetingId)) && m.some(byMeeting(study.meetingId)));
    const datingEvent = messages.find(byMeeting(dating.meetingId));
    const studyEvent = messages.find(byMeeting(study.meetingId));
    if (datingEvent === undefined || studyEvent === undefined) throw new Error('events missing');

    expectCloudEventOf(datingEvent, 'com.grewmeet.recording.dating-participation.recorded');
    expectCloudEventOf(studyEvent, 'com.grewmeet.recording.study-participation.recorded');
    expect(datingEvent.headers['event-type']).toBe('DatingParticipationRecorded');
    expect(studyEvent.headers['event-type']).toBe('StudyParticipationRecorded');
    // Distinct events, distinct ids.
    expect(datingEvent.headers.ce_id).not.toBe(studyEvent.headers.ce_id);
  });
});
