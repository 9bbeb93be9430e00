// The figures of one run, each beside its target (issue 5) and its share of the raw ceiling measured in the
// same run: bench/results/latest.json, a markdown table on stdout, and the same appended to docs/benchmarks.md
// with the date and the machine.

import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, totalmem } from 'node:os';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { KAFKA_VERSION } from '../scripts/local-stack/kafka-broker.ts';
import type { PhaseUsage } from './probe.ts';

export interface Figures {
  http: { rps: number; ceilingRps: number; fixedRate: { p50Ms: number; p99Ms: number } };
  pipeline: { eventsPerSecond: number; ceilingEventsPerSecond: number };
  relay: { p50Ms: number; p99Ms: number };
  process: { peakRssMb: number; readyMs: number };
}

export interface Machine {
  cores: number;
  memoryGiB: number;
  cpuModel: string;
  node: string;
  database: string;
  kafka: string;
}

export async function describeMachine(admin: Connection): Promise<Machine> {
  const [rows] = await admin.query<RowDataPacket[]>('SELECT VERSION() AS version');
  return {
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    database: String(rows[0]?.version ?? 'unknown'),
    kafka: KAFKA_VERSION,
  };
}

interface Row {
  key: string;
  value: number;
  unit: string;
  target: string;
  met?: boolean;
  ceiling?: number;
}

function rows(f: Figures): Row[] {
  const httpShare = f.http.rps / f.http.ceilingRps;
  const pipelineShare = f.pipeline.eventsPerSecond / f.pipeline.ceilingEventsPerSecond;
  return [
    {
      key: 'http.rps',
      value: f.http.rps,
      unit: 'req/s',
      target: '≥ 60 % of ceiling (aim ≥ 3,000)',
      met: httpShare >= 0.6,
      ceiling: f.http.ceilingRps,
    },
    { key: 'http.ceilingRps', value: f.http.ceilingRps, unit: 'commits/s', target: 'raw ceiling' },
    { key: 'http.fixedRate.p50Ms', value: f.http.fixedRate.p50Ms, unit: 'ms', target: '—' },
    { key: 'http.fixedRate.p99Ms', value: f.http.fixedRate.p99Ms, unit: 'ms', target: '< 25', met: f.http.fixedRate.p99Ms < 25 },
    {
      key: 'pipeline.eventsPerSecond',
      value: f.pipeline.eventsPerSecond,
      unit: 'events/s',
      target: '≥ 20,000 and ≥ 50 % of ceiling (aim ≥ 30,000)',
      met: f.pipeline.eventsPerSecond >= 20_000 && pipelineShare >= 0.5,
      ceiling: f.pipeline.ceilingEventsPerSecond,
    },
    { key: 'pipeline.ceilingEventsPerSecond', value: f.pipeline.ceilingEventsPerSecond, unit: 'events/s', target: 'raw ceiling' },
    { key: 'relay.p50Ms', value: f.relay.p50Ms, unit: 'ms', target: '—' },
    { key: 'relay.p99Ms', value: f.relay.p99Ms, unit: 'ms', target: '< 50', met: f.relay.p99Ms < 50 },
    { key: 'process.peakRssMb', value: f.process.peakRssMb, unit: 'MB', target: '< 200', met: f.process.peakRssMb < 200 },
    {
      key: 'process.readyMs',
      value: f.process.readyMs,
      unit: 'ms',
      target: '< 2,000 (aim < 1,000)',
      met: f.process.readyMs < 2000,
    },
  ];
}

const number = (value: number) =>
  Number.isNaN(value) ? 'n/a' : value.toLocaleString('en-US', { maximumFractionDigits: value < 100 ? 1 : 0 });

