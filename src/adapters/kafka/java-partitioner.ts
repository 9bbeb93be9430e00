// Kafka's Java default partitioner for keyed records: murmur2 of the key's bytes, made positive. A Java
// producer and this service put the same user id on the same partition.
// The client library ships the same function (compatibilityPartitioner), but computes it with BigInt: every
// step allocates, and on the relay's path it was the largest single source of garbage (6 % of all bytes
// allocated, docs/benchmarks.md). Math.imul gives Java's 32-bit int arithmetic without allocating.

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** Java's `Utils.murmur2(byte[])`: a signed 32-bit hash. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k =
      (data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The last one to three bytes, as Java's fall-through switch mixes them.
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= (data[whole + 2] as number) << 16;
    if (rest >= 2) h ^= (data[whole + 1] as number) << 8;
    h ^= data[whole] as number;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The producer's partitioner: Java's `toPositive(murmur2(key))`; the client takes it modulo the partition count. */
export function javaCompatiblePartitioner(_message: unknown, key: Buffer | undefined): number {
  return Buffer.isBuffer(key) ? murmur2(key) & 0x7fffffff : 0;
}
