// POST /api/attendance as the HTTP API answers it on its own, with the store in memory: what a body may be,
// the problem answers, the owner header and request ids. What is stored and published is in
// test/integration/attendance.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpApiUnderTest, startHttpApi } from '../../testkit/http-api-under-test.ts';
import { attendancePost, expectProblem, readJson } from '../../testkit/http-assertions.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';

let api: HttpApiUnderTest;

beforeAll(async () => {
  api = await startHttpApi();
});

afterAll(async () => {
  await api?.close();
});

const newUser = () => `user_${Date.now()}_${uniqueSuffix()}`;

function post(owner: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
  return api.fetch('/api/attendance', attendancePost(owner, body, headers));
}

describe('POST /api/attendance', () => {
  it('takes the current time when the body is absent, empty, {} or null', async () => {
    for (const body of [undefined, '', {}, 'null', { attendanceTime: null }]) {
      const response = await post(newUser(), body);
      expect(response.status, `body ${JSON.stringify(body)}`).toBe(201);
      const record = await readJson(response);
      expect(record.attendanceTime).toBe(record.createdAt);
    }
  });

  it.each([
    ['a number', { attendanceTime: 20250103 }, 'invalid-request'],
    ['an array body', [1, 2], 'invalid-request'],
    ['a string body', '"now"', 'invalid-request'],
    ['a non-date string', { attendanceTime: 'tomorrow' }, 'invalid-attendance-time'],
    ['an impossible date', { attendanceTime: '2025-02-30T10:00:00' }, 'invalid-attendance-time'],
    ['a far-future time', { attendanceTime: '2999-01-01T00:00:00' }, 'attendance-in-future'],
    ['malformed JSON', '{"attendanceTime": ', 'malformed-json'],
  ])('answers 400 problem+json for %s', async (_, body, type) => {
    await expectProblem(await post(newUser(), body), 400, type);
  });

  it('answers 415 for a body that is not JSON', async () => {
    await expectProblem(
      await post(newUser(), 'attendanceTime=now', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'unsupported-media-type',
    );
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['over 64 characters', 'u'.repeat(65)],
  ])('answers 401 when the owner id is %s', async (_, owner) => {
    const response = await post(owner, {});
    await expectProblem(response, 401, 'unauthenticated');
    expect(response.headers.get('www-authenticate')).toBeTruthy();
  });

  it('echoes a given x-request-id and generates one otherwise', async () => {
    const given = await post(undefined, {}, { 'x-request-id': 'trace-abc-123' });
    expect(given.headers.get('x-request-id')).toBe('trace-abc-123');
    expect((await readJson(given)).requestId).toBe('trace-abc-123');
    const generated = await post(undefined, {});
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('has no way to change or delete an attendance', async () => {
    const created = await readJson(await post(newUser(), {}));
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const response = await api.fetch(`/api/attendance/${created.id}`, { method });
      expect(response.status).toBe(404);
    }
  });
});
