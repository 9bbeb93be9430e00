// npm run bench [-- --quick] [--cpu-prof] [--env NAME=VALUE ...]
// Builds the service, starts a Kafka broker of its own and uses fresh databases on the machine's MariaDB, runs
// every scenario against `node dist/main.js` in a process of its own, and reports (see bench/report.ts).
//   --quick       5 s phases and 20,000 pipeline events instead of 20 s and 100,000
//   --pipeline-events N   that many pipeline events instead (e.g. --quick --pipeline-events 100000 to tune
//                 ingestion without waiting for the 20 s HTTP phases)
//   --cpu-prof    the measured service process writes a V8 CPU profile to bench/results/profiles/ (each phase's
//                 CLOCK_MONOTONIC bounds are in latest.json, to cut the profile into phases:
//                 node bench/profile-phases.ts)
//   --alloc-prof  the measured service process samples its allocations (bench/allocation-sampler.ts) into
//                 bench/results/profiles/<pid>.heapprofile (summary: node bench/allocation-report.ts)
//   --env N=V     extra configuration for the service (e.g. DATABASE_POOL_SIZE=32, NODE_OPTIONS=...), repeatable
// Everything it starts is stopped and every database it created is dropped, also when a phase fails or on
// Ctrl-C. A kill -9 still stops the broker and the service (watchdogs) but leaves its bench_<run>_* databases.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { RowDataPacket } from 'mysql2/promise';
import { ensureTopics } from '../src/adapters/kafka/kafka-clients.ts';
import type { Config } from '../src/config.ts';
import { migrate } from '../src/service.ts';
import { eventually } from '../testkit/polling.ts';
import { processMemory } from '../testkit/process-memory.ts';
import { type Exit, productionStart, ServiceProcess } from '../testkit/service-process.ts';
import { freePort } from '../testkit/stack.ts';
import { commitLatencyAtRate, httpCeiling, httpFixedRateLatency, httpThroughput } from './http.ts';
import { pipelineCeiling, waitForMessages } from './pipeline.ts';
import { databaseServerPid, memoryBreakdown, type PhaseUsage, ResourceProbe } from './probe.ts';
import { relayLatency } from './relay.ts';
import { describeMachine, type Figures, writeReport } from './report.ts';
import { type BenchStack, serviceEnvironment, startStack } from './stack.ts';
import { participationWorkload, produceInput, type Workload } from './workload.ts';

const repoRoot = resolve(import.meta.dirname, '..');

const resultsDir = join(repoRoot, 'bench', 'results');
const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'alloc-prof': { type: 'boolean', default: false },
    'pipeline-events': { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const plan = {
  ...(flags.quick
    ? { seconds: 5, pipelineEvents: 20_000, warmUpSeconds: 2 }
    : { seconds: 20, pipelineEvents: 100_000, warmUpSeconds: 5 }),
  ...(flags['pipeline-events'] === undefined ? {} : { pipelineEvents: Number(flags['pipeline-events']) }),
};
if (!Number.isInteger(plan.pipelineEvents) || plan.pipelineEvents < 1000)
  throw new Error(`--pipeline-events wants a whole number of at least 1000, got ${flags['pipeline-events']}`);
const CONNECTIONS = 64;
const FIXED_RATE = 500;
const RELAY_RATE = 1000;
const PIPELINE_TIMEOUT_MS = 300_000;
const OUTBOX_DRAIN_TIMEOUT_MS = 60_000;
/** How often start-up polls readiness: the start-up figure is no finer than this. */
const READY_POLL_MS = 10;
/** How long the idle service is left alone before its idle memory is read. */
const IDLE_SETTLE_MS = 15_000;
const runId = randomBytes(3).toString('hex');
const shellWord = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);
const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2).map(shellWord)] : [])].join(' ');
const overrides = Object.fromEntries(
  (flags.env as string[]).map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--env wants NAME=VALUE, got "${pair}"`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);

// What cleanUp() stops: set while it runs.
let stack: BenchStack | undefined;
let service: ServiceProcess | undefined;
const extraServices: ServiceProcess[] = [];
let cleaning: Promise<void> | undefined;
let interrupted = false;

/** Stops what this run started and drops its databases; once, whether called on success, failure or a signal. */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all([service, ...extraServices].map((s) => s?.stop().catch(() => undefined)));
    await stack?.dispose().catch(() => undefined);
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping the service and the broker, dropping the databases`);
    void cleanUp().finally(() => process.exit(130));
  });
}

