// What a hostile or broken client can send, answered by the HTTP API alone (no database, no broker): every
// refusal is a problem+json answer, nothing is read without a limit. What needs a real socket (framing, header
// size, timeouts, repeated headers) goes through one; the rest through inject().

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpApiUnderTest, startHttpApi } from '../../testkit/http-api-under-test.ts';
import { expectProblem, readJson } from '../../testkit/http-assertions.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';

let api: HttpApiUnderTest;
let baseUrl: string;

beforeAll(async () => {
  api = await startHttpApi();
  baseUrl = await api.listen();
});

afterAll(async () => {
  await api?.close();
});

const newUser = () => `user_${Date.now()}_${uniqueSuffix()}`;

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A connection that sends bytes no well-behaved client would; `answer` is all it read when the server closed it. */
function openConnection(url = baseUrl): { send(bytes: string): void; answer: Promise<string> } {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  const connected = new Promise((resolve) => socket.once('connect', resolve));
  const answer = new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    // The server may close while we still write (it refused early): the answer is what counts.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  return { send: (bytes) => void connected.then(() => socket.write(bytes)), answer };
}

function parseResponse(text: string): RawResponse {
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

/** Sends `parts` one after the other on a new connection and reads the answer. */
async function rawExchange(parts: string[], url = baseUrl): Promise<RawResponse> {
  const connection = openConnection(url);
  for (const part of parts) connection.send(part);
  return parseResponse(await connection.answer);
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
  return api.fetch('/api/attendance', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

describe('limits on what a client sends', () => {
  it('answers 413 problem+json to a body over HTTP_BODY_LIMIT_BYTES', async () => {
    const body = JSON.stringify({ attendanceTime: null, padding: 'x'.repeat(api.config.bodyLimitBytes) });
    await expectProblem(await post({ 'x-owner-id': newUser() }, body), 413, 'body-too-large');
  });

  it('answers 413 to a chunked body that grows over the limit without announcing its length', async () => {
    const chunk = `{"padding":"${'x'.repeat(api.config.bodyLimitBytes)}`;
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
    const response = await api.fetch(`/api/attendance?${'q'.repeat(2100)}`, {
      method: 'POST',
      headers: { 'x-owner-id': newUser() },
    });
    await expectProblem(response, 414, 'uri-too-long');
  });

  it('answers 400 problem+json to bytes that are not HTTP', async () => {
    expectRawProblem(await rawExchange(['HELLO THERE\r\n\r\n']), 400, 'invalid-request');
  });

  it('answers 400 problem+json to a badly percent-encoded URL', async () => {
    await expectProblem(await api.fetch('/api/%E0%A4%A'), 400, 'invalid-request');
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
    await expectProblem(await api.fetch('/api/attendances', { method: 'POST' }), 404, 'not-found');
  });

  it('answers 405 with Allow to a known path with another method', async () => {
    const response = await api.fetch('/api/attendance');
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
    expect(api.store.recordsMentioning(a)).toHaveLength(0);
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
    const document = await readJson(await api.fetch('/docs/json'));
    const header = document.paths['/api/attendance'].post.parameters.find(
      (p: { in: string; name: string }) => p.in === 'header' && p.name === 'x-owner-id',
    );
    expect(header.description).toContain('1 to 64 printable ASCII characters');
  });
});

describe('a request that never arrives completely', () => {
  let patient: HttpApiUnderTest;
  let patientUrl: string;

  beforeAll(async () => {
    patient = await startHttpApi({ env: { HTTP_REQUEST_TIMEOUT_MS: '1500' } });
    patientUrl = await patient.listen();
  });

  afterAll(async () => {
    await patient?.close();
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
        patientUrl,
      );
      const waitedMs = performance.now() - startedAt;
      expectRawProblem(response, 408, 'request-timeout');
      expect(waitedMs, method).toBeGreaterThanOrEqual(1_400);
      expect(waitedMs, method).toBeLessThan(5_000);
    }
  });
});

describe('a server that is closing', () => {
  it('refuses a request arriving on an open connection with 503 problem+json and Retry-After, after finishing the one in flight', async () => {
    const closing = await startHttpApi();
    const url = await closing.listen();
    const release = closing.store.hold();
    const [first, second] = [newUser(), newUser()];
    let arrived = 0;
    closing.app.server.on('request', () => arrived++);
    // Two requests on one keep-alive connection: the first is held in the store while close() begins, and the
    // second arrives once the server no longer listens, which is after the preClose hooks ran.
    const connection = openConnection(url);
    connection.send(`POST /api/attendance HTTP/1.1\r\nHost: localhost\r\nX-Owner-Id: ${first}\r\n\r\n`);
    await expect.poll(() => closing.store.waiting).toBe(1);
    const closed = closing.close();
    await expect.poll(() => closing.app.server.listening).toBe(false);
    connection.send(`POST /api/attendance HTTP/1.1\r\nHost: localhost\r\nX-Owner-Id: ${second}\r\nConnection: close\r\n\r\n`);
    await expect.poll(() => arrived).toBe(2);
    release();
    const [finished, refused] = (await connection.answer).split(/(?=HTTP\/1\.1 \d{3} )/).map(parseResponse);
    await closed;
    expect(finished?.status).toBe(201);
    expect(refused).toBeDefined();
    if (refused === undefined) return;
    expectRawProblem(refused, 503, 'service-unavailable');
    expect(refused.headers['retry-after']).toBe('1');
    expect(closing.store.records.map((record) => record.userId)).toEqual([first]);
  });
});
