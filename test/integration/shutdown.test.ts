// SIGTERM/SIGINT: the process finishes what it holds and exits 0; a second signal exits at once.

import { beforeAll, describe, expect, it } from 'vitest';
import { cleanupRegistry } from '../../testkit/cleanup.ts';
import { dropDatabase } from '../../testkit/mysql.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';
import { type OwnBroker, startTestBroker } from '../../testkit/test-broker.ts';
import { serviceEnvironment, serviceProcess } from '../../testkit/test-environment.ts';
import { TopicReader } from '../../testkit/topic-reader.ts';

const cleanup = cleanupRegistry();
let own: OwnBroker;

beforeAll(async () => {
  own = await startTestBroker();
  cleanup(() => own.dispose());
});

async function startProcess(extraEnv: Record<string, string> = {}) {
  const environment = serviceEnvironment({ KAFKA_BROKERS: own.bootstrap, LOG_LEVEL: 'info', ...extraEnv });
  cleanup(() => dropDatabase(environment.config.databaseUrl));
  const service = await serviceProcess('shutdown', environment);
  cleanup(() => service.dispose());
  service.spawn();
  await service.waitUntil('ready');
  return { service, config: environment.config, exited: service.exited() };
}

describe('graceful shutdown', () => {
  it('publishes what it accepted and exits 0 on SIGTERM', async () => {
    const { service, config, exited } = await startProcess();
    const reader = await TopicReader.open([config.topics.attendanceRecorded], own.bootstrap);
    try {
      const users = Array.from({ length: 20 }, () => `user_${uniqueSuffix()}`);
      const statuses = await Promise.all(
        users.map(
          async (user) =>
            (await fetch(`${service.baseUrl}/api/attendance`, { method: 'POST', headers: { 'x-owner-id': user } })).status,
        ),
      );
      expect(statuses.every((s) => s === 201)).toBe(true);
      service.signal('SIGTERM');
      const { code } = await exited;
      expect(code, service.log()).toBe(0);
      expect(service.log()).toContain('"msg":"stopped"');
      await reader.waitFor((m) => users.every((u) => m.some((e) => e.key === u)));
    } finally {
      await reader.close();
    }
  });

  it('exits at once on a second signal while the first shutdown is still waiting', async () => {
    const { service, exited } = await startProcess({ SHUTDOWN_TIMEOUT_MS: '60000' });
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
      service.signal('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(service.exitCode).toBeNull();
      const secondAt = performance.now();
      service.signal('SIGINT');
      const { code, at } = await exited;
      expect(code).toBe(1);
      expect(at - secondAt).toBeLessThan(5000);
      expect(service.log()).toContain('second signal');
    } finally {
      await own.restart();
    }
  });
});
