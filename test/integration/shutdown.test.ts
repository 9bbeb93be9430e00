// SIGTERM/SIGINT: the process finishes what it holds and exits 0; a second signal exits at once.

import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { freePort } from '../support/free-port.ts';
import { type OwnBroker, startOwnBroker } from '../support/own-broker.ts';
import { dropDatabase, isolatedServiceEnv, uniqueSuffix } from '../support/service-under-test.ts';
import { TopicReader } from '../support/topic-reader.ts';

let own: OwnBroker;
const databases: string[] = [];

beforeAll(async () => {
  own = await startOwnBroker();
});

afterAll(async () => {
  await own?.dispose();
  for (const url of databases) await dropDatabase(url);
});

async function startProcess(extraEnv: Record<string, string> = {}) {
  const env = isolatedServiceEnv({ KAFKA_BROKERS: own.bootstrap, LOG_LEVEL: 'info', ...extraEnv });
  const config = loadConfig(env);
  databases.push(config.databaseUrl);
  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['src/main.ts'], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, at: performance.now() })),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  await expect
    .poll(async () => (await fetch(`${baseUrl}/health/ready`).catch(() => undefined))?.status, { timeout: 30_000, interval: 100 })
    .toBe(200);
  return { child, baseUrl, exited, config, log: () => output };
}

describe('graceful shutdown', () => {
  it('publishes what it accepted and exits 0 on SIGTERM', async () => {
    const service = await startProcess();
    const reader = await TopicReader.open([service.config.topics.attendanceRecorded], own.bootstrap);
    try {
      const users = Array.from({ length: 20 }, () => `user_${uniqueSuffix()}`);
      const statuses = await Promise.all(
        users.map(
          async (user) =>
            (await fetch(`${service.baseUrl}/api/attendance`, { method: 'POST', headers: { 'x-owner-id': user } })).status,
        ),
      );
      expect(statuses.every((s) => s === 201)).toBe(true);
      service.child.kill('SIGTERM');
      const { code } = await service.exited;
      expect(code, service.log()).toBe(0);
      expect(service.log()).toContain('"msg":"stopped"');
      await reader.waitFor((m) => users.every((u) => m.some((e) => e.key === u)));
    } finally {
      await reader.close();
    }
  });

  it('exits at once on a second signal while the first shutdown is still waiting', async () => {
    const service = await startProcess({ SHUTDOWN_TIMEOUT_MS: '60000' });
    // The broker goes away with an event still to publish: the first shutdown keeps trying to flush it.
    await own.broker.stop();
    try {
      expect(
        (
          await fetch(`${service.baseUrl}/api/attendance`, {
            method: 'POST',
            headers: { 'x-owner-id': `user_${uniqueSuffix()}` },
          })
        ).status,
      ).toBe(201);
      service.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(service.child.exitCode).toBeNull();
      const secondAt = performance.now();
      service.child.kill('SIGINT');
      const { code, at } = await service.exited;
      expect(code).toBe(1);
      expect(at - secondAt).toBeLessThan(5000);
      expect(service.log()).toContain('second signal');
    } finally {
      await own.restart();
    }
  });
});
