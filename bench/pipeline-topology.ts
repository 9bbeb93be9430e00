// node bench/pipeline-topology.ts single|split|two [events]
// The pipeline phase of `npm run bench` (events pre-produced, clock from ready to the last "recorded" event's
// ack) run with other process layouts, to see whether the service's one thread is what bounds ingestion:
//   single  one instance, as `npm run bench` measures it;
//   split   the outbox relay in a process of its own (started first, so it holds the relay lock; it consumes
//           nothing), the consumer in another: what a relay on its own thread would give, and what it costs;
//   two     two full instances sharing the consumer group (partitions split between them) and one relay.
// Prints events/s, each process's CPU and peak RSS. The service runs as `npm start` would (its flags and
// environment), against a broker of its own and a fresh database, like the benchmark.

import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { migrate } from '../src/service.ts';
import { processMemory } from '../testkit/process-memory.ts';
import { productionStart, ServiceProcess } from '../testkit/service-process.ts';
import { freePort } from '../testkit/stack.ts';
import { waitForMessages } from './pipeline.ts';
import { cpuTicksOf } from './probe.ts';
import { serviceEnvironment, startStack } from './stack.ts';
import { participationWorkload, produceInput } from './workload.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const layout = process.argv[2] ?? 'single';
if (!['single', 'split', 'two'].includes(layout)) throw new Error(`layout must be single, split or two, not ${layout}`);
const events = Number(process.argv[3] ?? 100_000);
const runId = randomBytes(3).toString('hex');

const { env: startEnv, entry, nodeFlags } = productionStart();

const stack = await startStack({
  databaseServerUrl: process.env.BENCH_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306',
  runId,
});
const processes: ServiceProcess[] = [];
try {
  const { env, config } = await serviceEnvironment(stack, { name: 'topology', overrides: startEnv });
  await migrate({ databaseUrl: env.DATABASE_URL as string });
  const workload = participationWorkload(events);
  await produceInput({
    bootstrap: stack.kafkaBootstrap,
    topics: { dating: config.topics.datingParticipationCompleted, study: config.topics.studyParticipationCompleted },
    workload,
  });
  const spawn = async (name: string, extra: Record<string, string>) => {
    const service = new ServiceProcess({
      name,
      entry,
      env: { ...env, ...extra, KAFKA_CLIENT_ID: `topology-${name}` },
      port: await freePort(),
      logFile: join(repoRoot, 'bench', 'results', `topology-${name}.log`),
      nodeFlags,
    });
    service.spawn();
    processes.push(service);
    return service;
  };
  if (layout === 'split') {
    const relay = await spawn('relay', { KAFKA_CONSUMERS_ENABLED: 'false' });
    await relay.waitUntil('ready', 10);
    // Its relay loop takes the lock at once; the consumer instance's relay then stays on standby.
    await new Promise((done) => setTimeout(done, 500));
  }
  const measured = await spawn('consumer', {});
  if (layout === 'two') await spawn('second', {});
  const pids = processes.map((p) => p.pid as number);
  const ticksBefore = pids.map(cpuTicksOf);
  const readyAt = await measured.waitUntil('ready', 10);
  const output = await waitForMessages({
    bootstrap: stack.kafkaBootstrap,
    topics: [config.topics.datingParticipationRecorded, config.topics.studyParticipationRecorded],
    partitions: config.kafkaTopicPartitions,
    expected: workload.unique,
    timeoutMs: 300_000,
  });
  const seconds = (output.at - readyAt) / 1000;
  console.log(
    JSON.stringify({
      layout,
      events,
      eventsPerSecond: Math.round(events / seconds),
      seconds: Math.round(seconds * 100) / 100,
      cpuPercentPerProcess: pids.map((pid, i) => Math.round((cpuTicksOf(pid) - (ticksBefore[i] as number)) / seconds)),
      peakRssMbPerProcess: pids.map((pid) => Math.round(processMemory(pid).peakRssMb)),
    }),
  );
} finally {
  for (const service of processes) await service.stop().catch(() => undefined);
  await stack.dispose();
}
