// npm run republish: stored records' events again, with the same event-id, resumable.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/mysql/database.ts';
import { MysqlRepublishStore } from '../../src/adapters/mysql/republish-store.ts';
import { republish } from '../../src/app/republish.ts';
import { attendance } from '../../src/record-kinds/attendance.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';
import { type ServiceUnderTest, startTestService } from '../../testkit/service-under-test.ts';
import { TopicReader } from '../../testkit/topic-reader.ts';

const run = promisify(execFile);
let sut: ServiceUnderTest;
let reader: TopicReader;
const users = Array.from({ length: 5 }, () => `user_${uniqueSuffix()}`);

beforeAll(async () => {
  sut = await startTestService();
  reader = await TopicReader.open([sut.config.topics.attendanceRecorded]);
  for (const user of users) {
    await fetch(`${sut.baseUrl}/api/attendance`, { method: 'POST', headers: { 'x-owner-id': user } });
  }
  await reader.waitForCount(5);
});

afterAll(async () => {
  await reader?.close();
  await sut?.dispose();
});

function cli(args: string[]) {
  const { config } = sut;
  return run(process.execPath, ['src/cli/republish.ts', ...args], {
    env: {
      ...process.env,
      DATABASE_URL: config.databaseUrl,
      KAFKA_BROKERS: config.kafkaBrokers.join(','),
      TOPIC_ATTENDANCE_RECORDED: config.topics.attendanceRecorded,
      TOPIC_DATING_PARTICIPATION_RECORDED: config.topics.datingParticipationRecorded,
      TOPIC_STUDY_PARTICIPATION_RECORDED: config.topics.studyParticipationRecorded,
      LOG_LEVEL: 'error',
    },
    timeout: 60_000,
  });
}

describe('npm run republish', () => {
  it('re-emits every stored attendance with its original event-id, then reports nothing left to do', async () => {
    const original = new Map(reader.messages.map((m) => [m.headers['event-id'], m.value]));
    const { stdout } = await cli(['--type', 'attendance']);
    expect(stdout).toContain('AttendanceRecordCreated: 5 events enqueued for republishing');
    expect(stdout).toContain('all republished events are acknowledged by Kafka');
    const messages = await reader.waitForCount(10);
    const again = messages.slice(5);
    expect(new Set(again.map((m) => m.headers['event-id']))).toEqual(new Set(original.keys()));
    for (const message of again) expect(message.value).toBe(original.get(message.headers['event-id']));

    const second = await cli(['--type', 'attendance']);
    expect(second.stdout).toContain('0 events enqueued for republishing');
    expect(second.stdout).toContain('nothing left to do');
  });

  it('filters by the time the records were stored', async () => {
    const { stdout } = await cli(['--type', 'attendance', '--from', '2000-01-01', '--to', '2000-12-31', '--restart']);
    expect(stdout).toContain('AttendanceRecordCreated: 0 events enqueued');
  });

  it('refuses an unknown type with a clear message', async () => {
    await expect(cli(['--type', 'meetings'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--type must be attendance, dating or study'),
    });
  });

  it('resumes an interrupted run after the last enqueued record', async () => {
    const database = openDatabase(sut.config.databaseUrl, 2);
    try {
      const store = new MysqlRepublishStore(database.db);
      const range = { kind: attendance, from: undefined, to: undefined };
      let chunks = 0;
      const options = {
        chunkSize: 2,
        maxBacklog: 1000,
        onProgress: () => undefined,
        sleep: async () => undefined,
      };
      const first = await republish(store, range, true, { ...options, shouldStop: () => chunks++ >= 1 });
      expect(first).toEqual({ enqueued: 2, complete: false });
      const resumed = await republish(store, range, false, { ...options, shouldStop: () => false });
      expect(resumed).toEqual({ enqueued: 5, complete: true });
    } finally {
      await database.close();
    }
  });
});
