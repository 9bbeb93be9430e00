// fast-check arbitraries for whole HTTP requests to the service: methods, paths, identity headers, content
// types, framings (Content-Length, chunked, none), bodies from valid check-ins to random bytes, prototype
// poisoning, deep nesting and sizes around the body limit.

import fc from 'fast-check';

export interface FuzzRequest {
  method: string;
  path: string;
  headers: [string, Buffer | string][];
  body: Buffer;
  framing: 'content-length' | 'chunked' | 'none';
  chunkSize: number;
}

const TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!#$%&'*+.^`|~".split('');
const token = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 24 });
/** Any bytes but CR and LF (which would end the header and change the framing, not the value). */
const headerBytes = fc.uint8Array({ maxLength: 120 }).map((bytes) => Buffer.from(bytes.filter((b) => b !== 0x0a && b !== 0x0d)));
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
/** Mostly what a client would send, sometimes any bytes (control characters, obs-text). */
const headerValue: fc.Arbitrary<string | Buffer> = fc.oneof(
  { weight: 4, arbitrary: printable },
  { weight: 1, arbitrary: headerBytes },
);
const digits = (min: number, max: number, width: number) => fc.integer({ min, max }).map((n) => String(n).padStart(width, '0'));

/** Date-times near the wire format (every field may be out of range) and some that are not date-times at all. */
export const attendanceTime: fc.Arbitrary<unknown> = fc.oneof(
  fc
    .tuple(
      digits(0, 99999, 4),
      digits(0, 99, 2),
      digits(0, 99, 2),
      fc.constantFrom('T', 't', ' '),
      digits(0, 99, 2),
      digits(0, 99, 2),
      fc.option(digits(0, 99, 2)),
      fc.option(fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: 1, maxLength: 12 })),
      fc.option(fc.constantFrom('Z', 'z', '+09:00', '-14:00', '+1400', '+14', '+99:99', '-00:00')),
    )
    .map(
      ([y, mo, d, t, h, mi, s, f, z]) =>
        `${y}-${mo}-${d}${t}${h}:${mi}${s === null ? '' : `:${s}${f === null ? '' : `.${f}`}`}${z ?? ''}`,
    ),
  fc.constantFrom(
    '2025-01-03T10:00:00',
    '1000-01-01T00:00:00',
    '1000-01-01T00:00:00+14:00',
    '0999-12-31T23:59:59',
    '9999-12-31T23:59:59.999999999',
    '9999-12-31T23:59:59-14:00',
    '2024-02-29T12:00:00',
    '2023-02-29T12:00:00',
    '2025-03-30T02:30:00',
  ),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.jsonValue(),
);

