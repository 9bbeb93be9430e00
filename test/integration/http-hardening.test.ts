// A failure of the real store, through the real HTTP entry: a bug is a 500 problem+json that leaks nothing of
// the database. The limits and refusals that need no database are in test/http/http-hardening.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, readJson } from '../../testkit/http-assertions.ts';
import { dropDatabase } from '../../testkit/mysql.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';
import { type ServiceUnderTest, startTestService } from '../../testkit/service-under-test.ts';

let sut: ServiceUnderTest;

beforeAll(async () => {
  sut = await startTestService();
});

afterAll(async () => {
  await sut?.stop();
  if (sut) await dropDatabase(sut.config.databaseUrl);
});

const newUser = () => `user_${Date.now()}_${uniqueSuffix()}`;

function post(headers: Record<string, string>, body: string) {
  return fetch(`${sut.baseUrl}/api/attendance`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

describe('unexpected failures', () => {
  it('answers 500 problem+json with no SQL, table name or stack when the store fails unexpectedly', async () => {
    // Not an outage (that is a 503): a statement the server refuses, the kind of failure that is a bug here.
    await sut.sql.query('RENAME TABLE attendance_records TO attendance_records_away');
    let response: Response;
    let text: string;
    try {
      response = await post({ 'x-owner-id': newUser() }, '{}');
      text = await response.clone().text();
    } finally {
      await sut.sql.query('RENAME TABLE attendance_records_away TO attendance_records');
    }
    const problem = await expectProblem(response, 500, 'internal');
    expect(problem.detail).toBe('An unexpected error occurred; it has been logged with this request id.');
    for (const internal of ['attendance_records', 'rc_test_', 'ER_', 'INSERT', 'SELECT', 'stack', '    at ', '.ts:']) {
      expect(text).not.toContain(internal);
    }
    // The store works again: the failure was this request's, not the service's.
    expect((await post({ 'x-owner-id': newUser() }, '{}')).status).toBe(201);
    expect(await readJson(await fetch(`${sut.baseUrl}/health/live`))).toEqual({ status: 'up' });
  });
});
