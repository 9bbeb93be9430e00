// Produces the way the Spring services do (peer-contract.md): Jackson JSON text, a __TypeId__ header from
// spring-kafka's JsonSerializer, null or string keys. The messages themselves: participation-messages.ts.

import { Producer, stringSerializers } from '@platformatic/kafka';
import { inject } from 'vitest';

export interface SpringMessage {
  topic: string;
  value: string;
  key?: string;
  typeId?: string;
  headers?: Record<string, string>;
}

export class SpringProducer {
  readonly #producer: Producer<string, string, string, string>;

  constructor(bootstrap: string = inject('kafkaBootstrap')) {
    this.#producer = new Producer({
      clientId: 'spring-like-producer',
      bootstrapBrokers: [bootstrap],
      serializers: stringSerializers,
      retries: 20,
      retryDelay: 500,
    });
  }

  async send(messages: SpringMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 1000) {
      await this.#producer.send({
        messages: messages.slice(i, i + 1000).map((m) => {
          const headers: Record<string, string> = { ...m.headers };
          if (m.typeId !== undefined) headers.__TypeId__ = m.typeId;
          return { topic: m.topic, value: m.value, ...(m.key === undefined ? {} : { key: m.key }), headers };
        }),
      });
    }
  }

  async close(): Promise<void> {
    await this.#producer.close();
  }
}
