// Our published events held against the GrewMeet query service's contract with its own parser (its event
// classes and ObjectMapper, in Java: testkit/query-service-contract/). It fails on what would lose events
// there: a topic it does not listen on, a field it does not know (it fails on unknown properties and only logs),
// a date-time it cannot read or reads as another time, a field it expects that we stopped sending.
// Runs after every other integration test file (vitest.config.ts), since its last test reads all their events.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { dropDatabase } from '../../testkit/mysql.ts';
import { datingCompleted, studyCompleted } from '../../testkit/participation-messages.ts';
import {
  checkEveryPublishedEvent,
  checksOfOwnBrokers,
  contractTopicOf,
  EVENT_TYPES,
  QUERY_SERVICE_SETTINGS,
  topicOf,
} from '../../testkit/query-service-contract.ts';
import { queryServiceTopics, readAsQueryService, type TopicCheck } from '../../testkit/query-service-parser.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';
import { type ServiceUnderTest, startTestService } from '../../testkit/service-under-test.ts';
import { SpringProducer } from '../../testkit/spring-producer.ts';
import { type ReadMessage, TopicReader } from '../../testkit/topic-reader.ts';

declare module 'vitest' {
  interface TaskMeta {
    eventsReadByQueryServiceParser?: Record<string, number>;
  }
}

// Fields of the query service's classes that our events do not have: this service records no sessions or
// statuses, so the query service's attendance documents carry null there.
const FIELDS_WE_DO_NOT_SEND: Record<string, string[]> = {
  AttendanceRecordCreated: ['sessionId', 'status'],
  DatingParticipationRecorded: [],
  StudyParticipationRecorded: [],
};

/** The failures of a set of checks, each with its topic, for an assertion whose diff says what broke. */
const failuresOf = (checks: TopicCheck[]) => checks.flatMap(({ topic, failures }) => failures.map((f) => ({ topic, ...f })));

/** The fields the query service found null (and in how many messages), other than those we never send. */
function unexpectedlyAbsent(checks: TopicCheck[]) {
  return checks.flatMap(({ topic, eventClass, absentFields }) =>
    Object.entries(absentFields)
      .filter(([field]) => !FIELDS_WE_DO_NOT_SEND[eventClass]?.includes(field))
      .map(([field, count]) => ({ topic, field, count })),
  );
}