function log(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/** What every step needs: the stack, the service's configuration, and the phase recorder. */
interface Bench {
  stack: BenchStack;
  config: Config;
  /** The service database's name, quoted, for checks on its tables. */
  serviceTables: string;
  workload: Workload;
  phases: Record<string, PhaseUsage>;
  phase<T>(name: string, work: () => Promise<T>, operations: (result: T) => number): Promise<T>;
  /** The service as production starts it; `name` other than the default gives an instance of its own (port, log). */
  spawnService(nodeFlags?: string[], name?: string): ServiceProcess;
}

async function prepare(running: BenchStack): Promise<Bench> {
  const ports: Record<string, number> = {
    service: await freePort(),
    'service-2': await freePort(),
    'service-3': await freePort(),
  };
  const { env, config } = await serviceEnvironment(running, { name: 'bench', overrides });
  const databaseUrl = env.DATABASE_URL as string;
  const logFile = join(resultsDir, 'service.log');
  await writeFile(logFile, '');
  const mariadbPid = await databaseServerPid(running.admin);
  const probe = new ResourceProbe(running.admin, () => ({
    service: service?.pid,
    mariadb: mariadbPid,
    kafka: running.kafkaPid,
    bench: process.pid,
  }));
  const phases: Record<string, PhaseUsage> = {};
  return {
    stack: running,
    config,
    serviceTables: running.admin.escapeId(new URL(databaseUrl).pathname.slice(1)),
    workload: participationWorkload(plan.pipelineEvents),
    phases,
    phase: async (name, work, operations) => {
      log(`${name} ...`);
      const end = await probe.begin();
      const result = await work();
      phases[name] = { ...(await end()), operations: operations(result) };
      return result;
    },
    spawnService: (nodeFlags = [], name = 'service') => {
      const start = productionStart();
      const spawned = new ServiceProcess({
        name,
        entry: start.entry,
        env: { ...start.env, ...env },
        port: ports[name] ?? (ports.service as number),
        logFile: name === 'service' ? logFile : join(resultsDir, `${name}.log`),
        nodeFlags: [...start.nodeFlags, ...nodeFlags],
      });
      spawned.spawn();
      return spawned;
    },
  };
}

/** The raw ceilings, before any service runs: the same writes with mysql2 and the Kafka client, nothing else. */
async function measureCeilings(bench: Bench) {
  const databaseUrl = bench.stack.databaseUrl('ceiling');
  await migrate({ databaseUrl });
  const http = await bench.phase(
    'http.ceilingRps',
    () => httpCeiling({ databaseUrl, connections: CONNECTIONS, seconds: plan.seconds, ownerPrefix: `c${runId}-` }),
    (r) => r.outcomes.commit ?? 0,
  );
  const commitLatency = await bench.phase(
    'http.fixedRate.ceiling',
    () => commitLatencyAtRate({ databaseUrl, rate: FIXED_RATE, seconds: plan.seconds, ownerPrefix: `l${runId}-` }),
    (r) => r.commits,
  );
  const topics = { dating: `bench.${runId}.ceiling.dating`, study: `bench.${runId}.ceiling.study` };
  await ensureTopics({
    brokers: [bench.stack.kafkaBootstrap],
    clientId: 'bench',
    topics: [topics.dating, topics.study],
    partitions: bench.config.kafkaTopicPartitions,
    replicationFactor: 1,
  });
  const pipeline = await bench.phase(
    'pipeline.ceiling',
    () =>
      pipelineCeiling({
        databaseUrl,
        bootstrap: bench.stack.kafkaBootstrap,
        topics,
        zone: bench.config.businessTimeZone,
        workload: bench.workload,
      }),
    () => bench.workload.messages.length,
  );
  return { http, commitLatency, pipeline };
}

/**
 * Start-up on a fresh database (the service applies the migrations), the resident memory at ready and after
 * IDLE_SETTLE_MS of idling (V8 collects the start-up's garbage and gives pages back once the process is idle),
 * then a graceful stop.
 */
async function measureStartUp(bench: Bench) {
  service = bench.spawnService();
  await service.waitUntil('ready', READY_POLL_MS);
  const readyRssMb = processMemory(service.pid as number).rssMb;
  await sleep(IDLE_SETTLE_MS);
  const idleRssMb = processMemory(service.pid as number).rssMb;
  const result = { readyMs: service.readyMs, readyRssMb, idleRssMb, exit: exitOf(await service.stop()) };
  service = undefined;
  return result;
}

/** The backlog is on the input topics before the service starts; the clock starts when it answers ready. */
async function measureIngestion(bench: Bench, measured: ServiceProcess) {
  const { config, workload } = bench;
  // The phase starts at ready, like the rate: the CPU of starting the process (about a second of it, loading
  // and compiling) is not ingestion's, and over a short run it was a third of the CPU per event. What was
  // already stored by then (the consumers start just before the service answers ready) is left out of the
  // phase's operations in proportion.
  const readyAt = await measured.waitUntil('ready', READY_POLL_MS);
  const storedAtReady = await storedParticipations(bench);
  const result = await bench.phase(
    'pipeline',
    async () => {
      const output = await waitForMessages({
        bootstrap: bench.stack.kafkaBootstrap,
        topics: [config.topics.datingParticipationRecorded, config.topics.studyParticipationRecorded],
        partitions: config.kafkaTopicPartitions,
        expected: workload.unique,
        timeoutMs: PIPELINE_TIMEOUT_MS,
      });
      const seconds = (output.at - readyAt) / 1000;
      return { eventsPerSecond: workload.messages.length / seconds, seconds, readyMs: measured.readyMs };
    },
    () => Math.round(workload.messages.length * (1 - storedAtReady / workload.unique)),
  );
  const memoryAfter = await memoryBreakdown(measured);
  return { ...result, stored: await storedParticipations(bench), storedAtReady, memoryAfter };
}

async function storedParticipations(bench: Bench): Promise<number> {
  const [rows] = await bench.stack.admin.query<RowDataPacket[]>(
    `SELECT (SELECT COUNT(*) FROM ${bench.serviceTables}.dating_participations) + (SELECT COUNT(*) FROM ${bench.serviceTables}.study_participations) AS n`,
  );
  return Number(rows[0]?.n);
}

/** Waits (bounded) until the relay has published everything, so that one phase's backlog is not the next one's load. */
async function waitForEmptyOutbox(bench: Bench): Promise<number> {
  const startedAt = performance.now();
  let left = 0;
  const emptied = await eventually(
    async () => {
      const [rows] = await bench.stack.admin.query<RowDataPacket[]>(
        `SELECT COUNT(*) AS n FROM ${bench.serviceTables}.outbox_events`,
      );
      left = Number(rows[0]?.n);
      return left === 0;
    },
    OUTBOX_DRAIN_TIMEOUT_MS,
    50,
  );
  if (!emptied) throw new Error(`the outbox still holds ${left} events`);
  return performance.now() - startedAt;
}

/** Warm-up, latency at a fixed rate, relay latency at a steady rate, then throughput (the heaviest, last). */
async function measureHttp(bench: Bench, measured: ServiceProcess) {
  const baseUrl = measured.baseUrl;
  await waitForEmptyOutbox(bench);
  await httpFixedRateLatency({ baseUrl, rate: FIXED_RATE, seconds: plan.warmUpSeconds, ownerPrefix: `w${runId}-` });
  await waitForEmptyOutbox(bench);
  const fixedRate = await bench.phase(
    'http.fixedRate',
    () => httpFixedRateLatency({ baseUrl, rate: FIXED_RATE, seconds: plan.seconds, ownerPrefix: `f${runId}-` }),
    (r) => r.outcomes[201] ?? 0,
  );
  await waitForEmptyOutbox(bench);
  const relay = await relayPhase(bench, 'relay', [baseUrl], `r${runId}-`);
  await waitForEmptyOutbox(bench);
  const throughput = await bench.phase(
    'http.rps',
    () => httpThroughput({ baseUrl, connections: CONNECTIONS, seconds: plan.seconds, ownerPrefix: `h${runId}-` }),
    (r) => r.outcomes[201] ?? 0,
  );
  return { fixedRate, relay, throughput, outboxDrainMs: Math.round(await waitForEmptyOutbox(bench)) };
}

/** Commit → ack at the relay's rate, spread over the instances at `baseUrls`, users named `${runPrefix}<instance>-<n>`. */
function relayPhase(bench: Bench, name: string, baseUrls: string[], runPrefix: string) {
  return bench.phase(
    name,
    () =>
      relayLatency({
        targets: baseUrls.map((baseUrl, i) => ({ baseUrl, ownerPrefix: `${runPrefix}${i}-` })),
        bootstrap: bench.stack.kafkaBootstrap,
        topic: bench.config.topics.attendanceRecorded,
        rate: RELAY_RATE,
        seconds: plan.seconds,
        runPrefix,
      }),
    (r) => r.created,
  );
}

/**
 * The relay's rate spread over three instances of one deployment (the measured one and two more, on the same
 * database and topics): every instance's commit → ack, so that one publishing for all, or commits that wait
 * for another instance's poll, show. The phase's CPU figures are the measured instance's.
 */
async function measureMultiInstanceRelay(bench: Bench, measured: ServiceProcess) {
  const others = [bench.spawnService([], 'service-2'), bench.spawnService([], 'service-3')];
  extraServices.push(...others);
  try {
    await Promise.all(others.map((other) => other.waitUntil('ready', READY_POLL_MS)));
    await waitForEmptyOutbox(bench);
    return await relayPhase(
      bench,
      'relay.multiInstance',
      [measured, ...others].map((instance) => instance.baseUrl),
      `m${runId}-`,
    );
  } finally {
    await Promise.all(others.map((other) => other.stop().catch(() => undefined)));
    extraServices.length = 0;
  }
}

/** The exit code, or the signal that ended the process. */
function exitOf(exit: Exit | undefined): number | string {
  return exit?.code ?? exit?.signal ?? 'unknown';
}

function describeMemory(m: Record<string, number>): string {
  return `RSS ${m.rssMb} (binary ${m.rssFileMb}, anon ${m.rssAnonMb}), V8 heap ${m.heapUsedMb} used of ${m.heapTotalMb}, external ${m.externalMb}`;
}

async function main(): Promise<void> {
  await mkdir(resultsDir, { recursive: true });
  log(`run ${runId}: ${command}`);
  log('building the service (npm run build)');
  await new Promise<void>((done, fail) =>
    execFile('npm', ['run', '--silent', 'build'], { cwd: repoRoot, timeout: 300_000 }, (error, stdout, stderr) =>
      error === null ? done() : fail(new Error(`npm run build failed:\n${stdout}${stderr}`)),
    ),
  );
  log('starting a Kafka broker and checking the database server');
  stack = await startStack({ databaseServerUrl: process.env.BENCH_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306', runId });
  const bench = await prepare(stack);
  const machine = await describeMachine(stack.admin);

  const ceilings = await measureCeilings(bench);
  const startUp = await measureStartUp(bench);
  await bench.phase(
    'pipeline.produce-input',
    () =>
      produceInput({
        bootstrap: bench.stack.kafkaBootstrap,
        topics: {
          dating: bench.config.topics.datingParticipationCompleted,
          study: bench.config.topics.studyParticipationCompleted,
        },
        workload: bench.workload,
      }),
    () => bench.workload.messages.length,
  );
  const measured = bench.spawnService([
    ...(flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(resultsDir, 'profiles')}`] : []),
    ...(flags['alloc-prof'] ? [`--import=${join(repoRoot, 'bench', 'allocation-sampler.ts')}`] : []),
  ]);
  service = measured;
  const ingestion = await measureIngestion(bench, measured);
  const http = await measureHttp(bench, measured);
  const multiInstance = await measureMultiInstanceRelay(bench, measured);
  const memory = processMemory(measured.pid as number);
  const memoryAtEnd = await memoryBreakdown(measured);
  const exit = exitOf(await measured.stop());
  service = undefined;
  const logErrors = measured.errorLines().length;

  const figures: Figures = {
    http: {
      rps: http.throughput.rps,
      ceilingRps: ceilings.http.rps,
      fixedRate: { p50Ms: http.fixedRate.p50Ms, p99Ms: http.fixedRate.p99Ms, ceilingP99Ms: ceilings.commitLatency.p99Ms },
    },
    pipeline: { eventsPerSecond: ingestion.eventsPerSecond, ceilingEventsPerSecond: ceilings.pipeline.eventsPerSecond },
    relay: {
      p50Ms: http.relay.p50Ms,
      p99Ms: http.relay.p99Ms,
      multiInstanceP99Ms: Math.max(...multiInstance.instances.map((instance) => instance.p99Ms)),
    },
    process: { peakRssMb: memory.peakRssMb, readyMs: startUp.readyMs, idleRssMb: startUp.idleRssMb },
  };
  const { workload } = bench;
  const section = await writeReport({
    jsonFile: join(resultsDir, 'latest.json'),
    runsDir: join(resultsDir, 'runs'),
    figures,
    run: {
      date: new Date().toISOString(),
      command,
      serviceCommand: productionStart().run,
      quick: flags.quick,
      serviceEnvOverrides: overrides,
      machine,
    },
    details: { ceilings, startUp, ingestion, http, multiInstance, memoryAtEnd, serviceExit: exit, serviceLogErrors: logErrors },
    phases: bench.phases,
    checks: [
      `answers: http.rps ${JSON.stringify(http.throughput.outcomes)} with ${http.throughput.errors} transport errors; fixed rate ${JSON.stringify(http.fixedRate.outcomes)}; relay phase ${http.relay.created} created, ${http.relay.received} events received; three instances ${multiInstance.created} created, ${multiInstance.received} received, p99 per instance ${multiInstance.instances.map((i) => `${i.p99Ms} ms`).join(' / ')}`,
      `pipeline: ${workload.messages.length} events in, ${workload.unique} unique, ${ingestion.stored} stored (${ingestion.storedAtReady} of them at ready); ${ingestion.seconds.toFixed(2)} s from ready (spawn to ready ${Math.round(ingestion.readyMs)} ms)`,
      `ceilings: http ${ceilings.http.errors} failed transactions, ${ceilings.commitLatency.failures} at the fixed rate (p50 ${ceilings.commitLatency.p50Ms.toFixed(1)} ms); pipeline database ${ceilings.pipeline.databaseSeconds.toFixed(2)} s, Kafka ${ceilings.pipeline.kafkaSeconds.toFixed(2)} s`,
      `memory (MB): after the pipeline ${describeMemory(ingestion.memoryAfter)}; at the end ${describeMemory(memoryAtEnd)}`,
      `service: idle RSS ${Math.round(startUp.idleRssMb)} MB after ${IDLE_SETTLE_MS / 1000} s idle (${Math.round(startUp.readyRssMb)} MB at ready); ${logErrors} error lines in its log; exit codes ${startUp.exit} and ${exit}; outbox empty ${http.outboxDrainMs} ms after http.rps`,
    ],
  });
  console.log(`\n${section}`);
}

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  if (!interrupted) {
    console.error(`benchmark failed: ${(error as Error).stack ?? error}`);
    for (const cause of (error as { errors?: unknown[] }).errors ?? []) console.error('  caused by:', cause);
  }
} finally {
  await cleanUp();
}