export function markdownTable(figures: Figures): string {
  const lines = ['| figure | measured | target | met | of ceiling |', '|---|---:|---|---|---:|'];
  for (const row of rows(figures)) {
    const met = row.met === undefined ? '' : row.met ? 'yes' : '**no**';
    const share = row.ceiling === undefined ? '' : `${Math.round((row.value / row.ceiling) * 100)} %`;
    lines.push(`| \`${row.key}\` | ${number(row.value)} ${row.unit} | ${row.target} | ${met} | ${share} |`);
  }
  return lines.join('\n');
}

/**
 * Where the cores went in each phase: % of one core per process, what else ran on the machine (the noise), and
 * CPU time per operation, which other load disturbs much less than a rate does.
 */
export function usageTable(phases: Record<string, PhaseUsage>, cores: number): string {
  const processes = ['service', 'mariadb', 'kafka', 'bench'];
  const lines = [
    `| phase | s | ops | ${processes.join(' | ')} | others | machine (of ${cores * 100}) | µs CPU/op ${processes.join(' / ')} | MariaDB commits/s | fsyncs/s | service peak RSS |`,
    `|---|---:|---:|${processes.map(() => '---:').join('|')}|---:|---:|---:|---:|---:|---:|`,
  ];
  for (const [name, usage] of Object.entries(phases)) {
    const cpu = processes.map((p) => (usage.cpuPercent[p] === undefined ? '' : `${Math.round(usage.cpuPercent[p])} %`));
    // Whatever else ran on the machine meanwhile (other test suites): the noise in this phase's figures.
    const others = (usage.cpuPercent.machine ?? 0) - processes.reduce((sum, p) => sum + (usage.cpuPercent[p] ?? 0), 0);
    const perOp = processes
      .map((p) => {
        const percent = usage.cpuPercent[p];
        if (percent === undefined || !usage.operations) return '–';
        return String(Math.round(((percent / 100) * usage.seconds * 1e6) / usage.operations));
      })
      .join(' / ');
    const rss = usage.servicePeakRssMb === undefined ? '' : `${Math.round(usage.servicePeakRssMb)} MB`;
    lines.push(
      `| ${name} | ${usage.seconds} | ${number(usage.operations ?? 0)} | ${cpu.join(' | ')} | ${Math.max(0, Math.round(others))} % | ${Math.round(usage.cpuPercent.machine ?? 0)} % | ${perOp} | ${number(usage.mariadbPerSecond.Com_commit ?? 0)} | ${number(usage.mariadbPerSecond.Innodb_data_fsyncs ?? 0)} | ${rss} |`,
    );
  }
  return lines.join('\n');
}

