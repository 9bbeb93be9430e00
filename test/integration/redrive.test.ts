// npm run redrive: dead-lettered messages go back to their topic once the cause is fixed, each once, while
// the service runs. The failure and its fix are a database one, as seen in production: a column created
// with the 3-byte utf8 character set refuses names with emoji (the store's error dead-letters the message as
// processing-failed), and converting the column to utf8mb4 fixes it without touching the service.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KafkaDeadLetterSource, KafkaRedriveTarget, redriveGroupOf } from '../../src/adapters/kafka/dead-letter-redrive.ts';
import { createEventProducer } from '../../src/adapters/kafka/kafka-clients.ts';
import { redriveDeadLetters } from '../../src/app/redrive-dead-letters.ts';
import { dropDatabase } from '../../testkit/mysql.ts';
import { datingCompleted, studyCompleted } from '../../testkit/participation-messages.ts';
import { type ServiceUnderTest, startTestService } from '../../testkit/service-under-test.ts';
import { SpringProducer } from '../../testkit/spring-producer.ts';
import { type ReadMessage, TopicReader } from '../../testkit/topic-reader.ts';

const run = promisify(execFile);
let sut: ServiceUnderTest;
let producer: SpringProducer;
/** The dating and study input topics: the originals and what the redrive sends back. */
let inputs: TopicReader;
let deadLetters: TopicReader;

beforeAll(async () => {
  sut = await startTestService();
  producer = new SpringProducer();
  const { topics } = sut.config;
  inputs = await TopicReader.open([topics.datingParticipationCompleted, topics.studyParticipationCompleted]);
  deadLetters = await TopicReader.open([
    `${topics.datingParticipationCompleted}.dlq`,
    `${topics.studyParticipationCompleted}.dlq`,
  ]);
});

afterAll(async () => {
  await Promise.all([inputs?.close(), deadLetters?.close()]);
  await producer?.close();
  await sut?.stop();
  if (sut) await dropDatabase(sut.config.databaseUrl);
});

const datingDlq = () => `${sut.config.topics.datingParticipationCompleted}.dlq`;
const studyDlq = () => `${sut.config.topics.studyParticipationCompleted}.dlq`;

function redrive(args: string[]) {
  return run(process.execPath, ['src/cli/redrive.ts', ...args], {
    env: {
      ...process.env,
      KAFKA_BROKERS: sut.config.kafkaBrokers.join(','),
      KAFKA_GROUP_ID: sut.config.kafkaGroupId,
      LOG_LEVEL: 'error',
    },
    timeout: 60_000,
  });
}

/** Columns created with the 3-byte utf8 character set, which cannot hold emoji; `false` puts utf8mb4 back. */
async function narrowCharacterSet(table: 'dating_participations' | 'study_participations', column: string, narrow: boolean) {
  const charset = narrow ? 'utf8mb3 COLLATE utf8mb3_bin' : 'utf8mb4 COLLATE utf8mb4_bin';
  await sut.sql.query(`ALTER TABLE ${table} MODIFY ${column} VARCHAR(255) CHARACTER SET ${charset} NOT NULL`);
}

async function stored(table: string, meetingId: unknown): Promise<Record<string, unknown>[]> {
  const [rows] = await sut.sql.query(`SELECT * FROM ${table} WHERE meeting_id = ?`, [meetingId]);
  return rows as Record<string, unknown>[];
}

const about = (meetingId: unknown) => (m: ReadMessage) => m.json.meetingId === meetingId;
const redriven = (m: ReadMessage) => m.headers['redrive-count'] !== undefined;

async function letterOf(meetingId: unknown, count = 1): Promise<ReadMessage> {
  const letters = await deadLetters.waitFor((m) => m.filter(about(meetingId)).length >= count, 20_000, 'the dead letter');
  return letters.filter(about(meetingId))[count - 1] as ReadMessage;
}

