// The participation events of the ingestion benchmark: a deterministic stream of dating and study
// "participation completed" events, 20 users per meeting, a tenth of them repeats of earlier events (as a
// re-delivering producer would send), put on the input topics the way the Spring services do.

import { randomUUID } from 'node:crypto';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { type Kind, type ParticipationFacts, participationMessage, TYPE_ID } from '../testkit/participation-messages.ts';

const USERS_PER_MEETING = 20;
const DUPLICATE_SHARE = 0.1;
/** How far (in events) a repeat lands after its original: some in the same fetched batch, most in a later one. */
const DUPLICATE_SPREAD = 5_000;
const PRODUCE_CHUNK = 2_000;

export interface Participation extends ParticipationFacts {
  kind: Kind;
}

export interface Workload {
  /** In produce order; repeats are the same object as their original. */
  messages: Participation[];
  unique: number;
}

/** A deterministic stream: the same count always gives the same shape (meetings, repeats, their positions). */
export function participationWorkload(total: number): Workload {
  const random = seeded(20250502);
  const unique = Math.round(total * (1 - DUPLICATE_SHARE));
  const originals: Participation[] = [];
  let groupId = '';
  let meetingId = '';
  for (let i = 0; i < unique; i++) {
    if (i % USERS_PER_MEETING === 0) {
      groupId = randomUUID();
      meetingId = randomUUID();
    }
    const kind = Math.floor(i / USERS_PER_MEETING) % 2 === 0 ? 'dating' : 'study';
    originals.push({
      kind,
      groupId,
      userId: randomUUID(),
      meetingId,
      name: kind === 'dating' ? '토요일 커피 모임 ☕' : '알고리즘 스터디 🧠',
      meetingName: `${1 + (i % 12)}주차`,
      time: '2025-05-01T19:30:00',
      createdAt: '2025-04-20T10:11:12.123456',
    });
  }
  const ordered = originals.map((p, i) => ({ p, at: i }));
  for (let d = unique; d < total; d++) {
    const original = Math.floor(random() * unique);
    ordered.push({ p: originals[original] as Participation, at: original + 0.5 + random() * DUPLICATE_SPREAD });
  }
  ordered.sort((a, b) => a.at - b.at);
  return { messages: ordered.map((o) => o.p), unique };
}

/** What the dating and study services put on the wire (spec/peer-contract.md): Jackson JSON with a __TypeId__ header. */
export async function produceInput(options: {
  bootstrap: string;
  topics: { dating: string; study: string };
  workload: Workload;
}): Promise<void> {
  const producer = new Producer({
    clientId: 'bench-input',
    bootstrapBrokers: [options.bootstrap],
    serializers: stringSerializers,
    retries: 5,
    retryDelay: 500,
  });
  try {
    for (let i = 0; i < options.workload.messages.length; i += PRODUCE_CHUNK) {
      await producer.send({
        messages: options.workload.messages.slice(i, i + PRODUCE_CHUNK).map((p) => ({
          topic: p.kind === 'dating' ? options.topics.dating : options.topics.study,
          key: p.meetingId,
          value: JSON.stringify(participationMessage(p.kind, p)),
          headers: { __TypeId__: TYPE_ID[p.kind] },
        })),
      });
    }
  } finally {
    await producer.close();
  }
}

/** mulberry32: a tiny seeded generator, so that every run produces the same stream shape. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
