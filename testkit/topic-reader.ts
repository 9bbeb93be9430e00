// Reads a topic from the beginning with a real consumer, the way the query service would.

import { Consumer, type MessagesStream, MessagesStreamModes, stringDeserializers } from '@platformatic/kafka';
import { inject } from 'vitest';
import { uniqueSuffix } from './service-under-test.ts';

export interface ReadMessage {
  key: string | undefined;
  value: string;
  json: Record<string, unknown>;
  headers: Record<string, string>;
  partition: number;
  offset: bigint;
}

export class TopicReader {
  readonly messages: ReadMessage[] = [];
  readonly #consumer: Consumer<string, string, string, string>;
  #stream: MessagesStream<string, string, string, string> | undefined;

  private constructor(consumer: Consumer<string, string, string, string>) {
    this.#consumer = consumer;
  }

  static async open(topics: string[], bootstrap: string = inject('kafkaBootstrap')): Promise<TopicReader> {
    const consumer = new Consumer({
      groupId: `reader-${uniqueSuffix()}`,
      clientId: 'test-reader',
      bootstrapBrokers: [bootstrap],
      deserializers: stringDeserializers,
      maxWaitTime: 200,
      retries: 100,
      retryDelay: 500,
    });
    const reader = new TopicReader(consumer);
    const stream = await consumer.consume({ topics, mode: MessagesStreamModes.EARLIEST, autocommit: false });
    reader.#stream = stream;
    stream.on('data', (message) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of message.headers) headers[k] = v;
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(message.value);
      } catch {
        // Left empty: some topics (dead letters) carry bytes that are not JSON on purpose.
      }
      reader.messages.push({
        key: message.key,
        value: message.value,
        json,
        headers,
        partition: message.partition,
        offset: message.offset,
      });
    });
    return reader;
  }

  /** Waits until `predicate` holds for the messages read so far, or fails after `timeoutMs`. */
  async waitFor(predicate: (messages: ReadMessage[]) => boolean, timeoutMs = 20_000, what = 'messages'): Promise<ReadMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; read ${this.messages.length}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.messages;
  }

  async waitForCount(count: number, timeoutMs = 20_000): Promise<ReadMessage[]> {
    return this.waitFor((m) => m.length >= count, timeoutMs, `${count} message(s)`);
  }

  async close(): Promise<void> {
    const quietly = (work: Promise<void>) => work.catch(() => undefined);
    if (this.#stream !== undefined) await quietly(this.#stream.close());
    // The callback form: TypeScript resolves close(true) to the overload that returns void.
    await new Promise<void>((resolve) => this.#consumer.close(true, () => resolve()));
  }
}
