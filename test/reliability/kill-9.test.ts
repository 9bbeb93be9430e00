// Scenario 1: the process is killed with SIGKILL at random moments while participations (with redeliveries)
// and attendance check-ins flow, and restarted each time. Whatever was in flight, every record is stored once
// and its event reaches Kafka.

import { describe, inject, it } from 'vitest';
import { cleanupRegistry } from '../../testkit/cleanup.ts';
import { connectToDatabase } from '../../testkit/mysql.ts';
import { describeProgress, groupProgress } from './support/group-offsets.ts';
import { checkInTraffic, concludeScenario, feedInto, readAllPublished, startScenarioService } from './support/scenario.ts';

const cleanup = cleanupRegistry();

const PARTICIPATIONS = 20_000;
const KILLS = 4;

describe('kill -9 under load', () => {
  it('stores every record once and publishes every event although the process is killed again and again', async () => {
    const { config, service } = await startScenarioService('kill-9', cleanup);
    const sql = await connectToDatabase(config.databaseUrl);
    cleanup(() => sql.end());
    const { topics } = config;
    const reader = await readAllPublished(config, cleanup);
    const feed = feedInto(config, cleanup, inject('kafkaBootstrap'));

    const traffic = checkInTraffic('k9', () => service.baseUrl, { concurrency: 4, pauseMs: 40, maxUsers: 4_000 });
    const feedDone = feed.send({ count: PARTICIPATIONS, duplicateEvery: 10, perSecond: 500, chunk: 100 });

    // The feed lasts about 45 s; the kills come 2-7 s after each start, so all of them fall within it.
    const killedAfterMs: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      const wait = 2_000 + Math.random() * 5_000;
      await new Promise((resolve) => setTimeout(resolve, wait));
      await service.kill();
      killedAfterMs.push(Math.round(wait));
      await service.start();
    }
    const killsUnderLoad = feed.sent < PARTICIPATIONS;
    await feedDone;
    await traffic.stop();

    await concludeScenario({
      scenario: '1 kill -9',
      sql,
      reader,
      feed,
      traffic,
      faults: `${killedAfterMs.length} kill -9 (at ${killedAfterMs.map((ms) => `${(ms / 1000).toFixed(1)}s`).join(', ')} after each start)`,
      diagnose: async () =>
        describeProgress(
          await groupProgress(
            inject('kafkaBootstrap'),
            config.kafkaGroupId,
            [topics.datingParticipationCompleted, topics.studyParticipationCompleted],
            config.kafkaTopicPartitions,
          ),
        ),
      notes: [killsUnderLoad ? 'all kills while the feed ran' : 'the feed ended before the last kill'],
    });
  });
});
