// The producer's recovery from a broken idempotent session. The broker's answer that breaks it cannot be caused
// on purpose with a real broker (it follows a request lost in a broker restart; the reliability suite's broker
// outage meets it now and then), so the client is stood in for here by the smallest fake that answers like it.
import { describe, expect, it } from 'vitest';
import { ResettingProducer } from '../../src/adapters/kafka/kafka-clients.ts';

/** An error shaped like @platformatic/kafka's: it finds the broker's answer among the ones it aggregates. */
function brokerError(apiId: string): Error {
  return Object.assign(new Error('Producing messages failed.'), {
    findBy: (property: string, value: unknown) => (property === 'apiId' && value === apiId ? { apiId } : undefined),
  });
}

class FakeClient {
  static created: FakeClient[] = [];
  readonly sent: unknown[] = [];
  closed = false;
  failWith: Error | undefined;

  constructor() {
    FakeClient.created.push(this);
  }

  async send(options: unknown) {
    if (this.failWith !== undefined) throw this.failWith;
    this.sent.push(options);
    return {};
  }

  close(_force?: unknown, callback?: () => void) {
    this.closed = true;
    callback?.();
  }
}

function resettingProducer(resets: unknown[]) {
  FakeClient.created = [];
  // The fake stands in for the client's Producer class, which it only partly is.
  type Client = ConstructorParameters<typeof ResettingProducer>[0] extends () => infer P ? P : never;
  return new ResettingProducer(
    () => new FakeClient() as unknown as Client,
    (error) => resets.push(error),
  );
}

describe('ResettingProducer', () => {
  it('starts a new session after OUT_OF_ORDER_SEQUENCE_NUMBER, fails that send, and sends the retry on the new one', async () => {
    const resets: unknown[] = [];
    const producer = resettingProducer(resets);
    const [first] = FakeClient.created;
    const broken = brokerError('OUT_OF_ORDER_SEQUENCE_NUMBER');
    (first as FakeClient).failWith = broken;

    await expect(producer.send({ messages: [] })).rejects.toBe(broken);
    expect(FakeClient.created).toHaveLength(2);
    expect(first?.closed).toBe(true);
    expect(resets).toEqual([broken]);

    await producer.send({ messages: [] });
    expect(FakeClient.created[1]?.sent).toHaveLength(1);
  });

  it('also after UNKNOWN_PRODUCER_ID and INVALID_PRODUCER_EPOCH', async () => {
    for (const apiId of ['UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']) {
      const resets: unknown[] = [];
      const producer = resettingProducer(resets);
      (FakeClient.created[0] as FakeClient).failWith = brokerError(apiId);
      await expect(producer.send({ messages: [] })).rejects.toThrow();
      expect(FakeClient.created, apiId).toHaveLength(2);
    }
  });

  it('keeps its session on other failures (an outage, a message too large): the client retries those itself', async () => {
    const resets: unknown[] = [];
    const producer = resettingProducer(resets);
    const client = FakeClient.created[0] as FakeClient;
    for (const error of [
      brokerError('MESSAGE_TOO_LARGE'),
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ]) {
      client.failWith = error;
      await expect(producer.send({ messages: [] })).rejects.toBe(error);
    }
    expect(FakeClient.created).toHaveLength(1);
    expect(resets).toEqual([]);
  });

  it('starts one new session when several sends in flight fail on the broken one', async () => {
    const resets: unknown[] = [];
    const producer = resettingProducer(resets);
    (FakeClient.created[0] as FakeClient).failWith = brokerError('OUT_OF_ORDER_SEQUENCE_NUMBER');
    await Promise.allSettled([producer.send({ messages: [] }), producer.send({ messages: [] })]);
    expect(FakeClient.created).toHaveLength(2);
    expect(resets).toHaveLength(1);
  });
});
