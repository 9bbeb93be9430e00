// Scenario 7: an instance commits check-ins but never gets to send their events (its broker connections hang:
// nothing it sends is answered), and is then killed with SIGKILL. Those events exist only as outbox rows; the
// surviving instance's sweep publishes them within seconds, each with its record's event-id.

import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { cleanupRegistry } from '../../testkit/cleanup.ts';
import { connectToDatabase } from '../../testkit/mysql.ts';
import { eventually } from '../../testkit/polling.ts';
import type { ServiceProcess } from '../../testkit/service-process.ts';
import { serviceProcess } from '../../testkit/test-environment.ts';
import { checkInTraffic, concludeScenario, readAllPublished, startScenarioService } from './support/scenario.ts';

const cleanup = cleanupRegistry();

const CHECK_INS = 300;

/** A "broker" that accepts connections and never answers: every request of a client stays in flight. */
async function blackHoleBroker(): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('black hole has no port');
  return `127.0.0.1:${address.port}`;
}

async function metric(instance: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`${instance.baseUrl}/metrics`)).text();
  const match = text.match(new RegExp(`^${name} (\\d+)`, 'm'));
  return Number(match?.[1] ?? 0);
}

describe('orphaned commits', () => {
  it("publishes what a killed instance committed but never sent, through a survivor's sweep, with the same event-ids", async () => {
    // The survivor starts first: it migrates, creates the topics and takes the sweep lease.
    const environment = await startScenarioService('orphans-survivor', cleanup);
    const { config, service: survivor } = environment;
    const sql = await connectToDatabase(config.databaseUrl);
    cleanup(() => sql.end());
    const reader = await readAllPublished(config, cleanup);

    // The victim serves HTTP only (its consumer would wait on the same black hole) on the same database.
    const victim = await serviceProcess('orphans-victim', {
      ...environment,
      env: {
        ...environment.env,
        KAFKA_BROKERS: await blackHoleBroker(),
        KAFKA_CREATE_TOPICS: 'false',
        KAFKA_CONSUMERS_ENABLED: 'false',
      },
    });
    cleanup(() => victim.dispose());
    await victim.start();

    const traffic = checkInTraffic('orph', () => victim.baseUrl, { concurrency: 4, pauseMs: 0, maxUsers: CHECK_INS });
    await eventually(() => traffic.stats.created + traffic.stats.unavailable >= CHECK_INS, 60_000, 20);
    await traffic.stop();
    const committed = traffic.stats.created;
    // Committed, and not one of them sent: the events exist only as outbox rows.
    const [pendingRows] = (await sql.query('SELECT COUNT(*) AS n FROM outbox_events')) as unknown as [{ n: number }[]];
    const pendingAtKill = Number(pendingRows[0]?.n ?? 0);
    const publishedAtKill = reader.messages.length;
    await victim.kill();
    const killedAt = performance.now();

    const arrived = await eventually(() => reader.messages.length >= committed, 30_000, 50);
    const arrivalSeconds = (performance.now() - killedAt) / 1000;
    const swept = await metric(survivor, 'outbox_events_swept_total');

    await concludeScenario({
      scenario: '7 orphaned commits',
      sql,
      reader,
      traffic,
      faults: `instance cut off from Kafka committed ${committed} check-ins, then kill -9`,
      notes: [
        `${pendingAtKill} outbox rows and ${publishedAtKill} events on Kafka at the kill`,
        `all published ${arrivalSeconds.toFixed(1)} s after the kill, ${swept} by the survivor's sweep`,
      ],
      problems: [
        ...(arrived ? [] : [`only ${reader.messages.length} of ${committed} events arrived within 30 s of the kill`]),
        ...(pendingAtKill === committed ? [] : [`${pendingAtKill} outbox rows at the kill, expected ${committed}`]),
      ],
    });
    expect(committed).toBe(CHECK_INS);
    expect(publishedAtKill).toBe(0);
    expect(swept).toBeGreaterThanOrEqual(committed);
  });
});
