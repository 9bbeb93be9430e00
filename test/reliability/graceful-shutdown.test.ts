// Scenario 5: SIGTERM under load. Requests in flight get their answers, the batch in hand is stored and its
// offsets committed, the relay publishes what was committed, and the process exits 0 within its deadline;
// a new process then carries on from exactly where the old one stopped.

import type { RowDataPacket } from 'mysql2/promise';
import { describe, inject, it } from 'vitest';
import { cleanupRegistry } from '../../testkit/cleanup.ts';
import { connectToDatabase } from '../../testkit/mysql.ts';
import { eventually } from '../../testkit/polling.ts';
import { describeProgress, groupProgress } from './support/group-offsets.ts';
import { storeCounts } from './support/ledger.ts';
import { participationKey } from './support/participation-feed.ts';
import { checkInTraffic, concludeScenario, feedInto, readAllPublished, startScenarioService } from './support/scenario.ts';

const cleanup = cleanupRegistry();

const SHUTDOWN_DEADLINE_MS = 15_000;

describe('graceful shutdown', () => {
  it('answers what is in flight, commits the batch in hand, flushes the outbox and exits 0 on SIGTERM', async () => {
    const { config, service } = await startScenarioService('graceful-shutdown', cleanup, {
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_DEADLINE_MS),
    });
    const { topics } = config;
    const bootstrap = inject('kafkaBootstrap');
    const inputTopics = [topics.datingParticipationCompleted, topics.studyParticipationCompleted];
    const sql = await connectToDatabase(config.databaseUrl);
    cleanup(() => sql.end());
    const reader = await readAllPublished(config, cleanup);
    const feed = feedInto(config, cleanup, bootstrap);

    const traffic = checkInTraffic('gs', () => service.baseUrl, { concurrency: 8, maxUsers: 20_000 });
    // No redeliveries here: each stored participation then maps to exactly one input offset.
    const feedDone = feed.send({ count: 10_000, perSecond: 1_000, chunk: 50 });
    await eventually(async () => (await storeCounts(sql)).rows >= 2_000 && traffic.stats.created >= 300, 60_000);

    const exit = await service.terminate();
    const problems: string[] = [];
    if (exit.code !== 0) problems.push(`exit code ${exit.code} (signal ${exit.signal}); log:\n${service.logTail(20)}`);
    if (exit.ms > SHUTDOWN_DEADLINE_MS) problems.push(`took ${Math.round(exit.ms)} ms to exit`);

    // The relay flushed: nothing is left in the outbox, and every stored record's event is on Kafka.
    const atExit = await storeCounts(sql);
    if (atExit.outbox !== 0) problems.push(`${atExit.outbox} event(s) left in the outbox at exit`);
    const published = await eventually(
      () => new Set(reader.messages.map((m) => m.headers['event-id'])).size >= atExit.rows,
      30_000,
    );
    if (!published) problems.push('not every event of a record stored before the exit was published before it');

    // Offsets committed exactly up to what is stored: below the committed offset everything is stored (else it
    // would be lost), at or above it nothing is (else the batch in hand was stored but not committed).
    const progress = await groupProgress(bootstrap, config.kafkaGroupId, inputTopics, config.kafkaTopicPartitions);
    const committed = new Map(progress.map((p) => [`${p.topic}:${p.partition}`, p.committed]));
    const stored = new Set<string>();
    for (const kind of ['dating', 'study'] as const) {
      const [rows] = await sql.query<RowDataPacket[]>(`SELECT meeting_id, user_id FROM ${kind}_participations`);
      for (const r of rows) stored.add(participationKey({ kind, meetingId: r.meeting_id, userId: r.user_id }));
    }
    let lostBelowCommit = 0;
    let storedAboveCommit = 0;
    for (const p of feed.placements) {
      const limit = committed.get(`${p.topic}:${p.partition}`) ?? -1n;
      if (p.offset < limit && !stored.has(p.key)) lostBelowCommit++;
      if (p.offset >= limit && stored.has(p.key)) storedAboveCommit++;
    }
    if (lostBelowCommit > 0) problems.push(`${lostBelowCommit} message(s) below the committed offset are not stored`);
    if (storedAboveCommit > 0) problems.push(`${storedAboveCommit} stored message(s) at or above the committed offset`);
    const shutdownNotes = [
      `exit ${exit.code} after ${(exit.ms / 1000).toFixed(1)} s`,
      `${atExit.rows} rows at exit, ${atExit.outbox} left in outbox`,
      `offsets ${describeProgress(progress)}`,
    ];

    await service.start();
    await feedDone;
    await traffic.stop();
    // A request in flight at SIGTERM that was stored must have had its answer: a 409 on the retry would show
    // that its 201 was lost.
    if (traffic.stats.lostResponses > 0) problems.push(`${traffic.stats.lostResponses} stored check-in(s) lost their answer`);

    await concludeScenario({
      scenario: '5 graceful shutdown',
      sql,
      reader,
      feed,
      traffic,
      faults: '1 SIGTERM under load, then a restart',
      notes: shutdownNotes,
      problems,
      diagnose: async () =>
        describeProgress(await groupProgress(bootstrap, config.kafkaGroupId, inputTopics, config.kafkaTopicPartitions)),
    });
  });
});
