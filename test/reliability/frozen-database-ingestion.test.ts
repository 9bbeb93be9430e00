// Ingestion while the database hangs instead of refusing: SIGSTOP on the private server keeps every connection
// open and answers nothing, like a hung host or a network black hole. The batch in hand must not wait for TCP
// to give up: it meets its deadline (DATABASE_BATCH_TIMEOUT_MS), says so in the log, backs off and commits no
// offset past what it could not store; once the server runs again everything is stored once and published,
// without a restart, through a pool that kept no hung connection.

import { readFileSync } from 'node:fs';
import { describe, inject, it } from 'vitest';
import { cleanupRegistry } from '../../testkit/cleanup.ts';
import { connectToDatabase } from '../../testkit/mysql.ts';
import { startOwnDatabaseServer } from '../../testkit/own-database-server.ts';
import { eventually } from '../../testkit/polling.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';
import { serviceEnvironment, serviceProcess } from '../../testkit/test-environment.ts';
import { describeProgress, groupProgress, watchForCommitsPast } from './support/group-offsets.ts';
import { storeCounts } from './support/ledger.ts';
import { concludeScenario, feedInto, readAllPublished } from './support/scenario.ts';

const cleanup = cleanupRegistry();

/** The default deadline: the scenario shows the service as it is deployed. */
const BATCH_DEADLINE_MS = 10_000;
/** Long enough for the deadline to pass twice, with backoff in between. */
const FREEZE_MS = 25_000;

interface LogLine {
  time: string;
  msg: string;
  component?: string;
  err?: { message?: string };
}

/** The consumer's "backing off" lines logged since `since`, from the service's own log. */
function backoffLines(logFile: string, since: number): LogLine[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine)
    .filter(
      (line) =>
        line.component === 'participation-consumer' &&
        line.msg.endsWith('dependency unavailable; retrying') &&
        Date.parse(line.time) >= since,
    );
}

describe('frozen database during ingestion', () => {
  it('meets its deadline, backs off without committing, and stores everything once after the thaw', async () => {
    const db = await startOwnDatabaseServer();
    cleanup(() => db.dispose());
    const environment = serviceEnvironment({
      DATABASE_URL: `${db.serverUrl}/rc_rel_frozen_${uniqueSuffix()}`,
      DATABASE_BATCH_TIMEOUT_MS: String(BATCH_DEADLINE_MS),
    });
    const { config } = environment;
    const { topics } = config;
    const bootstrap = inject('kafkaBootstrap');
    const inputTopics = [topics.datingParticipationCompleted, topics.studyParticipationCompleted];
    const service = await serviceProcess('frozen-database-ingestion', environment);
    cleanup(() => service.dispose());
    await service.start();
    const reader = await readAllPublished(config, cleanup);
    const feed = feedInto(config, cleanup, bootstrap);
    const problems: string[] = [];

    const sql = await connectToDatabase(config.databaseUrl);
    await feed.send({ count: 2_000, duplicateEvery: 10, perSecond: 1_000 });
    await eventually(async () => (await storeCounts(sql)).rows >= 2_000, 60_000);
    await sql.end();

    db.freeze();
    const frozenAt = Date.now();
    const thawAt = frozenAt + FREEZE_MS;
    // Sent while the database hangs: none of these can be stored, so no offset may move past them.
    const sentBefore = feed.placements.length;
    await feed.send({ count: 2_000, duplicateEvery: 10, perSecond: 1_000 });
    const watched = await watchForCommitsPast(
      feed.placements.slice(sentBefore),
      { bootstrap, groupId: config.kafkaGroupId, topics: inputTopics, partitions: config.kafkaTopicPartitions },
      thawAt,
    );
    for (const problem of watched.commitsPast) problems.push(problem);
    const offsetChecks = watched.checks;
    const backoffs = backoffLines(service.logFile, frozenAt);
    const deadlines = backoffs.filter((line) => line.err?.message?.includes('took longer than')).length;
    if (!service.running) problems.push(`the service exited during the freeze:\n${service.logTail(20)}`);
    // The promise: a hung database never stalls ingestion silently.
    if (backoffs.length === 0) problems.push(`no ingestion backoff logged in ${FREEZE_MS / 1000} s of a frozen database`);
    db.thaw();
    const firstBackoffS = backoffs[0] === undefined ? 'none' : ((Date.parse(backoffs[0].time) - frozenAt) / 1000).toFixed(1);

    const audit = await connectToDatabase(config.databaseUrl);
    cleanup(() => audit.end());
    await concludeScenario({
      scenario: 'frozen database, ingestion',
      sql: audit,
      reader,
      feed,
      faults: `database frozen (SIGSTOP) ${FREEZE_MS / 1000} s under participation load, batch deadline ${BATCH_DEADLINE_MS / 1000} s`,
      notes: [
        `first backoff logged ${firstBackoffS} s into the freeze, ${backoffs.length} backoff line(s), ` +
          `${deadlines} naming the deadline, ${offsetChecks} offset checks`,
      ],
      problems,
      timeoutMs: 120_000,
      diagnose: async () =>
        describeProgress(await groupProgress(bootstrap, config.kafkaGroupId, inputTopics, config.kafkaTopicPartitions)),
    });
  });
});