const body: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(Buffer.alloc(0)) },
  {
    weight: 6,
    arbitrary: fc
      .record({ attendanceTime, extra: fc.option(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 })) })
      .map(({ attendanceTime: time, extra }) => Buffer.from(JSON.stringify({ ...(extra ?? {}), attendanceTime: time }))),
  },
  { weight: 2, arbitrary: fc.constant(Buffer.from('{}')) },
  { weight: 3, arbitrary: fc.json().map((text) => Buffer.from(text)) },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 3000 }).map((bytes) => Buffer.from(bytes)) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '{"__proto__":{"attendanceTime":"2025-01-03T10:00:00"}}',
        '{"constructor":{"prototype":{"polluted":true}}}',
        '{"attendanceTime":"2025-01-03T10:00:00","__proto__":null}',
        '{"attendanceTime":"2025-01-03T10:00:00"',
        '\ufeff{"attendanceTime":"2025-01-03T10:00:00"}',
        'null',
        '[]',
        '"2025-01-03T10:00:00"',
        ' ',
        '\u0000',
      )
      .map((text) => Buffer.from(text)),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 12_000 }).map((depth) => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`)),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 15_000, max: 40_000 })
      .map((size) => Buffer.from(`{"attendanceTime":"2025-01-03T10:00:00","pad":"${'x'.repeat(size)}"}`)),
  },
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  { weight: 2, arbitrary: fc.constant(undefined) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'application/json;',
      'application/problem+json',
      'application/vnd.grewmeet+json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/plain',
      'text/plain; charset=utf-8',
      'application/octet-stream',
      '*/*',
      'json',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.tuple(token, token).map(([a, b]) => `${a}/${b}`) },
  { weight: 1, arbitrary: headerBytes },
);

const owner = fc.oneof(
  { weight: 6, arbitrary: fc.nat().map((n) => `user_1732500000000_${String(n).padStart(12, '0')}`) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\t',
      'a'.repeat(64),
      'a'.repeat(65),
      ' user_1',
      'user_1 ',
      'user\u00001',
      '사용자',
      '😀'.repeat(40),
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }).map((s) => Buffer.from(s, 'utf8')) },
  { weight: 1, arbitrary: headerBytes },
);

const extraHeader: fc.Arbitrary<[string, Buffer | string]> = fc.oneof(
  fc.tuple(
    token.filter((name) => !['host', 'connection', 'content-length', 'transfer-encoding'].includes(name.toLowerCase())),
    headerValue,
  ),
  fc.tuple(
    fc.constantFrom(
      'accept',
      'accept-encoding',
      'content-encoding',
      'expect',
      'x-request-id',
      'traceparent',
      'authorization',
      'x-owner-id',
      'content-type',
      'content-length',
      'transfer-encoding',
    ),
    fc.oneof(
      headerValue,
      fc.constantFrom('gzip', 'br, gzip', 'identity', '100-continue', 'chunked', '0', '-1', '99999999999', 'Bearer x.y.z'),
    ),
  ),
);

export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.oneof(
      { weight: 8, arbitrary: fc.constant('POST') },
      { weight: 2, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
      { weight: 1, arbitrary: token },
    ),
    path: fc.oneof(
      { weight: 8, arbitrary: fc.constant('/api/attendance') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          '/api/attendance/',
          '/api/attendance?attendanceTime=2025-01-03T10:00:00',
          '/api/attendance/1',
          '/API/ATTENDANCE',
          '//api/attendance',
          '/api/attendance%',
          '/api/%E0%A4%A',
          '/api/attendance/..%2f..%2fetc',
          '/health/live',
          '/health/ready',
          '/metrics',
          '/docs/json',
          '*',
          `/${'a'.repeat(3000)}`,
        ),
      },
      { weight: 1, arbitrary: fc.webPath().map((p) => (p === '' ? '/' : p)) },
    ),
    owner,
    repeatOwner: fc.boolean(),
    contentType,
    extras: fc.oneof(fc.constant([]), fc.array(extraHeader, { maxLength: 4 })),
    body,
    framing: fc.constantFrom('content-length', 'content-length', 'chunked', 'none'),
    chunkSize: fc.integer({ min: 1, max: 5000 }),
  })
  .map(({ method, path, owner: id, repeatOwner, contentType: type, extras, body: payload, framing, chunkSize }) => {
    const headers: [string, Buffer | string][] = [];
    if (id !== undefined) headers.push(['X-Owner-Id', id]);
    if (id !== undefined && repeatOwner) headers.push(['X-Owner-Id', id]);
    if (type !== undefined) headers.push(['Content-Type', type]);
    headers.push(...extras);
    // Without Content-Length or chunking there is no body: extra bytes would be a second, pipelined request.
    const effectiveFraming = framing === 'none' && payload.length > 0 ? 'content-length' : framing;
    return { method, path, headers, body: payload, framing: effectiveFraming, chunkSize };
  });

export function requestBytes(request: FuzzRequest): Buffer {
  const parts: Buffer[] = [Buffer.from(`${request.method} ${request.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`, 'latin1')];
  for (const [name, value] of request.headers) {
    parts.push(
      Buffer.from(`${name}: `, 'latin1'),
      typeof value === 'string' ? Buffer.from(value, 'latin1') : value,
      Buffer.from('\r\n'),
    );
  }
  if (request.framing === 'content-length') parts.push(Buffer.from(`Content-Length: ${request.body.length}\r\n`));
  if (request.framing === 'chunked') parts.push(Buffer.from('Transfer-Encoding: chunked\r\n'));
  parts.push(Buffer.from('Connection: close\r\n\r\n'));
  if (request.framing === 'chunked') {
    for (let at = 0; at < request.body.length; at += request.chunkSize) {
      const chunk = request.body.subarray(at, at + request.chunkSize);
      parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from('0\r\n\r\n'));
  } else {
    parts.push(request.body);
  }
  return Buffer.concat(parts);
}

/** A short, printable description of a request for a failure message. */
export function describeRequest(request: FuzzRequest): string {
  const headers = request.headers.map(([n, v]) => `${n}: ${JSON.stringify(v.toString().slice(0, 80))}`).join('; ');
  const body = request.body.toString('utf8');
  return `${request.method} ${request.path.slice(0, 100)} [${request.framing}] {${headers}} body(${request.body.length}): ${JSON.stringify(body.slice(0, 200))}`;
}
