// Ingestion when things break: the database goes away mid-stream, and several instances share the work.

import { describe, expect, it } from 'vitest';
import { cleanupRegistry } from '../../testkit/cleanup.ts';
import { connectToDatabase } from '../../testkit/mysql.ts';
import { startOwnDatabaseServer } from '../../testkit/own-database-server.ts';
import { datingCompleted, studyCompleted } from '../../testkit/participation-messages.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';
import { startTestService, testConfig } from '../../testkit/service-under-test.ts';
import { SpringProducer } from '../../testkit/spring-producer.ts';
import { TopicReader } from '../../testkit/topic-reader.ts';

const cleanup = cleanupRegistry();

/** `count` distinct participations, each sent once, plus every tenth sent a second time. */
function participationsWithRepeats(count: number, topics: { dating: string; study: string }) {
  const unique = Array.from({ length: count }, (_, i) =>
    i % 2 === 0
      ? { topic: topics.dating, value: JSON.stringify(datingCompleted()) }
      : { topic: topics.study, value: JSON.stringify(studyCompleted()) },
  );
  const repeats = unique.filter((_, i) => i % 10 === 0);
  return { unique, all: [...unique, ...repeats] };
}

async function counts(sql: { query(q: string): Promise<[unknown, unknown]> }) {
  const [rows] = await sql.query(
    'SELECT (SELECT COUNT(*) FROM dating_participations) + (SELECT COUNT(*) FROM study_participations) AS n',
  );
  return Number((rows as { n: number }[])[0]?.n);
}

describe('participation ingestion under failure', () => {
  it('loses and doubles nothing when the database stops for a few seconds mid-stream', async () => {
    const db = await startOwnDatabaseServer();
    cleanup(() => db.dispose());
    const config = testConfig({ DATABASE_URL: `${db.serverUrl}/rc_outage_${uniqueSuffix()}` });
    const sut = await startTestService(config);
    cleanup(() => sut.stop());
    const producer = new SpringProducer();
    cleanup(() => producer.close());
    const out = await TopicReader.open([config.topics.datingParticipationRecorded, config.topics.studyParticipationRecorded]);
    cleanup(() => out.close());

    const topics = { dating: config.topics.datingParticipationCompleted, study: config.topics.studyParticipationCompleted };
    const first = participationsWithRepeats(200, topics);
    const second = participationsWithRepeats(200, topics);
    await producer.send(first.all);
    await expect.poll(() => counts(sut.sql), { timeout: 20_000 }).toBe(200);

    await db.stop();
    await producer.send(second.all);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await db.start();

    const fresh = await connectToDatabase(config.databaseUrl);
    cleanup(() => fresh.end());
    await expect.poll(() => counts(fresh), { timeout: 45_000, interval: 250 }).toBe(400);
    const distinctEvents = async () => new Set(out.messages.map((m) => m.headers['event-id'])).size;
    await expect.poll(distinctEvents, { timeout: 45_000, interval: 250 }).toBe(400);
    // Re-sends after an outage carry the same event-id, so the number of distinct events is the number of records.
    expect(new Set(out.messages.map((m) => `${m.json.meetingId}/${m.json.userId}`)).size).toBe(400);
  });

  it('shares partitions between two instances in one group and still stores each participation once', async () => {
    const config = testConfig({ KAFKA_TOPIC_PARTITIONS: '6' });
    const a = await startTestService(config);
    cleanup(() => a.dispose());
    const b = await startTestService({ ...config });
    cleanup(() => b.stop());
    const producer = new SpringProducer();
    cleanup(() => producer.close());

    const assigned = (s: typeof a) => s.service.consumer?.kafkaConsumer.assignments?.flatMap((x) => x.partitions).length ?? 0;
    // Polled as a whole: mid-rebalance one member may still report its old assignment beside the other's new one.
    await expect
      .poll(() => assigned(a) > 0 && assigned(b) > 0 && assigned(a) + assigned(b) === 12, { timeout: 30_000 })
      .toBe(true); // 6 partitions × 2 input topics

    const topics = { dating: config.topics.datingParticipationCompleted, study: config.topics.studyParticipationCompleted };
    const batch = participationsWithRepeats(1000, topics);
    // Repeats keyed differently from their original, so that they land on other partitions (other instance).
    await producer.send([
      ...batch.unique.map((m, i) => ({ ...m, key: `k${i}` })),
      ...batch.all.slice(1000).map((m, i) => ({ ...m, key: `r${i}` })),
    ]);
    await expect.poll(() => counts(a.sql), { timeout: 30_000 }).toBe(1000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await counts(a.sql)).toBe(1000);
  });
});
