// What operators and integrators rely on: health, readiness, metrics and trace context, with the real database
// and broker behind them. The API documents are checked in test/http/api-documents.test.ts.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildAsyncApiDocument } from '../../src/contracts/asyncapi.ts';
import { expectProblem, readJson } from '../../testkit/http-assertions.ts';
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
    // At least the repeat in the batch; a re-delivery after a rebalance (at least once) counts as one more.
    await expect.poll(scrape, { timeout: 45_000 }).toMatch(/participations_deduplicated_total [1-9]\d*\b/);
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

describe('event catalogue', () => {
  const renderer = dirname(createRequire(import.meta.url).resolve('@asyncapi/react-component/package.json'));

  it('serves the AsyncAPI document with the topic names this instance is configured with, as JSON and YAML', async () => {
    const expected = buildAsyncApiDocument(sut.config.topics);
    const json = await fetch(`${sut.baseUrl}/docs/asyncapi.json`);
    expect(json.headers.get('content-type')).toContain('application/json');
    expect(await readJson(json)).toEqual(expected);
    const yaml = await fetch(`${sut.baseUrl}/docs/asyncapi.yaml`);
    expect(yaml.headers.get('content-type')).toContain('application/yaml');
    expect(parseYaml(await yaml.text())).toEqual(expected);
  });

  it('serves the page at /docs/events with the renderer files from node_modules and nothing from elsewhere', async () => {
    const page = await fetch(`${sut.baseUrl}/docs/events`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    const references = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string);
    expect(references.filter((reference) => /^(https?:)?\/\//.test(reference))).toEqual([]);
    expect(html).toContain("schema: { url: 'asyncapi.json' }");

    // Each file the page names, resolved as a browser resolves it, is the package's own file, byte for byte.
    const files: Record<string, { path: string; type: string }> = {
      'events/asyncapi-standalone.js': { path: join(renderer, 'browser', 'standalone', 'index.js'), type: 'javascript' },
      'events/asyncapi.css': { path: join(renderer, 'styles', 'default.min.css'), type: 'text/css' },
    };
    expect(references.filter((reference) => !reference.startsWith('data:')).sort()).toEqual(Object.keys(files).sort());
    for (const [reference, file] of Object.entries(files)) {
      const response = await fetch(new URL(reference, page.url));
      expect(response.status, reference).toBe(200);
      expect(response.headers.get('content-type')).toContain(file.type);
      expect(Buffer.from(await response.arrayBuffer()).equals(await readFile(file.path)), reference).toBe(true);
    }
  });

  it('sends /docs/events/ to the page, and answers other methods and unknown files with problems', async () => {
    const slash = await fetch(`${sut.baseUrl}/docs/events/`, { redirect: 'manual' });
    expect(slash.status).toBe(302);
    expect(new URL(slash.headers.get('location') ?? '', slash.url).pathname).toBe('/docs/events');

    const post = await fetch(`${sut.baseUrl}/docs/events`, { method: 'POST' });
    await expectProblem(post, 405, 'method-not-allowed');
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    await expectProblem(await fetch(`${sut.baseUrl}/docs/events/index.js`), 404, 'not-found');
  });

  it('counts its requests like every other route, and keeps the page out of the OpenAPI document', async () => {
    await fetch(`${sut.baseUrl}/docs/events`);
    const metrics = await (await fetch(`${sut.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/http_request_duration_seconds_count\{route="\/docs\/events",method="GET",status="200"\} [1-9]/);
    const paths = Object.keys((await readJson(await fetch(`${sut.baseUrl}/docs/json`))).paths);
    expect(paths).toContain('/docs/asyncapi.json');
    expect(paths.filter((path) => path.startsWith('/docs/events'))).toEqual([]);
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
