// Reads a topic from the beginning with a real consumer, the way the query service would.

import { Consumer, type MessagesStream, MessagesStreamModes, stringDeserializers } from '@platformatic/kafka';
import { inject } from 'vitest';
import { eventually } from './polling.ts';
import { uniqueSuffix } from './service-environment.ts';

/** Text for keys and headers; the value as bytes too, for topics (dead letters) whose bytes must match exactly. */
// (A tombstone's value is undefined, whatever the type says.)
const deserializers = { ...stringDeserializers, value: (data?: Buffer) => data as Buffer };

export interface ReadMessage {
  key: string | undefined;
  value: string;
  /** The value as it was sent, byte for byte; undefined for a tombstone. */
  bytes: Buffer | undefined;
  json: Record<string, unknown>;
  headers: Record<string, string>;
  partition: number;
  offset: bigint;
}

export class TopicReader {
  readonly messages: ReadMessage[] = [];
  readonly #consumer: Consumer<string, Buffer, string, string>;
  #stream: MessagesStream<string, Buffer, string, string> | undefined;

  private constructor(consumer: Consumer<string, Buffer, string, string>) {
    this.#consumer = consumer;
  }

  static async open(topics: string[], bootstrap: string = inject('kafkaBootstrap')): Promise<TopicReader> {
    const consumer = new Consumer({
      groupId: `reader-${uniqueSuffix()}`,
      clientId: 'test-reader',
      bootstrapBrokers: [bootstrap],
      deserializers,
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
      const value = message.value?.toString('utf-8') as string;
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(value);
      } catch {
        // Left empty: some topics (dead letters) carry bytes that are not JSON on purpose.
      }
      reader.messages.push({
        key: message.key,
        value,
        bytes: message.value,
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
    if (!(await eventually(() => predicate(this.messages), timeoutMs, 50)))
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; read ${this.messages.length}`);
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