describe('the GrewMeet query service', () => {
  it('listens on our topics once TOPIC_ATTENDANCE_RECORDED is set as the README says, and on no other', async () => {
    const theirs = await queryServiceTopics();
    const ours = Object.fromEntries(EVENT_TYPES.map((type) => [contractTopicOf(type), type]));
    expect(ours).toEqual(theirs);

    // With our defaults only the attendance topic differs: that is why the README names the setting.
    const defaults = loadConfig({}).topics;
    expect(EVENT_TYPES.filter((type) => topicOf(type, defaults) !== contractTopicOf(type))).toEqual(['AttendanceRecordCreated']);
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    for (const [name, value] of Object.entries(QUERY_SERVICE_SETTINGS)) {
      expect(readme.includes(`${name}=${value}`), `the README tells to set ${name}=${value}`).toBe(true);
    }
  });

  describe('maps edge values exactly as we published them', () => {
    let sut: ServiceUnderTest;
    let producer: SpringProducer;
    let out: TopicReader[];

    // Past Java's int (2^31 - 1), past 32 bits, and near the largest integer a JavaScript number holds exactly.
    const FIRST_IDS = { attendance_records: 2 ** 31 + 1, dating_participations: 2 ** 32 + 1, study_participations: 2 ** 53 - 9 };

    beforeAll(async () => {
      sut = await startTestService();
      for (const [table, id] of Object.entries(FIRST_IDS)) await sut.sql.query(`ALTER TABLE ${table} AUTO_INCREMENT = ${id}`);
      producer = new SpringProducer();
      const { topics } = sut.config;
      out = await Promise.all(EVENT_TYPES.map((type) => TopicReader.open([topicOf(type, topics)])));
    });

    afterAll(async () => {
      await Promise.all((out ?? []).map((reader) => reader.close()));
      await producer?.close();
      await sut?.stop();
      if (sut) await dropDatabase(sut.config.databaseUrl);
    });

    it('0 and 6 fraction digits, names at the length limit in Hangul and emoji, ids past 2^31', async () => {
      // Names are limited to 255 UTF-16 code units: 255 Hangul syllables, 51 five-unit emoji sequences, or 127
      // emoji and one more character.
      const hangul = `${'출석체크'.repeat(63)}완료함`;
      const emoji = '🧑‍💻'.repeat(51);
      const emojiAtLimit = `${'🎉'.repeat(127)}☕`;
      expect([hangul.length, emoji.length, emojiAtLimit.length]).toEqual([255, 255, 255]);

      const users = [`user_${uniqueSuffix()}`, `user_${uniqueSuffix()}`];
      const attendanceTimes = ['2025-01-03T10:00:00', '2025-01-03T10:00:00.123456'];
      for (const [i, user] of users.entries()) {
        const response = await fetch(`${sut.baseUrl}/api/attendance`, {
          method: 'POST',
          headers: { 'x-owner-id': user, 'content-type': 'application/json' },
          body: JSON.stringify({ attendanceTime: attendanceTimes[i] }),
        });
        expect(response.status).toBe(201);
      }
      const datings = [
        datingCompleted({ studyMeetingEventName: hangul, when: '2025-05-01T19:30:00', createdAt: '2025-04-20T10:11:12.123456' }),
        datingCompleted({
          studyMeetingEventName: emojiAtLimit,
          when: '2025-05-01T19:30:00.000001',
          createdAt: '2025-04-20T10:11:12.999999999',
        }),
      ];
      const studies = [
        studyCompleted({ studyGroupName: hangul, meetingName: emoji, completedAt: '2025-05-02T21:00:00' }),
        studyCompleted({ studyGroupName: emojiAtLimit, meetingName: hangul, completedAt: '2025-05-02T21:00:00.654321' }),
      ];
      const { topics } = sut.config;
      await producer.send([
        ...datings.map((m) => ({ topic: topics.datingParticipationCompleted, value: JSON.stringify(m) })),
        ...studies.map((m) => ({ topic: topics.studyParticipationCompleted, value: JSON.stringify(m) })),
      ]);
      const published = await Promise.all(out.map((reader) => reader.waitForCount(2)));

      const checks = await readAsQueryService(
        sut.config.kafkaBrokers.join(','),
        EVENT_TYPES.map((type) => ({ topic: topicOf(type, topics), contractTopic: contractTopicOf(type) })),
        { echo: true },
      );
      expect(failuresOf(checks)).toEqual([]);
      expect(unexpectedlyAbsent(checks)).toEqual([]);

      // Field by field, the query service holds what we wrote: ids in full, date-times to the microsecond.
      const seen = (type: string) => {
        const check = checks.find((c) => c.topic === topicOf(type, topics));
        const ours = published[EVENT_TYPES.indexOf(type)] ?? [];
        expect(check?.mapped).toHaveLength(ours.length);
        return (check?.mapped ?? []).map(({ partition, offset, fields }) => {
          const message = ours.find((m) => m.partition === partition && m.offset === BigInt(offset)) as ReadMessage;
          const ourFields = Object.fromEntries(Object.entries(message.json).map(([name, value]) => [name, String(value)]));
          const theirFields = Object.fromEntries(Object.entries(fields).filter(([name]) => name in message.json));
          expect(theirFields).toEqual(ourFields);
          return fields;
        });
      };
      const attendances = seen('AttendanceRecordCreated');
      const datingEvents = seen('DatingParticipationRecorded');
      const studyEvents = seen('StudyParticipationRecorded');

      expect(attendances.map((f) => f.attendanceTime).sort()).toEqual(attendanceTimes);
      expect(attendances.map((f) => [f.sessionId, f.status])).toEqual([
        [null, null],
        [null, null],
      ]);
      expect(datingEvents.map((f) => [f.eventName, f.scheduledAt, f.meetingCreatedAt]).sort()).toEqual(
        [
          [hangul, '2025-05-01T19:30:00', '2025-04-20T10:11:12.123456'],
          [emojiAtLimit, '2025-05-01T19:30:00.000001', '2025-04-20T10:11:12.999999'],
        ].sort(),
      );
      expect(studyEvents.map((f) => [f.studyGroupName, f.meetingName, f.completedAt]).sort()).toEqual(
        [
          [hangul, emoji, '2025-05-02T21:00:00'],
          [emojiAtLimit, hangul, '2025-05-02T21:00:00.654321'],
        ].sort(),
      );
      const ids = [attendances, datingEvents, studyEvents].map((events) => events.map((f) => BigInt(f.id ?? '0')).sort());
      expect(ids).toEqual([
        [BigInt(FIRST_IDS.attendance_records), BigInt(FIRST_IDS.attendance_records + 1)],
        [BigInt(FIRST_IDS.dating_participations), BigInt(FIRST_IDS.dating_participations + 1)],
        [BigInt(FIRST_IDS.study_participations), BigInt(FIRST_IDS.study_participations + 1)],
      ]);
    });
  });

  it('maps every event the integration tests published, on the shared broker and on their own brokers', async ({ task }) => {
    const checks = [...(await checkEveryPublishedEvent(inject('kafkaBootstrap'))), ...checksOfOwnBrokers()];
    expect(failuresOf(checks)).toEqual([]);
    expect(unexpectedlyAbsent(checks)).toEqual([]);
    // Not vacuous: at least the events of the test above, of each kind, were read. The counts go to the JSON report.
    const read = Object.fromEntries(
      EVENT_TYPES.map((type) => [type, checks.filter((c) => c.eventClass === type).reduce((sum, c) => sum + c.messages, 0)]),
    );
    task.meta.eventsReadByQueryServiceParser = { topics: checks.length, ...read };
    for (const type of EVENT_TYPES) expect(read[type], type).toBeGreaterThanOrEqual(2);
  });
});
