// "No event is ever lost": an attendance accepted while the broker is down, or by a process that dies right
// after the commit, still reaches Kafka once the broker and the service are back.

import { beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanupRegistry } from '../../testkit/cleanup.ts';
import { readJson } from '../../testkit/http-assertions.ts';
import { dropDatabase } from '../../testkit/mysql.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';
import { type ServiceUnderTest, startTestService, testConfig } from '../../testkit/service-under-test.ts';
import { type OwnBroker, startTestBroker } from '../../testkit/test-broker.ts';
import { serviceEnvironment, serviceProcess } from '../../testkit/test-environment.ts';
import { TopicReader } from '../../testkit/topic-reader.ts';

const cleanup = cleanupRegistry();
let own: OwnBroker;

beforeAll(async () => {
  own = await startTestBroker();
  cleanup(() => own.dispose());
});

async function postAttendance(baseUrl: string, user: string) {
  return fetch(`${baseUrl}/api/attendance`, { method: 'POST', headers: { 'x-owner-id': user } });
}

async function pendingOutboxRows(sut: { sql: ServiceUnderTest['sql'] }): Promise<number> {
  const [rows] = await sut.sql.query('SELECT COUNT(*) AS n FROM outbox_events');
  return Number((rows as { n: number }[])[0]?.n);
}

/** A counter of the instance's /metrics, summed over its labels. */
async function counter(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'gm'))) total += Number(match[1]);
  return total;
}

describe('outbox delivery', () => {
  it('has every instance publish its own commits at once, none of them through the sweep', async () => {
    // The sweep would wait ten minutes: whatever arrives was sent by the instance that committed it.
    const config = testConfig({ OUTBOX_SWEEP_AFTER_MS: '600000' });
    const first = await startTestService(config);
    cleanup(() => first.dispose());
    const second = await startTestService(config);
    cleanup(() => second.stop());
    const reader = await TopicReader.open([config.topics.attendanceRecorded]);
    cleanup(() => reader.close());

    const users = [`first_${uniqueSuffix()}`, `second_${uniqueSuffix()}`];
    expect((await postAttendance(first.baseUrl, users[0] as string)).status).toBe(201);
    expect((await postAttendance(second.baseUrl, users[1] as string)).status).toBe(201);

    const events = await reader.waitForCount(2, 10_000);
    expect(events.map((e) => e.key).sort()).toEqual([...users].sort());
    for (const instance of [first, second]) {
      expect(await counter(instance.baseUrl, 'outbox_events_published_total')).toBe(1);
      expect(await counter(instance.baseUrl, 'outbox_events_swept_total')).toBe(0);
    }
    await vi.waitFor(async () => expect(await pendingOutboxRows(first)).toBe(0), { timeout: 10_000, interval: 20 });
  });

  it('accepts attendances while the broker is down and publishes them when it is back', async () => {
    const sut = await startTestService(testConfig({ KAFKA_BROKERS: own.bootstrap }));
    cleanup(() => dropDatabase(sut.config.databaseUrl));
    try {
      await own.broker.stop();
      const user = `user_${uniqueSuffix()}`;
      const started = performance.now();
      const response = await postAttendance(sut.baseUrl, user);
      expect(response.status).toBe(201);
      expect(performance.now() - started).toBeLessThan(5000); // "never a hang", not a benchmark
      const record = await readJson(response);
      expect(await pendingOutboxRows(sut)).toBe(1);

      await own.restart();
      const reader = await TopicReader.open([sut.config.topics.attendanceRecorded], own.bootstrap);
      try {
        const [event] = await reader.waitForCount(1, 45_000);
        expect(event?.key).toBe(user);
        expect(event?.json).toEqual(record);
        await expect.poll(() => pendingOutboxRows(sut), { timeout: 10_000 }).toBe(0);
      } finally {
        await reader.close();
      }
    } finally {
      await sut.stop();
    }
  });

  it('creates its topics and publishes once Kafka appears, when it was started while Kafka was away', async () => {
    // A broker that has never had a topic, and is down when the service starts.
    const fresh = await startTestBroker();
    // Disposed after the file rather than within this test's time: disposing first reads the broker's events
    // with the query service's parser.
    cleanup(() => fresh.dispose());
    await fresh.broker.stop();
    const sut = await startTestService(testConfig({ KAFKA_BROKERS: fresh.bootstrap }));
    cleanup(() => dropDatabase(sut.config.databaseUrl));
    try {
      const user = `user_${uniqueSuffix()}`;
      const response = await postAttendance(sut.baseUrl, user);
      expect(response.status).toBe(201);
      const record = await readJson(response);

      await fresh.restart();
      const reader = await TopicReader.open([sut.config.topics.attendanceRecorded], fresh.bootstrap);
      try {
        const [event] = await reader.waitForCount(1, 60_000);
        expect(event?.json).toEqual(record);
      } finally {
        await reader.close();
      }
    } finally {
      await sut.stop();
    }
  });

  it('publishes an event whose process was killed right after the commit, once a new process starts', async () => {
    const environment = serviceEnvironment({ KAFKA_BROKERS: own.bootstrap });
    const { config } = environment;
    cleanup(() => dropDatabase(config.databaseUrl));
    const service = await serviceProcess('outbox-delivery', environment);
    cleanup(() => service.dispose());

    // The broker is down, so the relay cannot publish before the kill: the event exists only as a committed row.
    await service.start();
    await own.broker.stop();
    const user = `user_${uniqueSuffix()}`;
    const response = await postAttendance(service.baseUrl, user);
    expect(response.status).toBe(201);
    const record = await readJson(response);
    await service.kill();

    await own.restart();
    await service.start();
    const reader = await TopicReader.open([config.topics.attendanceRecorded], own.bootstrap);
    try {
      const [event] = await reader.waitForCount(1, 45_000);
      expect(event?.key).toBe(user);
      expect(event?.json).toEqual(record);
    } finally {
      await reader.close();
      await service.terminate();
    }
  });
});
