// Scenario 2: three instances share one consumer group; one is killed with SIGKILL mid-stream and another
// joins later. Partitions move between them, and still every record is stored once and published.

import { describe, inject, it } from 'vitest';
import { cleanupRegistry } from '../../testkit/cleanup.ts';
import { connectToDatabase, dropDatabase } from '../../testkit/mysql.ts';
import { eventually } from '../../testkit/polling.ts';
import type { ServiceProcess } from '../../testkit/service-process.ts';
import { serviceEnvironment, serviceProcess } from '../../testkit/test-environment.ts';
import { describeProgress, groupMembers, groupProgress } from './support/group-offsets.ts';
import { checkInTraffic, concludeScenario, feedInto, readAllPublished } from './support/scenario.ts';

const cleanup = cleanupRegistry();

/** outbox_events_published_total of one instance: every instance publishes the check-ins it committed. */
async function eventsPublishedBy(instance: ServiceProcess): Promise<number> {
  const text = await (await fetch(`${instance.baseUrl}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(/^outbox_events_published_total(?:\{[^}]*\})? (\d+)/gm)) total += Number(match[1]);
  return total;
}

const PARTITIONS = 6;
const INPUT_PARTITIONS = 2 * PARTITIONS;

describe('scale-out', () => {
  it('spreads partitions over the live instances as one dies and another joins, and stores every record once', async () => {
    const environment = serviceEnvironment({ KAFKA_TOPIC_PARTITIONS: String(PARTITIONS) });
    const { config } = environment;
    const { topics } = config;
    const bootstrap = inject('kafkaBootstrap');
    cleanup(() => dropDatabase(config.databaseUrl));
    const instances: ServiceProcess[] = [];
    const launch = async (name: string) => {
      const instance = await serviceProcess(name, environment);
      cleanup(() => instance.dispose());
      await instance.start();
      instances.push(instance);
      return instance;
    };
    // One at a time: the first one migrates the database and creates the topics.
    await launch('a');
    await launch('b');
    await launch('c');
    const members = () => groupMembers(bootstrap, config.kafkaGroupId);
    const spread = async (count: number) => {
      const m = await members();
      return (
        m.length === count && m.every((x) => x.partitions > 0) && m.reduce((n, x) => n + x.partitions, 0) === INPUT_PARTITIONS
      );
    };
    const problems: string[] = [];
    if (!(await eventually(() => spread(3), 60_000, 500)))
      problems.push(`three instances never shared the partitions: ${JSON.stringify(await members())}`);

    const sql = await connectToDatabase(config.databaseUrl);
    cleanup(() => sql.end());
    const reader = await readAllPublished(config, cleanup);
    const feed = feedInto(config, cleanup, bootstrap);
    let turn = 0;
    const traffic = checkInTraffic(
      'so',
      () => {
        const live = instances.filter((i) => i.running);
        return (live[turn++ % live.length] ?? instances[0])?.baseUrl as string;
      },
      { concurrency: 3, pauseMs: 30, maxUsers: 3_000 },
    );
    const feedDone = feed.send({ count: 12_000, duplicateEvery: 10, perSecond: 400, chunk: 100 });

    await eventually(() => feed.sent > 3_000, 60_000);
    // The victim is the first instance: it holds the outbox sweep lease, which must pass to a survivor too.
    const published = await Promise.all(instances.map((i) => eventsPublishedBy(i)));
    const victim = instances[0] as ServiceProcess;
    await victim.kill();
    await eventually(() => feed.sent > 6_000, 60_000);
    await launch('d');
    if (!(await eventually(() => spread(3), 60_000, 500)))
      problems.push(`the survivors and the newcomer never shared the partitions: ${JSON.stringify(await members())}`);
    const after = await members();
    await feedDone;
    await traffic.stop();

    await concludeScenario({
      scenario: '2 scale-out',
      sql,
      reader,
      feed,
      traffic,
      faults: '3 instances, kill -9 of the sweep lease holder mid-stream, 1 instance added',
      notes: [
        `events published per instance before the kill: ${published.join('/')}`,
        `partitions per member after the join: ${after.map((m) => m.partitions).join('/')}`,
      ],
      problems,
      diagnose: async () =>
        describeProgress(
          await groupProgress(
            bootstrap,
            config.kafkaGroupId,
            [topics.datingParticipationCompleted, topics.studyParticipationCompleted],
            PARTITIONS,
          ),
        ),
    });
  });
});
