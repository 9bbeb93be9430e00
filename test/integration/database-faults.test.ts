// What the service does when the database refuses work for reasons other than an outage: deadlocks that keep
// coming, an error nobody classified, a value it will not hold, a table that is not there. Every fault is
// real, made by another client of the same database. The dead-letter topic must only ever get the message
// that is wrong in itself; the rest waits, retried, until the fault passes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forceDeadlocks } from '../../testkit/deadlocks.ts';
import { expectProblem, readJson } from '../../testkit/http-assertions.ts';
import { dropDatabase } from '../../testkit/mysql.ts';
import { datingCompleted, studyCompleted } from '../../testkit/participation-messages.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';
import { type ServiceUnderTest, startTestService } from '../../testkit/service-under-test.ts';
import { SpringProducer } from '../../testkit/spring-producer.ts';
import { TopicReader } from '../../testkit/topic-reader.ts';

let sut: ServiceUnderTest;
let producer: SpringProducer;
let deadLetters: TopicReader;

beforeAll(async () => {
  sut = await startTestService();
  producer = new SpringProducer();
  const { topics } = sut.config;
  deadLetters = await TopicReader.open([
    `${topics.datingParticipationCompleted}.dlq`,
    `${topics.studyParticipationCompleted}.dlq`,
  ]);
});

afterAll(async () => {
  await deadLetters?.close();
  await producer?.close();
  await sut?.stop();
  if (sut) await dropDatabase(sut.config.databaseUrl);
});

const dating = (message: Record<string, unknown>) => ({
  topic: sut.config.topics.datingParticipationCompleted,
  value: JSON.stringify(message),
});
const study = (message: Record<string, unknown>) => ({
  topic: sut.config.topics.studyParticipationCompleted,
  value: JSON.stringify(message),
});

async function storedMeetings(table: 'dating_participations' | 'study_participations', meetingIds: unknown[]) {
  const [rows] = await sut.sql.query(`SELECT meeting_id FROM ${table} WHERE meeting_id IN (?)`, [meetingIds]);
  return (rows as { meeting_id: string }[]).map((r) => r.meeting_id).sort();
}

/** The failed store attempts of one class so far, from the service's own metrics. */
async function storeFailures(failureClass: string): Promise<number> {
  const text = await (await fetch(`${sut.baseUrl}/metrics`)).text();
  const line = new RegExp(`^participation_store_failures_total\\{class="${failureClass}"\\} (\\d+)`, 'm').exec(text);
  return Number(line?.[1] ?? 0);
}

const lettersFor = (meetingIds: unknown[]) =>
  deadLetters.messages.filter((l) => meetingIds.includes(l.json.meetingId)).map((l) => l.json.meetingId);

/** Long enough for a batch to be consumed, fail, and (if it were to) reach the dead-letter topic. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 1500));

/** How long a fault lasts: many rounds of the store's retries, and several of the consumer's backoff. */
const holdFault = () => new Promise((resolve) => setTimeout(resolve, 3000));

describe('participation ingestion when the store refuses a batch', () => {
  it('stores every message of a batch that deadlocks again and again, and dead-letters none', async () => {
    const victim = datingCompleted();
    const others = [datingCompleted(), datingCompleted(), studyCompleted()];
    const deadlocks = await forceDeadlocks({
      databaseUrl: sut.config.databaseUrl,
      table: 'dating_participations',
      row: datingRow(victim),
      filler: () => datingRow(datingCompleted()),
    });
    const unavailableBefore = await storeFailures('unavailable');
    try {
      await producer.send([dating(victim), ...others.slice(0, 2).map(dating), study(others[2] as Record<string, unknown>)]);
      // Each deadlock is answered within milliseconds: this is hundreds of them, far more than the store retries.
      await holdFault();
    } finally {
      await deadlocks.release();
    }

    const datingIds = [victim, ...others.slice(0, 2)].map((m) => m.meetingId);
    await expect.poll(() => storedMeetings('dating_participations', datingIds), { timeout: 30_000 }).toEqual(datingIds.sort());
    expect(await storedMeetings('study_participations', [others[2]?.meetingId])).toHaveLength(1);
    await settle();
    expect(lettersFor([victim.meetingId, ...others.map((m) => m.meetingId)])).toEqual([]);
    // Retried as contention, with backoff, not as a message at fault.
    expect(await storeFailures('unavailable')).toBeGreaterThan(unavailableBefore + 1);
  });

  it('retries a batch failing with an error nobody classified, counts it, and dead-letters nothing', async () => {
    // A trigger raising an application SQLSTATE: an error no list of codes in this service knows.
    await sut.sql.query(
      `CREATE TRIGGER refuse_study BEFORE INSERT ON study_participations FOR EACH ROW
       SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'study participations are closed for maintenance'`,
    );
    const sent = [studyCompleted(), studyCompleted(), studyCompleted()];
    const unknownBefore = await storeFailures('unknown');
    try {
      await producer.send(sent.map(study));
      await holdFault();
    } finally {
      await sut.sql.query('DROP TRIGGER refuse_study');
    }

    const ids = sent.map((m) => m.meetingId);
    await expect.poll(() => storedMeetings('study_participations', ids), { timeout: 30_000 }).toEqual(ids.sort());
    await settle();
    expect(lettersFor(ids)).toEqual([]);
    // Loud: counted for an alert (and logged at error level), not silently retried.
    expect(await storeFailures('unknown')).toBeGreaterThan(unknownBefore + 1);
  });

  it('dead-letters only the message the store refuses on its own, and stores the rest of its batch', async () => {
    await sut.sql.query(
      "ALTER TABLE study_participations ADD CONSTRAINT no_refused_names CHECK (meeting_name <> 'refused by the store')",
    );
    const refused = studyCompleted({ meetingName: 'refused by the store' });
    const good = [studyCompleted(), studyCompleted()];
    try {
      await producer.send([study(good[0] as Record<string, unknown>), study(refused), study(good[1] as Record<string, unknown>)]);
      const [letter] = await deadLetters.waitFor((l) => l.some((m) => m.json.meetingId === refused.meetingId));
      const found = deadLetters.messages.find((m) => m.json.meetingId === refused.meetingId);
      expect(letter).toBeDefined();
      expect(found?.headers['dlq-reason']).toBe('processing-failed');
      expect(found?.headers['dlq-error']).toContain('no_refused_names');
    } finally {
      await sut.sql.query('ALTER TABLE study_participations DROP CONSTRAINT no_refused_names');
    }
    const goodIds = good.map((m) => m.meetingId);
    await expect.poll(() => storedMeetings('study_participations', goodIds), { timeout: 30_000 }).toEqual(goodIds.sort());
    expect(lettersFor(goodIds)).toEqual([]);
  });
});