describe('npm run redrive', () => {
  it('sends a letter back byte for byte once the cause is fixed, and it is stored once; a dry run and a second run send nothing', async () => {
    await narrowCharacterSet('dating_participations', 'event_name', true);
    const poisoned = datingCompleted({ studyMeetingEventName: '금요일 보드게임 🎲🎉' });
    const fine = datingCompleted({ studyMeetingEventName: '금요일 보드게임' });
    const value = JSON.stringify(poisoned);
    const { topics } = sut.config;
    await producer.send([
      {
        topic: topics.datingParticipationCompleted,
        key: String(poisoned.userId),
        value,
        typeId: 'com.grewmeet.dating.event.DatingParticipationReceived',
        headers: { 'x-request-origin': 'dating-service' },
      },
      { topic: topics.datingParticipationCompleted, value: JSON.stringify(fine) },
    ]);
    const letter = await letterOf(poisoned.meetingId);
    expect(letter.headers['dlq-reason']).toBe('processing-failed');
    expect(await stored('dating_participations', fine.meetingId)).toHaveLength(1);
    expect(await stored('dating_participations', poisoned.meetingId)).toHaveLength(0);

    const dryRun = await redrive(['--topic', datingDlq(), '--dry-run']);
    expect(dryRun.stdout).toContain('1 letter(s) read, 1 would be sent back, 0 refused');
    expect(dryRun.stdout).toContain('dry run: nothing sent, position unchanged');

    await narrowCharacterSet('dating_participations', 'event_name', false);
    const first = await redrive(['--topic', datingDlq()]);
    expect(first.stdout).toContain('1 letter(s) read, 1 sent back, 0 refused');

    await expect.poll(() => stored('dating_participations', poisoned.meetingId), { timeout: 20_000 }).toHaveLength(1);
    const [row] = await stored('dating_participations', poisoned.meetingId);
    expect(row?.event_name).toBe('금요일 보드게임 🎲🎉');
    // What went back: the original bytes, key and headers, without the letter's dlq-* headers, counted once.
    // Everything sent back lands on one partition (one key), so a copy sent by the dry run would be seen first.
    const copies = (await inputs.waitFor((m) => m.some((c) => about(poisoned.meetingId)(c) && redriven(c)))).filter(
      (m) => about(poisoned.meetingId)(m) && redriven(m),
    );
    expect(copies).toHaveLength(1);
    const [copy] = copies;
    expect(copy?.value).toBe(value);
    expect(copy?.key).toBe(poisoned.userId);
    expect(copy?.headers).toEqual({
      __TypeId__: 'com.grewmeet.dating.event.DatingParticipationReceived',
      'x-request-origin': 'dating-service',
      'redrive-count': '1',
    });

    const second = await redrive(['--topic', datingDlq()]);
    expect(second.stdout).toContain('0 letter(s) read, 0 sent back, 0 refused (nothing new since the last run)');
    expect(await stored('dating_participations', poisoned.meetingId)).toHaveLength(1);
  });

  it('refuses a message that came back more than --max-redrives times, and reports it', async () => {
    const { topics } = sut.config;
    await producer.send([
      { topic: topics.datingParticipationCompleted, value: '{"meetingId": "never-parsed"', headers: { 'x-marker': 'loop' } },
    ]);
    const isLoop = (m: ReadMessage) => m.headers['x-marker'] === 'loop';
    await deadLetters.waitFor((m) => m.some(isLoop), 20_000, 'the first letter');

    const first = await redrive(['--topic', datingDlq(), '--max-redrives', '1']);
    expect(first.stdout).toContain('1 letter(s) read, 1 sent back, 0 refused');
    // Still not JSON, so dead-lettered again: the dead-letter writer keeps the count with the original headers.
    const letters = await deadLetters.waitFor((m) => m.filter(isLoop).length >= 2, 20_000, 'the second letter');
    const again = letters.filter(isLoop)[1];
    expect(again?.headers).toMatchObject({ 'redrive-count': '1', 'dlq-reason': 'not-json', 'x-marker': 'loop' });
    expect(again?.value).toBe('{"meetingId": "never-parsed"');

    const second = await redrive(['--topic', datingDlq(), '--max-redrives', '1']);
    expect(second.stdout).toContain('1 letter(s) read, 0 sent back, 1 refused');
    expect(second.stdout).toMatch(
      new RegExp(
        `refused ${datingDlq().replaceAll('.', '\\.')} partition \\d+ offset ${again?.offset}: sent back 1 time\\(s\\) already`,
      ),
    );
    // Refused means passed: the next run does not look at it again.
    const third = await redrive(['--topic', datingDlq(), '--max-redrives', '1']);
    expect(third.stdout).toContain('0 letter(s) read');
    // On the input topic: the original and the one copy sent back.
    const sent = await inputs.waitFor((m) => m.filter(isLoop).length >= 2, 20_000, 'the copy');
    expect(sent.filter(isLoop).map((m) => m.headers['redrive-count'])).toEqual([undefined, '1']);
  });

  it('resumes an interrupted run after the last acknowledged batch, sending no letter twice', async () => {
    // Another column than before: one that holds emoji now cannot be narrowed any more.
    await narrowCharacterSet('study_participations', 'study_group_name', true);
    const poisoned = [1, 2, 3].map((n) => studyCompleted({ studyGroupName: `스터디 ${n} 🎈`, meetingName: `${n}주차` }));
    await producer.send(
      poisoned.map((p) => ({ topic: sut.config.topics.studyParticipationCompleted, value: JSON.stringify(p) })),
    );
    for (const p of poisoned) await letterOf(p.meetingId);
    await narrowCharacterSet('study_participations', 'study_group_name', false);

    // A run stopped (as by Ctrl-C) after its first batch of one letter.
    const source = await KafkaDeadLetterSource.open({
      brokers: [inject('kafkaBootstrap')],
      clientId: 'redrive-test',
      groupId: redriveGroupOf(sut.config.kafkaGroupId, studyDlq()),
      topic: studyDlq(),
      batchSize: 1,
    });
    const sender = createEventProducer({ brokers: [inject('kafkaBootstrap')], clientId: 'redrive-test' });
    let batches = 0;
    try {
      const interrupted = await redriveDeadLetters(source, new KafkaRedriveTarget(sender), {
        from: undefined,
        to: undefined,
        maxRedrives: 3,
        dryRun: false,
        shouldStop: () => batches >= 1,
        onProgress: (p) => {
          if (p.seen > 0) batches++;
        },
        onRefused: () => undefined,
      });
      expect(interrupted).toMatchObject({ seen: 1, redriven: 1, complete: false });
    } finally {
      await source.close();
      await sender.close();
    }

    const resumed = await redrive(['--topic', studyDlq()]);
    expect(resumed.stdout).toContain('2 letter(s) read, 2 sent back, 0 refused');
    for (const p of poisoned) {
      await expect.poll(() => stored('study_participations', p.meetingId), { timeout: 20_000 }).toHaveLength(1);
    }
    const last = poisoned[2]?.meetingId;
    await inputs.waitFor((m) => m.some((c) => about(last)(c) && redriven(c)), 20_000, 'the last copy');
    for (const p of poisoned) expect(inputs.messages.filter((m) => about(p.meetingId)(m) && redriven(m))).toHaveLength(1);
  });

  it('sends back only what was dead-lettered between --from and --to; later letters wait for the next run', async () => {
    await narrowCharacterSet('study_participations', 'meeting_name', true);
    const poisoned = [1, 2, 3].map((n) => studyCompleted({ studyGroupName: '화학 스터디', meetingName: `${n}주차 🧪` }));
    const failedAt: number[] = [];
    for (const p of poisoned) {
      await producer.send([{ topic: sut.config.topics.studyParticipationCompleted, value: JSON.stringify(p) }]);
      failedAt.push(Date.parse((await letterOf(p.meetingId)).headers['dlq-failed-at'] ?? ''));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await narrowCharacterSet('study_participations', 'meeting_name', false);
    const [first = 0, second = 0, third = 0] = failedAt;
    const between = (a: number, b: number) => new Date(Math.floor((a + b) / 2)).toISOString();

    const windowed = await redrive(['--topic', studyDlq(), '--from', between(first, second), '--to', between(second, third)]);
    expect(windowed.stdout).toContain(
      '3 letter(s) read, 1 sent back, 0 refused, 1 from before --from passed over, 1 from --to on left for a later run',
    );
    await expect.poll(() => stored('study_participations', poisoned[1]?.meetingId), { timeout: 20_000 }).toHaveLength(1);

    const rest = await redrive(['--topic', studyDlq()]);
    expect(rest.stdout).toContain('1 letter(s) read, 1 sent back, 0 refused');
    await expect.poll(() => stored('study_participations', poisoned[2]?.meetingId), { timeout: 20_000 }).toHaveLength(1);
    expect(await stored('study_participations', poisoned[0]?.meetingId)).toHaveLength(0);
    expect(inputs.messages.filter((m) => about(poisoned[0]?.meetingId)(m) && redriven(m))).toHaveLength(0);
  });

  it('refuses a second run of a topic while one is running: neither goes on believing it has every letter', async () => {
    const running = await KafkaDeadLetterSource.open({
      brokers: [inject('kafkaBootstrap')],
      clientId: 'redrive-test',
      groupId: redriveGroupOf(sut.config.kafkaGroupId, datingDlq()),
      topic: datingDlq(),
      batchSize: 10,
    });
    try {
      await expect(redrive(['--topic', datingDlq()])).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining(`redrive refused: another redrive of ${datingDlq()} is running`),
      });
      await expect(running.next()).rejects.toThrow(/another redrive/);
    } finally {
      await running.close();
    }
  });

  it('refuses to run without --topic, or on a topic that does not exist', async () => {
    await expect(redrive([])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--topic') });
    await expect(redrive(['--topic', `${datingDlq()}.missing`])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('does not exist'),
    });
  });
});
