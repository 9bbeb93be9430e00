// Scenario 3: the Kafka broker stops for about 20 s while check-ins keep coming. Every request is still
// accepted (201: the event waits in the outbox), and every event reaches Kafka once the broker is back; the
// participation consumer picks up where it left off.

import { describe, it } from 'vitest';
import { cleanupRegistry } from '../../testkit/cleanup.ts';
import { connectToDatabase } from '../../testkit/mysql.ts';
import { eventually } from '../../testkit/polling.ts';
import { type OwnBroker, startTestBroker } from '../../testkit/test-broker.ts';
import { TopicReader } from '../../testkit/topic-reader.ts';
import { describeProgress, groupProgress } from './support/group-offsets.ts';
import { storeCounts } from './support/ledger.ts';
import { checkInTraffic, concludeScenario, feedInto, startScenarioService } from './support/scenario.ts';

const cleanup = cleanupRegistry();

const OUTAGE_MS = 20_000;

describe('broker outage', () => {
  it('keeps accepting check-ins while the broker is down and publishes every event when it is back', async () => {
    const own: OwnBroker = await startTestBroker();
    cleanup(() => own.dispose());
    const { config, service } = await startScenarioService('broker-outage', cleanup, { KAFKA_BROKERS: own.bootstrap });
    const { topics } = config;
    const sql = await connectToDatabase(config.databaseUrl);
    cleanup(() => sql.end());
    const feed = feedInto(config, cleanup, own.bootstrap);

    const traffic = checkInTraffic('bo', () => service.baseUrl, { concurrency: 4, pauseMs: 20, maxUsers: 20_000 });
    await feed.send({ count: 2_000, duplicateEvery: 10, perSecond: 1_000 });
    await eventually(async () => (await storeCounts(sql)).rows >= 2_000 + 300 && (await storeCounts(sql)).outbox < 100, 60_000);

    await own.broker.stop();
    const during = { answers: 0, notCreated: [] as string[], slowestMs: 0 };
    traffic.onAnswer = ({ status, ms }) => {
      during.answers++;
      during.slowestMs = Math.max(during.slowestMs, ms);
      if (status !== 201 && during.notCreated.length < 10) during.notCreated.push(String(status));
    };
    const backlogBefore = (await storeCounts(sql)).outbox;
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    traffic.onAnswer = undefined;
    const backlogAtEnd = (await storeCounts(sql)).outbox;
    await own.restart();

    // The consumer must come back too: participations sent after the outage are recorded.
    const feedAfter = feedInto(config, cleanup, own.bootstrap);
    await feedAfter.send({ count: 2_000, duplicateEvery: 10, perSecond: 1_000 });
    for (const [key, value] of feedAfter.unique) feed.unique.set(key, value);
    feed.duplicatesSent += feedAfter.duplicatesSent;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await traffic.stop();

    const reader = await TopicReader.open(
      [topics.attendanceRecorded, topics.datingParticipationRecorded, topics.studyParticipationRecorded],
      own.bootstrap,
    );
    cleanup(() => reader.close());
    const problems: string[] = [];
    if (during.notCreated.length > 0)
      problems.push(`answers other than 201 while the broker was down: ${during.notCreated.join(', ')}`);
    if (backlogAtEnd <= backlogBefore) problems.push('the outbox did not fill up while the broker was down: was it down?');
    await concludeScenario({
      scenario: '3 broker outage',
      sql,
      reader,
      feed,
      traffic,
      faults: `broker stopped ${OUTAGE_MS / 1000} s under load`,
      notes: [
        `${during.answers} answers while down (slowest ${Math.round(during.slowestMs)} ms)`,
        `outbox backlog ${backlogAtEnd} when the broker returned`,
      ],
      problems,
      timeoutMs: 120_000,
      diagnose: async () =>
        describeProgress(
          await groupProgress(
            own.bootstrap,
            config.kafkaGroupId,
            [topics.datingParticipationCompleted, topics.studyParticipationCompleted],
            config.kafkaTopicPartitions,
          ),
        ),
    });
  });
});
