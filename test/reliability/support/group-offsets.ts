// The consumer group seen from the broker: what it has committed per partition, how far each partition goes,
// and who is in the group with which partitions.

import { Admin } from '@platformatic/kafka';

export interface PartitionProgress {
  topic: string;
  partition: number;
  /** -1 when the group has committed nothing for the partition. */
  committed: bigint;
  end: bigint;
}

function admin(bootstrap: string): Admin {
  return new Admin({ clientId: 'reliability-observer', bootstrapBrokers: [bootstrap], retries: 5, retryDelay: 300 });
}

export async function groupProgress(
  bootstrap: string,
  groupId: string,
  topics: string[],
  partitions: number,
): Promise<PartitionProgress[]> {
  const client = admin(bootstrap);
  try {
    const [committed] = await client.listConsumerGroupOffsets({
      groups: [{ groupId, topics: topics.map((name) => ({ name, partitionIndexes: [...Array(partitions).keys()] })) }],
    });
    const ends = await client.listOffsets({
      topics: topics.map((name) => ({
        name,
        partitions: [...Array(partitions).keys()].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })),
      })),
    });
    const progress: PartitionProgress[] = [];
    for (const topic of ends) {
      for (const p of topic.partitions) {
        const c = committed?.topics
          .find((t) => t.name === topic.name)
          ?.partitions.find((x) => x.partitionIndex === p.partitionIndex);
        progress.push({ topic: topic.name, partition: p.partitionIndex, committed: c?.committedOffset ?? -1n, end: p.offset });
      }
    }
    return progress.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  } finally {
    await client.close();
  }
}

export function describeProgress(progress: PartitionProgress[]): string {
  return progress.map((p) => `${p.topic.split('.')[1]}/${p.partition}: ${p.committed}/${p.end}`).join(', ');
}

/** Members of the group and how many partitions each holds. */
export async function groupMembers(bootstrap: string, groupId: string): Promise<{ clientId: string; partitions: number }[]> {
  const client = admin(bootstrap);
  try {
    const groups = await client.describeGroups({ groups: [groupId] });
    const group = groups.get(groupId);
    return [...(group?.members.values() ?? [])].map((m) => ({
      clientId: m.clientId,
      partitions: [...(m.assignments?.values() ?? [])].reduce((n, a) => n + a.partitions.length, 0),
    }));
  } finally {
    await client.close();
  }
}

/**
 * Watches the group while nothing of `unstorable` can be stored (its messages were sent during an outage) until
 * `until`, once a second: answers each commit seen past the first of them on a partition, and how many checks ran.
 */
export async function watchForCommitsPast(
  unstorable: readonly { topic: string; partition: number; offset: bigint }[],
  group: { bootstrap: string; groupId: string; topics: string[]; partitions: number },
  until: number,
): Promise<{ commitsPast: string[]; checks: number }> {
  const firstUnstorable = new Map<string, bigint>();
  for (const p of unstorable) {
    const where = `${p.topic}:${p.partition}`;
    const first = firstUnstorable.get(where);
    if (first === undefined || p.offset < first) firstUnstorable.set(where, p.offset);
  }
  const commitsPast: string[] = [];
  let checks = 0;
  while (Date.now() < until) {
    for (const p of await groupProgress(group.bootstrap, group.groupId, group.topics, group.partitions)) {
      const limit = firstUnstorable.get(`${p.topic}:${p.partition}`);
      if (limit !== undefined && p.committed > limit && commitsPast.length < 5) {
        commitsPast.push(`offset ${p.committed} committed on ${p.topic}:${p.partition} past unstored offset ${limit}`);
      }
    }
    checks++;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return { commitsPast, checks };
}
