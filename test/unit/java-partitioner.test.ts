import { randomBytes } from 'node:crypto';
import { compatibilityPartitioner, murmur2 as libraryMurmur2 } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { javaCompatiblePartitioner, murmur2 } from '../../src/adapters/kafka/java-partitioner.ts';

describe('murmur2', () => {
  it("gives the values of Kafka's own UtilsTest (Java producer compatibility)", () => {
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, expected] of cases) expect(murmur2(Buffer.from(key)), key).toBe(expected);
  });

  it("agrees with the client library's BigInt version on keys of every length, including non-ASCII user ids", () => {
    const keys = [
      Buffer.alloc(0),
      Buffer.from('사용자-42'),
      Buffer.from('user_😀'),
      ...Array.from({ length: 500 }, (_, i) => randomBytes(i % 67)),
    ];
    for (const key of keys) expect(murmur2(key), key.toString('hex')).toBe(libraryMurmur2(key));
  });
});

describe('javaCompatiblePartitioner', () => {
  it('picks the partition the library (and a Java producer) picks, and 0 without a key', () => {
    for (let i = 0; i < 200; i++) {
      const key = Buffer.from(`user-${i}-${randomBytes(4).toString('hex')}`);
      expect(javaCompatiblePartitioner({}, key)).toBe(compatibilityPartitioner({} as never, key));
      expect(javaCompatiblePartitioner({}, key)).toBeGreaterThanOrEqual(0);
    }
    expect(javaCompatiblePartitioner({}, undefined)).toBe(0);
  });
});