const DOCS_HEADER = `# Benchmarks

\`npm run bench\` (about 3.5 minutes; \`npm run bench -- --quick\` for a short run) measures the service as
production runs it (\`npm run build\`, then package.json's \`start\` command, environment and Node flags included,
in a process of its own, configured by environment variables) against a Kafka broker of its own on a free port
and fresh databases on the machine's MariaDB, and each figure against the raw ceiling of the same machine in the
same run. Each run appends a section below; the last run's figures, details and per-phase usage are in
\`bench/results/latest.json\`, the service's log in \`bench/results/service.log\`. Options:
- \`--env NAME=VALUE\` passes configuration to the service (pool sizes, batch sizes, \`MALLOC_ARENA_MAX\`, ...);
- \`--pipeline-events N\` sets the pipeline's size (\`--quick --pipeline-events 100000\` tunes ingestion in about a
  minute);
- \`--cpu-prof\` writes a V8 CPU profile of the measured service process to \`bench/results/profiles/\`;
  \`node bench/profile-phases.ts\` cuts it into the phases (latest.json holds each phase's CLOCK_MONOTONIC
  bounds, the profile's clock) and prints where each phase's main-thread time went, by package and function;
- \`--alloc-prof\` samples every allocation of the measured service, collected objects included
  (\`bench/allocation-sampler.ts\`), into \`bench/results/profiles/<pid>.heapprofile\`;
  \`node bench/allocation-report.ts\` prints which packages, functions and service callers the bytes come from.

How each figure is taken (\`bench/\`):
- \`http.rps\`: autocannon, 64 connections, 20 s (quick: 5 s), POST /api/attendance with no body and a distinct
  \`X-Owner-Id\` per request, so every request is a 201 and a commit. Counted: 2xx answers per second.
- \`http.ceilingRps\`: 64 mysql2 connections, each running the service's own single-round-trip transaction
  (record INSERT + outbox INSERT + COMMIT) back to back for the same time: no HTTP, no framework, no relay.
- \`http.fixedRate.*\`: an open-loop generator (\`bench/fixed-rate.ts\`) sends request i at start + i/500 s
  whether or not earlier requests answered and measures each latency from that due time, so a stall counts
  against every request it delays (autocannon's \`overallRate\` sends each second's quota in one burst at the
  start of the second and records whole milliseconds). 20 s (quick: 5 s) after a warm-up.
- \`pipeline.eventsPerSecond\`: 100,000 participation events (quick: 20,000), half dating, half study, 20 users
  per meeting, 10 % repeats of earlier events, pre-produced to the input topics while the service is stopped;
  then the service is started and the figure is events / (time from its first 200 on /health/ready until the
  log-end offsets of the two output topics hold every "recorded" event; an offset exists only once the broker
  acked the write). The service's own start-up is \`process.readyMs\`; "spawn to ready" is under the run.
- \`pipeline.ceilingEventsPerSecond\`: the same events / the time to write, concurrently, the same unique rows
  plus their outbox rows with mysql2 (multi-row INSERTs, 2,000 events per transaction, 4 connections) and the
  same "recorded" messages with the service's producer settings (idempotent, acks=all, one send at a time),
  no service and no consuming. The producer is connected and warm before the clock starts.
- \`relay.*\`: attendances POSTed at a steady 1,000/s (open loop) for 20 s (quick: 5 s); a consumer of the
  attendance topic takes receive time minus the event's \`occurred-at\` header (the record's createdAt, taken
  just before the insert), both on this machine's clock, nothing added to the service. An upper bound of
  commit → broker ack: it also holds the insert and commit themselves and the consumer's fetch.
- \`process.peakRssMb\`: VmHWM (the kernel's peak resident set) of the measured service process after all phases.
- \`process.readyMs\`: spawn of \`node dist/main.js\` until GET /health/ready answers 200, on a fresh database
  (so it includes applying the migrations) with the topics already created.

The usage table under each run says where the cores went per phase: % of one core per process (from
/proc/<pid>/stat), \`others\` = everything else on the machine (other test suites: the noise in that phase),
CPU time per operation (request, commit or event; much less disturbed by other load than a rate is), and
MariaDB's server-wide commits and fsyncs per second.
`;

export async function writeReport(options: {
  jsonFile: string;
  docsFile: string;
  figures: Figures;
  run: Record<string, unknown> & { date: string; command: string; serviceCommand: string; machine: Machine };
  details: Record<string, unknown>;
  phases: Record<string, PhaseUsage>;
  /** One line each: what the figures rest on (answers, counts, errors), so that a fast wrong run shows. */
  checks: string[];
}): Promise<string> {
  const { figures, run } = options;
  await writeFile(
    options.jsonFile,
    `${JSON.stringify({ ...figures, run, details: options.details, phases: options.phases }, null, 2)}\n`,
  );
  const m = run.machine;
  const section = [
    `## ${run.date}`,
    '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, MariaDB ${m.database}, Kafka ${m.kafka}.`,
    `Command: \`${run.command}\`; the service ran as \`${run.serviceCommand}\` (package.json \`start\`).`,
    '',
    markdownTable(figures),
    '',
    usageTable(options.phases, m.cores),
    '',
    ...options.checks.map((check) => `- ${check}`),
    '',
  ].join('\n');
  const existing = await readFile(options.docsFile, 'utf8').catch(() => '');
  if (existing === '') await writeFile(options.docsFile, DOCS_HEADER);
  await appendFile(options.docsFile, `\n${section}`);
  return section;
}
