// POST /api/attendance through the real HTTP entry, with the real database and broker behind it: what is stored
// and published. What the HTTP API answers on its own is in test/http/attendance.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attendancePost, expectProblem, readJson } from '../../testkit/http-assertions.ts';
import { dropDatabase } from '../../testkit/mysql.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';
import { type ServiceUnderTest, startTestService } from '../../testkit/service-under-test.ts';
import { TopicReader } from '../../testkit/topic-reader.ts';

let sut: ServiceUnderTest;
let events: TopicReader;

beforeAll(async () => {
  sut = await startTestService();
  events = await TopicReader.open([sut.config.topics.attendanceRecorded]);
});

afterAll(async () => {
  await events?.close();
  await sut?.stop();
  if (sut) await dropDatabase(sut.config.databaseUrl);
});

const newUser = () => `user_${Date.now()}_${uniqueSuffix()}`;

function post(owner: string | undefined, body?: unknown) {
  return fetch(`${sut.baseUrl}/api/attendance`, attendancePost(owner, body));
}

describe('POST /api/attendance', () => {
  it('records an attendance: 201 with the record and Location, and publishes AttendanceRecordCreated', async () => {
    const user = newUser();
    const response = await post(user, { attendanceTime: '2025-01-03T10:00:00' });
    expect(response.status).toBe(201);
    const body = await readJson(response);
    expect(body).toEqual({
      id: expect.any(Number),
      userId: user,
      attendanceTime: '2025-01-03T10:00:00',
      createdAt: expect.any(String),
    });
    expect(response.headers.get('location')).toBe(`/api/attendance/${body.id}`);

    const [event] = (await events.waitFor((m) => m.some((e) => e.key === user))).filter((e) => e.key === user);
    expect(JSON.parse(event?.value ?? '')).toEqual(body);
    expect(Object.keys(event?.json ?? {}).sort()).toEqual(['attendanceTime', 'createdAt', 'id', 'userId']);
    expect(event?.headers['event-type']).toBe('AttendanceRecordCreated');
    expect(event?.headers['content-type']).toBe('application/json');
    expect(event?.headers['event-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(event?.headers['occurred-at'] ?? '')).not.toBeNaN();
    expect(event?.headers['occurred-at']).toMatch(/Z$/);
  });

  it('refuses a second attendance on the same business day with 409 and the existing record', async () => {
    const user = newUser();
    const first = await readJson(await post(user, { attendanceTime: '2025-01-03T23:30:00' }));
    // 2025-01-03T14:45Z is 23:45 in Seoul: the same business date as the late-evening local time above.
    const second = await post(user, { attendanceTime: '2025-01-03T14:45:00Z' });
    const problem = await expectProblem(second, 409, 'already-attended');
    expect(problem.existing).toEqual({ id: first.id, attendanceTime: '2025-01-03T23:30:00' });
  });

  it('records the next business day again, even when UTC still says the same day', async () => {
    const user = newUser();
    expect((await post(user, { attendanceTime: '2025-01-03T23:30:00' })).status).toBe(201);
    // 15:30Z on the 3rd is 00:30 on the 4th in Seoul.
    const next = await post(user, { attendanceTime: '2025-01-03T15:30:00Z' });
    expect(next.status).toBe(201);
    expect((await readJson(next)).attendanceTime).toBe('2025-01-04T00:30:00');
  });

  it('keeps up to 6 fraction digits, cutting the rest', async () => {
    const response = await post(newUser(), { attendanceTime: '2025-02-01T08:00:00.123456789' });
    expect((await readJson(response)).attendanceTime).toBe('2025-02-01T08:00:00.123456');
  });

  it('lets exactly one of 50 concurrent requests for one user and day win', async () => {
    const user = newUser();
    const responses = await Promise.all(Array.from({ length: 50 }, () => post(user, { attendanceTime: '2025-03-01T09:00:00' })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const [rows] = await sut.sql.query('SELECT COUNT(*) AS n FROM attendance_records WHERE user_id = ?', [user]);
    expect((rows as { n: number }[])[0]?.n).toBe(1);
    await sut.service.relay.drain();
    await events.waitFor((m) => m.some((e) => e.key === user));
    expect(events.messages.filter((e) => e.key === user)).toHaveLength(1);
  });
});
