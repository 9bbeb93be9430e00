// The dating and study services as this service sees them: a stream of "participation completed" messages in
// Jackson's style, with a share of redeliveries (the same message again, as an at-least-once producer sends
// it), paced at a chosen rate, each message's partition and offset noted for offset checks.

import { ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import { datingCompleted, type Kind, studyCompleted, TYPE_ID } from '../../../testkit/participation-messages.ts';

export interface Participation {
  kind: Kind;
  meetingId: string;
  userId: string;
  value: string;
}

export interface Placement {
  key: string;
  topic: string;
  partition: number;
  offset: bigint;
}

export const participationKey = (p: { kind: Kind; meetingId: string; userId: string }) => `${p.kind}/${p.meetingId}/${p.userId}`;

function participation(kind: Kind, n: number): Participation {
  // Jackson writes as many fraction digits as the value needs: none, or up to nine.
  const fraction = n % 3 === 0 ? '' : `.${String(n % 1_000_000_000).padStart(9, '0')}`;
  const message =
    kind === 'dating'
      ? datingCompleted({ studyMeetingEventName: `토요일 커피 모임 ☕ #${n}`, createdAt: `2025-04-20T10:11:12${fraction}` })
      : studyCompleted({ studyGroupName: `알고리즘 스터디 🧠 #${n}`, completedAt: `2025-05-02T21:00:00${fraction}` });
  return { kind, meetingId: String(message.meetingId), userId: String(message.userId), value: JSON.stringify(message) };
}

export class ParticipationFeed {
  /** Every distinct participation sent, by participationKey. */
  readonly unique = new Map<string, Participation>();
  readonly placements: Placement[] = [];
  sent = 0;
  duplicatesSent = 0;
  readonly #producer: Producer<string, string, string, string>;
  readonly #topics: Record<Kind, string>;
  readonly #partitions: number;
  readonly #order: Participation[] = [];
  #serial = 0;

  constructor(options: { bootstrap: string; topics: Record<Kind, string>; partitions: number }) {
    this.#topics = options.topics;
    this.#partitions = options.partitions;
    this.#producer = new Producer({
      clientId: 'participation-feed',
      bootstrapBrokers: [options.bootstrap],
      serializers: stringSerializers,
      // Idempotent, so that every message is in the topic exactly where its placement says.
      idempotent: true,
      acks: ProduceAcks.ALL,
      retries: 20,
      retryDelay: 500,
    });
  }

  /**
   * Sends `count` new participations, and after every `duplicateEvery`-th one a redelivery of an earlier one
   * (0: none), in chunks, at about `perSecond`. Stops early when `stop()` answers true.
   */
  async send(options: {
    count: number;
    duplicateEvery?: number;
    perSecond: number;
    chunk?: number;
    stop?: () => boolean;
  }): Promise<void> {
    const { count, duplicateEvery = 0, perSecond, chunk = 200, stop } = options;
    let pending: Participation[] = [];
    const flush = async () => {
      const startedAt = performance.now();
      await this.#sendChunk(pending);
      pending = [];
      const due = (chunk / perSecond) * 1000 - (performance.now() - startedAt);
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
    };
    for (let i = 0; i < count && !(stop?.() ?? false); i++) {
      const fresh = participation(i % 2 === 0 ? 'dating' : 'study', this.#serial++);
      this.unique.set(participationKey(fresh), fresh);
      this.#order.push(fresh);
      pending.push(fresh);
      if (duplicateEvery > 0 && (i + 1) % duplicateEvery === 0) {
        const earlier = this.#order[Math.floor(Math.random() * this.#order.length)] as Participation;
        pending.push(earlier);
        this.duplicatesSent++;
      }
      if (pending.length >= chunk) await flush();
    }
    if (pending.length > 0) await flush();
  }

  async #sendChunk(items: Participation[]): Promise<void> {
    const messages = items.map((p) => ({
      topic: this.#topics[p.kind],
      // Any partition: a redelivery may well reach another consumer than the original did.
      partition: Math.floor(Math.random() * this.#partitions),
      value: p.value,
      headers: { __TypeId__: TYPE_ID[p.kind] },
    }));
    const result = await this.#producer.send({ messages });
    // Per partition, a request's messages get consecutive offsets from the base offset the broker answers.
    const base = new Map<string, bigint>();
    for (const o of result.offsets ?? []) base.set(`${o.topic}:${o.partition}`, BigInt(o.offset));
    const next = new Map<string, bigint>();
    messages.forEach((m, i) => {
      const where = `${m.topic}:${m.partition}`;
      const offset = next.get(where) ?? base.get(where);
      if (offset === undefined) throw new Error(`no offset answered for ${where}`);
      next.set(where, offset + 1n);
      this.placements.push({ key: participationKey(items[i] as Participation), topic: m.topic, partition: m.partition, offset });
    });
    this.sent += items.length;
  }

  async close(): Promise<void> {
    await this.#producer.close();
  }
}
