import { describe, expect, it } from 'vitest';
import { inRequests } from '../../src/adapters/kafka/kafka-clients.ts';

const message = (n: number, bytes: number) => ({
  key: `user-${n}`,
  value: 'x'.repeat(bytes),
  headers: { 'event-id': `id-${n}` },
});

describe('inRequests', () => {
  it('keeps small sends whole', () => {
    const messages = [message(1, 100), message(2, 100)];
    expect(inRequests(messages)).toEqual([messages]);
  });

  it('cuts a large send into requests under the limit, in the original order', () => {
    const messages = Array.from({ length: 2000 }, (_, n) => message(n, 1800));
    const requests = inRequests(messages, 512 * 1024);
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.flat()).toEqual(messages);
    for (const request of requests) {
      expect(request.reduce((n, m) => n + m.value.length, 0)).toBeLessThanOrEqual(512 * 1024);
    }
  });

  it('counts header bytes, as the relay sends them (a Map of Buffers)', () => {
    const messages = Array.from({ length: 10 }, (_, n) => ({
      key: `user-${n}`,
      value: '{}',
      headers: new Map([[Buffer.from('traceparent'), Buffer.alloc(100_000)]]),
    }));
    const requests = inRequests(messages, 512 * 1024);
    expect(requests.map((r) => r.length)).toEqual([5, 5]);
    expect(requests.flat()).toEqual(messages);
  });

  it('sends a message larger than the limit on its own', () => {
    const messages = [message(1, 10), message(2, 600_000), message(3, 10)];
    expect(inRequests(messages, 512 * 1024).map((r) => r.length)).toEqual([1, 1, 1]);
  });
});
