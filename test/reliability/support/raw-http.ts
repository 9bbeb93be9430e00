// HTTP/1.1 spoken byte by byte, so that the fuzzer can send what fetch() would refuse to (repeated or odd
// headers, any bytes in a header value, chunked bodies, Expect) and see exactly what comes back.

import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

export type RawOutcome = { kind: 'answer'; answer: RawAnswer; ms: number } | { kind: 'closed' | 'timeout'; ms: number };

/** Sends `request` on a fresh connection and reads until the server closes it (the request says close). */
export function rawExchange(port: number, request: Buffer, timeoutMs: number): Promise<RawOutcome> {
  const startedAt = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (timedOut: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const ms = performance.now() - startedAt;
      const answer = parseFinalAnswer(Buffer.concat(chunks));
      if (answer !== undefined) resolve({ kind: 'answer', answer, ms });
      else resolve({ kind: timedOut ? 'timeout' : 'closed', ms });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => finish(false));
    // A server that answers and closes before reading the whole body resets the rest: not our concern.
    socket.on('error', () => undefined);
    socket.write(request);
  });
}

/** The first final (non-1xx) response in `bytes`, if it arrived whole. */
function parseFinalAnswer(bytes: Buffer): RawAnswer | undefined {
  let rest = bytes;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [statusLine = '', ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(statusLine.split(' ')[1]);
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    rest = rest.subarray(end + 4);
    if (status >= 100 && status < 200) continue;
    const length = headers.get('content-length');
    if (length !== undefined) return { status, headers, body: rest.subarray(0, Number(length)) };
    if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') return { status, headers, body: dechunk(rest) };
    return { status, headers, body: rest };
  }
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
