// "No event is ever lost": an attendance accepted while the broker is down, or by a process that dies right
// after the commit, still reaches Kafka once the broker and the service are back.

import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { freePort } from '../support/free-port.ts';
import { readJson } from '../support/http.ts';
import { type OwnBroker, startOwnBroker } from '../support/own-broker.ts';
import {
  dropDatabase,
  isolatedServiceEnv,
  type ServiceUnderTest,
  startTestService,
  testConfig,
  uniqueSuffix,
} from '../support/service-under-test.ts';
import { TopicReader } from '../support/topic-reader.ts';

let own: OwnBroker;
// Disposed after their test, not within its time: disposing first reads the broker's events with the query service's parser.
const freshBrokers: OwnBroker[] = [];
const databases: string[] = [];

beforeAll(async () => {
  own = await startOwnBroker();
});

afterEach(async () => {
  for (const broker of freshBrokers.splice(0)) await broker.dispose();
});

afterAll(async () => {
  await own?.dispose();
  for (const url of databases) await dropDatabase(url);
});

async function postAttendance(baseUrl: string, user: string) {
  return fetch(`${baseUrl}/api/attendance`, { method: 'POST', headers: { 'x-owner-id': user } });
}

async function pendingOutboxRows(sut: { sql: ServiceUnderTest['sql'] }): Promise<number> {
  const [rows] = await sut.sql.query('SELECT COUNT(*) AS n FROM outbox_events');
  return Number((rows as { n: number }[])[0]?.n);
}

describe('outbox delivery', () => {
  it('accepts attendances while the broker is down and publishes them when it is back', async () => {
    const sut = await startTestService(testConfig({ KAFKA_BROKERS: own.bootstrap }));
    databases.push(sut.config.databaseUrl);
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
    const fresh = await startOwnBroker();
    freshBrokers.push(fresh);
    await fresh.broker.stop();
    const sut = await startTestService(testConfig({ KAFKA_BROKERS: fresh.bootstrap }));
    databases.push(sut.config.databaseUrl);
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
    const env = { ...process.env, ...isolatedServiceEnv({ KAFKA_BROKERS: own.bootstrap, LOG_LEVEL: 'warn' }) };
    const config = loadConfig(env);
    databases.push(config.databaseUrl);
    const startProcess = async (): Promise<{ child: ChildProcess; baseUrl: string }> => {
      const port = await freePort();
      const child = spawn(process.execPath, ['src/main.ts'], {
        env: { ...env, PORT: String(port) },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const baseUrl = `http://127.0.0.1:${port}`;
      await expect
        .poll(async () => (await fetch(`${baseUrl}/health/live`).catch(() => undefined))?.status, {
          timeout: 30_000,
          interval: 100,
        })
        .toBe(200);
      return { child, baseUrl };
    };

    // The broker is down, so the relay cannot publish before the kill: the event exists only as a committed row.
    const first = await startProcess();
    await own.broker.stop();
    const user = `user_${uniqueSuffix()}`;
    const response = await postAttendance(first.baseUrl, user);
    expect(response.status).toBe(201);
    const record = await readJson(response);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    await own.restart();
    const second = await startProcess();
    const reader = await TopicReader.open([config.topics.attendanceRecorded], own.bootstrap);
    try {
      const [event] = await reader.waitForCount(1, 45_000);
      expect(event?.key).toBe(user);
      expect(event?.json).toEqual(record);
    } finally {
      await reader.close();
      second.child.kill('SIGTERM');
      await new Promise((resolve) => second.child.once('exit', resolve));
    }
  });
});
