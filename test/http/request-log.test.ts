// One log line and one observation per answered request: by route pattern (ids in paths must not explode the
// metric's label set), with the request id, and never with the query string (which could carry a token).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/service.ts';
import { type HttpApiUnderTest, startHttpApi } from '../../testkit/http-api-under-test.ts';
import { attendancePost } from '../../testkit/http-assertions.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';

let api: HttpApiUnderTest;
const observed: [string, string, number][] = [];
const logLines: string[] = [];

beforeAll(async () => {
  api = await startHttpApi({
    logger: createLogger({ logLevel: 'info' }, { write: (line: string) => void logLines.push(line) }),
    observeRequest: (route, method, status) => void observed.push([route, method, status]),
  });
});

afterAll(async () => {
  await api?.close();
});

describe('the request log', () => {
  it('observes and logs each answered request once, by route pattern and without the query string', async () => {
    const created = await api.fetch('/api/attendance', attendancePost(`user_${uniqueSuffix()}`));
    expect(created.status).toBe(201);
    const missing = await api.fetch('/api/attendance/42?access_token=secret-token', { method: 'DELETE' });
    expect(missing.status).toBe(404);

    expect(observed).toEqual([
      ['/api/attendance', 'POST', 201],
      ['unmatched', 'DELETE', 404],
    ]);
    const requests = logLines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request');
    expect(requests).toEqual([
      expect.objectContaining({
        method: 'POST',
        url: '/api/attendance',
        status: 201,
        requestId: created.headers.get('x-request-id'),
      }),
      expect.objectContaining({
        method: 'DELETE',
        url: '/api/attendance/42',
        status: 404,
        requestId: missing.headers.get('x-request-id'),
      }),
    ]);
    expect(logLines.join('')).not.toContain('secret-token');
  });
});
