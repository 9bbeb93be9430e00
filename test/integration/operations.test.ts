// What operators and integrators rely on: health, readiness, metrics and trace context, with the real database
// and broker behind them. The API documents are checked in test/http/api-documents.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../../testkit/http-assertions.ts';
import { dropDatabase } from '../../testkit/mysql.ts';
import { datingCompleted } from '../../testkit/participation-messages.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';
import { type ServiceUnderTest, startTestService } from '../../testkit/service-under-test.ts';
import { SpringProducer } from '../../testkit/spring-producer.ts';
import { TopicReader } from '../../testkit/topic-reader.ts';

let sut: ServiceUnderTest;

beforeAll(async () => {
  sut = await startTestService();
});

afterAll(async () => {
  await sut?.stop();
  if (sut) await dropDatabase(sut.config.databaseUrl);
});

describe('health', () => {
  it('says live, and ready with each check named', async () => {
    expect(await readJson(await fetch(`${sut.baseUrl}/health/live`))).toEqual({ status: 'up' });
    const ready = await fetch(`${sut.baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    const body = await readJson(ready);
    expect(body.status).toBe('ready');
    expect(Object.keys(body.checks).sort()).toEqual(['kafka', 'mysql', 'outbox']);
    expect(body.checks.outbox.detail).toEqual({ pending: expect.any(Number), oldestAgeMs: expect.any(Number) });
  });
});

describe('metrics', () => {
  it('exposes request durations by route, ingestion counters, the outbox backlog and process metrics', async () => {
    await fetch(`${sut.baseUrl}/api/attendance`, { method: 'POST', headers: { 'x-owner-id': `user_${uniqueSuffix()}` } });
    const producer = new SpringProducer();
    const sent = datingCompleted();
    await producer.send([
      { topic: sut.config.topics.datingParticipationCompleted, value: JSON.stringify(sent) },
      { topic: sut.config.topics.datingParticipationCompleted, value: JSON.stringify(sent) },
      { topic: sut.config.topics.datingParticipationCompleted, value: 'not json' },
    ]);
    await producer.close();

    const scrape = async () => (await fetch(`${sut.baseUrl}/metrics`)).text();
    await expect.poll(scrape, { timeout: 45_000 }).toContain('participation_messages_dead_lettered_total');
    await expect.poll(scrape, { timeout: 45_000 }).toMatch(/participations_deduplicated_total 1\b/);
    const text = await scrape();
    expect(text).toMatch(/http_request_duration_seconds_count\{route="\/api\/attendance",method="POST",status="201"\} 1/);
    // Every delivery counts: a re-delivery after a rebalance (at least once) may add to the three sent.
    const consumed = /participation_messages_consumed_total\{topic="[^"]+"\} (\d+)/.exec(text);
    expect(Number(consumed?.[1])).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(/participations_recorded_total\{kind="dating"\} 1/);
    expect(text).toMatch(/outbox_backlog_events \d+/);
    expect(text).toMatch(/outbox_oldest_event_age_seconds \d/);
    expect(text).toMatch(/outbox_commit_to_ack_seconds_bucket/);
    expect(text).toMatch(/process_resident_memory_bytes \d+/);
    await expect.poll(scrape, { timeout: 45_000 }).toMatch(/kafka_consumer_lag_messages\{topic="[^"]+",partition="\d+"\} \d+/);
  });
});

describe('trace context', () => {
  it('carries a request traceparent into the headers of the event it causes', async () => {
    const reader = await TopicReader.open([sut.config.topics.attendanceRecorded]);
    try {
      const user = `user_${uniqueSuffix()}`;
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      expect(
        (await fetch(`${sut.baseUrl}/api/attendance`, { method: 'POST', headers: { 'x-owner-id': user, traceparent } })).status,
      ).toBe(201);
      await reader.waitFor((m) => m.some((e) => e.key === user));
      expect(reader.messages.find((e) => e.key === user)?.headers.traceparent).toBe(traceparent);
    } finally {
      await reader.close();
    }
  });
});