describe('POST /api/attendance when deadlocks outlast the retries', () => {
  it('answers 503 problem+json with Retry-After, and records the attendance once the contention is gone', async () => {
    const user = `user_${Date.now()}_${uniqueSuffix()}`;
    const deadlocks = await forceDeadlocks({
      databaseUrl: sut.config.databaseUrl,
      table: 'attendance_records',
      row: attendanceRow(user),
      filler: (n) => attendanceRow(`filler_${n}_${uniqueSuffix()}`),
    });
    let response: Response;
    try {
      response = await postAttendance(user);
    } finally {
      await deadlocks.release();
    }
    const problem = await expectProblem(response, 503, 'service-unavailable');
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(problem.detail).toContain('busy');

    const retried = await postAttendance(user);
    expect(retried.status).toBe(201);
    expect(await readJson(retried)).toMatchObject({ userId: user, attendanceTime: '2025-01-03T10:00:00' });
  });
});

describe('participation ingestion when the store is not as deployed', () => {
  it('halts loudly without dead-lettering, and records the message after a restart once the table is back', async () => {
    await sut.sql.query('RENAME TABLE dating_participations TO dating_participations_away');
    const sent = datingCompleted();
    try {
      await producer.send([dating(sent)]);
      const outcome = await Promise.race([
        sut.service.halted.then((error) => `halted: ${error.message}`),
        deadLetters
          .waitFor((l) => l.some((m) => m.json.meetingId === sent.meetingId), 30_000)
          .then(
            () => 'dead-lettered',
            () => 'neither halted nor dead-lettered',
          ),
      ]);
      expect(outcome).toMatch(/^halted: .*doesn't exist/);
    } finally {
      await sut.sql.query('RENAME TABLE dating_participations_away TO dating_participations');
    }
    expect(await storeFailures('fatal')).toBe(1);
    await settle();
    expect(lettersFor([sent.meetingId])).toEqual([]);

    // Nothing was committed past it: the same group takes it up again.
    await sut.stop();
    sut = await startTestService({ ...sut.config });
    await expect.poll(() => storedMeetings('dating_participations', [sent.meetingId]), { timeout: 30_000 }).toHaveLength(1);
  });
});

function datingRow(message: Record<string, unknown>): Record<string, unknown> {
  return {
    dating_group_id: message.studyGroupId,
    user_id: message.userId,
    meeting_id: message.meetingId,
    event_name: 'held by another client',
    scheduled_at: '2025-05-01 19:30:00',
    meeting_created_at: '2025-04-20 10:11:12',
    recorded_at: '2025-04-20 10:11:12',
  };
}

function attendanceRow(userId: string): Record<string, unknown> {
  return {
    user_id: userId,
    attendance_time: '2025-01-03 10:00:00',
    attendance_date: '2025-01-03',
    created_at: '2025-01-03 10:00:00',
  };
}

function postAttendance(user: string): Promise<Response> {
  return fetch(`${sut.baseUrl}/api/attendance`, {
    method: 'POST',
    headers: { 'x-owner-id': user, 'content-type': 'application/json' },
    body: JSON.stringify({ attendanceTime: '2025-01-03T10:00:00' }),
  });
}
