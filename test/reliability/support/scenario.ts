// What every scenario does around its faults: read what is published and feed participations in (both closed
// with the file), and at the end wait for the system to settle, audit it, print the line of figures and fail
// on any broken promise.

import type { Connection } from 'mysql2/promise';
import { expect } from 'vitest';
import type { Config } from '../../../src/config.ts';
import type { Cleanup } from '../../../testkit/cleanup.ts';
import { dropDatabase } from '../../../testkit/mysql.ts';
import { type ServiceEnvironment, uniqueSuffix } from '../../../testkit/service-environment.ts';
import type { ServiceProcess } from '../../../testkit/service-process.ts';
import { serviceEnvironment, serviceProcess } from '../../../testkit/test-environment.ts';
import { TopicReader } from '../../../testkit/topic-reader.ts';
import { type AttendanceStats, AttendanceTraffic, type AttendanceTrafficOptions } from './attendance-traffic.ts';
import { type Figures, reportFigures } from './figures.ts';
import { audit, type Expected, settled } from './ledger.ts';
import { ParticipationFeed } from './participation-feed.ts';

/** The scenario's service in a process of its own, started and answering; it and its database go with the file. */
export async function startScenarioService(
  name: string,
  cleanup: Cleanup,
  overrides: Record<string, string> = {},
): Promise<ServiceEnvironment & { service: ServiceProcess }> {
  const environment = serviceEnvironment(overrides);
  cleanup(() => dropDatabase(environment.config.databaseUrl));
  const service = await serviceProcess(name, environment);
  cleanup(() => service.dispose());
  await service.start();
  return { ...environment, service };
}

/** A reader of all three published topics, from the beginning, closed with the file. */
export async function readAllPublished(config: Config, cleanup: Cleanup, bootstrap?: string): Promise<TopicReader> {
  const { topics } = config;
  const reader = await TopicReader.open(
    [topics.attendanceRecorded, topics.datingParticipationRecorded, topics.studyParticipationRecorded],
    bootstrap,
  );
  cleanup(() => reader.close());
  return reader;
}

/** A participation feed into the service's two input topics, closed with the file. */
export function feedInto(config: Config, cleanup: Cleanup, bootstrap: string): ParticipationFeed {
  const { topics } = config;
  const feed = new ParticipationFeed({
    bootstrap,
    topics: { dating: topics.datingParticipationCompleted, study: topics.studyParticipationCompleted },
    partitions: config.kafkaTopicPartitions,
  });
  cleanup(() => feed.close());
  return feed;
}

/** One check-in time for the whole scenario: a retry after midnight must not become a second day's check-in. */
const CHECK_IN_TIME = '2025-01-03T10:00:00';

/** Check-ins to `target` at the given load, started at once; users unique to this run, their names starting with `name`. */
export function checkInTraffic(
  name: string,
  target: AttendanceTrafficOptions['target'],
  load: Pick<AttendanceTrafficOptions, 'concurrency' | 'pauseMs' | 'maxUsers'>,
): AttendanceTraffic {
  return new AttendanceTraffic({ target, prefix: `${name}_${uniqueSuffix()}_`, attendanceTime: CHECK_IN_TIME, ...load }).start();
}

export function describeTraffic(stats: AttendanceStats): string {
  return (
    `http: ${stats.created}×201 ${stats.lostResponses} lost answers ${stats.unavailable}×503 ` +
    `${stats.connectionErrors} conn errors ${stats.hangs} hangs, slowest ${Math.round(stats.slowestMs)} ms`
  );
}

export function trafficProblems(stats: AttendanceStats): string[] {
  const problems = [...stats.unexpected];
  if (stats.hangs > 0) problems.push(`${stats.hangs} request(s) got no answer in time`);
  if (stats.gaveUp > 0) problems.push(`${stats.gaveUp} user(s) never got their attendance settled`);
  return problems;
}

/**
 * Waits until everything asked for is stored and published (or `timeoutMs` passes), then audits, prints the
 * figures and asserts that nothing is missing or doubled. Answers the figures for further checks.
 */
export async function concludeScenario(options: {
  scenario: string;
  sql: Connection;
  reader: TopicReader;
  feed?: ParticipationFeed;
  traffic?: AttendanceTraffic;
  /** Instead of a feed or traffic: the participations and attendances that must be stored, and nothing else. */
  expected?: Partial<Expected>;
  faults: string;
  notes?: string[];
  problems?: string[];
  timeoutMs?: number;
  /** Extra state (consumer group offsets, say) shown when the system did not settle. */
  diagnose?: () => Promise<string>;
}): Promise<Figures> {
  const { sql, reader, feed, traffic } = options;
  const expected: Expected = {
    participations: options.expected?.participations ?? feed?.unique ?? new Map(),
    attendances: options.expected?.attendances ?? traffic?.settled ?? new Map(),
  };
  const startedAt = performance.now();
  const calm = await settled(
    sql,
    expected.participations.size + expected.attendances.size,
    reader.messages,
    options.timeoutMs ?? 180_000,
  );
  const result = await audit(sql, expected, reader.messages);
  const notes = [...(options.notes ?? [])];
  if (!calm && options.diagnose !== undefined) notes.push(`not settled: ${await options.diagnose().catch(String)}`);
  if (traffic !== undefined) notes.push(describeTraffic(traffic.stats));
  notes.push(`settled in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
  const figures: Figures = {
    scenario: options.scenario,
    inputs: result.inputs,
    duplicatesSent: feed?.duplicatesSent ?? 0,
    rows: result.rows,
    duplicateRows: result.duplicateRows,
    eventsOut: result.eventsOut,
    missingRows: result.missingRows,
    missingEvents: result.missingEvents,
    resent: result.resent,
    faults: options.faults,
    notes: notes.join('; '),
  };
  reportFigures(figures);
  const problems = [
    ...(calm ? [] : ['the system did not settle in time (service logs: .local/reliability-logs/)']),
    ...result.problems,
    ...(traffic === undefined ? [] : trafficProblems(traffic.stats)),
    ...(options.problems ?? []),
  ];
  expect(problems).toEqual([]);
  return figures;
}
