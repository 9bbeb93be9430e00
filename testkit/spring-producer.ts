// Produces the way the Spring services do (peer-contract.md): Jackson JSON text, a __TypeId__ header from
// spring-kafka's JsonSerializer, null or string keys.

import { randomUUID } from 'node:crypto';
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

export function datingCompleted(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    studyGroupId: randomUUID(),
    userId: randomUUID(),
    meetingId: randomUUID(),
    studyMeetingEventName: '토요일 커피 모임 ☕',
    when: '2025-05-01T19:30:00',
    createdAt: '2025-04-20T10:11:12.123456789',
    ...overrides,
  };
}

export function studyCompleted(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    studyGroupId: randomUUID(),
    userId: randomUUID(),
    meetingId: randomUUID(),
    studyGroupName: '알고리즘 스터디 🧠',
    meetingName: '3주차',
    completedAt: '2025-05-02T21:00:00.5',
    ...overrides,
  };
}
