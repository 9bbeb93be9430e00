// Scenario 4: the database goes away under load, first stopped (connections refused), then frozen (SIGSTOP:
// connections open, nothing answers, like a hung host). Check-ins are refused fast with 503 problem+json,
// never a hang; the consumer commits no offset past a message it could not store; and once the database is
// back everything is stored once and published, without a restart of the service.

import { describe, inject, it } from 'vitest';
import { cleanupRegistry } from '../../testkit/cleanup.ts';
import { connectToDatabase } from '../../testkit/mysql.ts';
import { startOwnDatabaseServer } from '../../testkit/own-database-server.ts';
import { eventually } from '../../testkit/polling.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';
import { describeProgress, groupProgress, watchForCommitsPast } from './support/group-offsets.ts';
import { storeCounts } from './support/ledger.ts';
import { checkInTraffic, concludeScenario, feedInto, readAllPublished, startScenarioService } from './support/scenario.ts';

const cleanup = cleanupRegistry();

/** "Fast": the service's own database deadline (3 s by default) plus room for a loaded 2-core machine. */
const NO_HANG_MS = 6_000;
const OUTAGE_MS = 10_000;

describe('database outage', () => {
  it('answers 503 fast, commits nothing it has not stored, and recovers by itself', async () => {
    const db = await startOwnDatabaseServer();
    cleanup(() => db.dispose());
    const { config, service } = await startScenarioService('database-outage', cleanup, {
      DATABASE_URL: `${db.serverUrl}/rc_rel_outage_${uniqueSuffix()}`,
    });
    const { topics } = config;
    const bootstrap = inject('kafkaBootstrap');
    const inputTopics = [topics.datingParticipationCompleted, topics.studyParticipationCompleted];
    const reader = await readAllPublished(config, cleanup);
    const feed = feedInto(config, cleanup, bootstrap);
    const traffic = checkInTraffic('do', () => service.baseUrl, { concurrency: 4, pauseMs: 20, maxUsers: 20_000 });

    const problems: string[] = [];
    const notes: string[] = [];
    /** Load, then the database goes away for OUTAGE_MS while check-ins and participations keep coming. */
    const outage = async (kind: 'stopped' | 'frozen') => {
      const sql = await connectToDatabase(config.databaseUrl);
      const rowsBefore = (await storeCounts(sql)).rows;
      await feed.send({ count: 2_000, duplicateEvery: 10, perSecond: 1_000 });
      await eventually(async () => (await storeCounts(sql)).rows >= rowsBefore + 2_000 + 200, 60_000);
      await sql.end();

      if (kind === 'stopped') await db.stop();
      else db.freeze();
      const during = { byStatus: new Map<string, number>(), slowestMs: 0 };
      traffic.onAnswer = ({ status, ms }) => {
        during.slowestMs = Math.max(during.slowestMs, ms);
        during.byStatus.set(String(status), (during.byStatus.get(String(status)) ?? 0) + 1);
      };
      const outageEnds = Date.now() + OUTAGE_MS;
      // Sent while the database is away: none of these can be stored, so no offset may move past them.
      const sentBefore = feed.placements.length;
      await feed.send({ count: 2_000, duplicateEvery: 10, perSecond: 1_000 });
      const watched = await watchForCommitsPast(
        feed.placements.slice(sentBefore),
        { bootstrap, groupId: config.kafkaGroupId, topics: inputTopics, partitions: config.kafkaTopicPartitions },
        outageEnds,
      );
      for (const problem of watched.commitsPast) problems.push(`${kind}: ${problem}`);
      const offsetChecks = watched.checks;
      if (!service.running) problems.push(`${kind}: the service exited during the outage:\n${service.logTail(20)}`);
      if ((during.byStatus.get('503') ?? 0) === 0) problems.push(`${kind}: no 503 while the database was away`);
      if (during.slowestMs > NO_HANG_MS) problems.push(`${kind}: an answer took ${Math.round(during.slowestMs)} ms`);
      if (kind === 'stopped') await db.start();
      else db.thaw();
      traffic.onAnswer = undefined;
      notes.push(
        `${kind} ${OUTAGE_MS / 1000} s: ${[...during.byStatus].map(([s, n]) => `${n}×${s}`).join(' ')}, ` +
          `slowest ${Math.round(during.slowestMs)} ms, ${offsetChecks} offset checks`,
      );
    };

    await outage('stopped');
    await outage('frozen');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await traffic.stop();

    const sql = await connectToDatabase(config.databaseUrl);
    cleanup(() => sql.end());
    await concludeScenario({
      scenario: '4 database outage',
      sql,
      reader,
      feed,
      traffic,
      faults: `database stopped ${OUTAGE_MS / 1000} s, then frozen ${OUTAGE_MS / 1000} s, under load`,
      notes,
      problems,
      timeoutMs: 120_000,
      diagnose: async () =>
        describeProgress(await groupProgress(bootstrap, config.kafkaGroupId, inputTopics, config.kafkaTopicPartitions)),
    });
  });
});
