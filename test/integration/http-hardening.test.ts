// What a hostile or broken client can send, through the real HTTP entry: every refusal is a problem+json
// answer, nothing is read without a limit, and no internals leak into a response.

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, readJson } from '../support/http.ts';
import {
  dropDatabase,
  type ServiceUnderTest,
  startTestService,
  testConfig,
  uniqueSuffix,
} from '../support/service-under-test.ts';

let sut: ServiceUnderTest;

beforeAll(async () => {
  sut = await startTestService();
});

afterAll(async () => {
  await sut?.stop();
  if (sut) await dropDatabase(sut.config.databaseUrl);
});

const newUser = () => `user_${Date.now()}_${uniqueSuffix()}`;

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends bytes no well-behaved client would, and reads the answer until the server closes the connection. */
function rawExchange(parts: string[], baseUrl = sut.baseUrl): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(baseUrl).port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('connect', () => {
      for (const part of parts) socket.write(part);
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    // The server may close while we still write (it refused early): the answer is what counts.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}

function expectRawProblem(response: RawResponse, status: number, type: string) {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toContain('application/problem+json');
  const problem = JSON.parse(response.body);
  expect(problem).toMatchObject({ type: `urn:grewmeet:problem:${type}`, status, title: expect.any(String) });
  expect(problem.requestId).toBe(response.headers['x-request-id']);
  return problem;
}

function post(headers: Record<string, string>, body: string) {
  return fetch(`${sut.baseUrl}/api/attendance`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

describe('limits on what a client sends', () => {
  it('answers 413 problem+json to a body over HTTP_BODY_LIMIT_BYTES', async () => {
    const body = JSON.stringify({ attendanceTime: null, padding: 'x'.repeat(sut.config.bodyLimitBytes) });
    await expectProblem(await post({ 'x-owner-id': newUser() }, body), 413, 'body-too-large');
  });

  it('answers 413 to a chunked body that grows over the limit without announcing its length', async () => {
    const chunk = `{"padding":"${'x'.repeat(sut.config.bodyLimitBytes)}`;
    const response = await rawExchange([
      'POST /api/attendance HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        `X-Owner-Id: ${newUser()}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
      `${chunk.length.toString(16)}\r\n${chunk}\r\n`,
      '2\r\n"}\r\n0\r\n\r\n',
    ]);
    expectRawProblem(response, 413, 'body-too-large');
  });

  it('answers 431 problem+json when the headers exceed 16 KiB', async () => {
    const response = await rawExchange([
      `POST /api/attendance HTTP/1.1\r\nHost: localhost\r\nX-Owner-Id: ${newUser()}\r\nX-Padding: ${'p'.repeat(17 * 1024)}\r\n\r\n`,
    ]);
    expectRawProblem(response, 431, 'headers-too-large');
  });

  it('answers 414 problem+json to a URL over 2048 characters', async () => {
    const response = await fetch(`${sut.baseUrl}/api/attendance?${'q'.repeat(2100)}`, {
      method: 'POST',
      headers: { 'x-owner-id': newUser() },
    });
    await expectProblem(response, 414, 'uri-too-long');
  });

  it('answers 400 problem+json to bytes that are not HTTP', async () => {
    expectRawProblem(await rawExchange(['HELLO THERE\r\n\r\n']), 400, 'invalid-request');
  });

  it('answers 400 problem+json to a badly percent-encoded URL', async () => {
    await expectProblem(await fetch(`${sut.baseUrl}/api/%E0%A4%A`), 400, 'invalid-request');
  });

  it('answers 417 problem+json to an Expect other than 100-continue (Node would answer a bare 417)', async () => {
    const response = await rawExchange([
      `POST /api/attendance HTTP/1.1\r\nHost: x\r\nX-Owner-Id: ${newUser()}\r\nExpect: something-else\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    ]);
    expectRawProblem(response, 417, 'expectation-failed');
  });
});

describe('refusals are problem+json', () => {
  it('answers 404 to an unknown path', async () => {
    await expectProblem(await fetch(`${sut.baseUrl}/api/attendances`, { method: 'POST' }), 404, 'not-found');
  });

  it('answers 405 with Allow to a known path with another method', async () => {
    const response = await fetch(`${sut.baseUrl}/api/attendance`);
    await expectProblem(response, 405, 'method-not-allowed');
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('answers 415 to a body that is not JSON', async () => {
    await expectProblem(
      await post({ 'x-owner-id': newUser(), 'content-type': 'application/xml' }, '<attendance/>'),
      415,
      'unsupported-media-type',
    );
  });
});

describe('the owner id is checked before it reaches the store', () => {
  it('answers 401 when X-Owner-Id holds a control character', async () => {
    const response = await rawExchange([
      'POST /api/attendance HTTP/1.1\r\nHost: localhost\r\nX-Owner-Id: user\tadmin\r\nConnection: close\r\n\r\n',
    ]);
    const problem = expectRawProblem(response, 401, 'unauthenticated');
    expect(problem.detail).toContain('control characters');
  });

  it('answers 401 when X-Owner-Id is sent twice, instead of storing the joined "a, b"', async () => {
    const [a, b] = [newUser(), newUser()];
    const response = await rawExchange([
      `POST /api/attendance HTTP/1.1\r\nHost: localhost\r\nX-Owner-Id: ${a}\r\nX-Owner-Id: ${b}\r\nConnection: close\r\n\r\n`,
    ]);
    const problem = expectRawProblem(response, 401, 'unauthenticated');
    expect(problem.detail).toContain('more than once');
    const [rows] = await sut.sql.query('SELECT COUNT(*) AS n FROM attendance_records WHERE user_id LIKE ?', [`%${a}%`]);
    expect((rows as { n: number }[])[0]?.n).toBe(0);
  });
});

describe('the owner-id rule: printable ASCII, said in the refusal and in the API document', () => {
  // Sent as UTF-8 bytes, the way a client would send them; Node hands them over read as latin1.
  it.each([
    ['Hangul', '사용자-1732500000000'],
    ['emoji', 'user_😀_1732500000000'],
  ])('answers 401 to an X-Owner-Id in %s with a detail that states the rule', async (_, owner) => {
    const response = await rawExchange([
      `POST /api/attendance HTTP/1.1\r\nHost: localhost\r\nX-Owner-Id: ${owner}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    ]);
    const problem = expectRawProblem(response, 401, 'unauthenticated');
    expect(problem.detail).toContain('contains characters outside ASCII');
    expect(problem.detail).toContain('1 to 64 printable ASCII characters');
    expect(problem.detail).not.toContain('control characters');
    expect(response.headers['www-authenticate']).toBe('X-Owner-Id realm="grewmeet"');
  });

  it('records an attendance for an e-mail-shaped owner id', async () => {
    const owner = `jiwoo.kim+${uniqueSuffix()}@example.com`;
    const response = await post({ 'x-owner-id': owner }, '{}');
    expect(response.status).toBe(201);
    expect((await readJson(response)).userId).toBe(owner);
  });

  it('states the rule in the OpenAPI description of X-Owner-Id', async () => {
    const document = await readJson(await fetch(`${sut.baseUrl}/docs/json`));
    const header = document.paths['/api/attendance'].post.parameters.find(
      (p: { in: string; name: string }) => p.in === 'header' && p.name === 'x-owner-id',
    );
    expect(header.description).toContain('1 to 64 printable ASCII characters');
  });
});

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

describe('a request that never arrives completely', () => {
  let patient: ServiceUnderTest;

  beforeAll(async () => {
    patient = await startTestService(testConfig({ HTTP_REQUEST_TIMEOUT_MS: '1500' }));
  });

  afterAll(async () => {
    await patient?.stop();
    if (patient) await dropDatabase(patient.config.databaseUrl);
  });

  // Node only looks for late requests every connectionsCheckingInterval (30 s unless set): the answer came 10 to
  // 40 s after the request started, past what a client or the fuzzing suite waits.
  it('gets 408 problem+json soon after HTTP_REQUEST_TIMEOUT_MS, also with a chunked body that never ends', async () => {
    for (const method of ['POST', 'OPTIONS']) {
      const startedAt = performance.now();
      const response = await rawExchange(
        [
          `${method} /api/attendance HTTP/1.1\r\nHost: localhost\r\nX-Owner-Id: ${newUser()}\r\n` +
            'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
        ],
        patient.baseUrl,
      );
      const waitedMs = performance.now() - startedAt;
      expectRawProblem(response, 408, 'request-timeout');
      expect(waitedMs, method).toBeGreaterThanOrEqual(1_400);
      expect(waitedMs, method).toBeLessThan(5_000);
    }
  });
});
