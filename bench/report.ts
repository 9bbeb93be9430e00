// The figures of one run, each beside its target and its share of the raw ceiling measured in the same run:
// bench/results/latest.json, a markdown table on stdout, and the same as a record of the run, with the date and
// the machine, in bench/results/runs/ (docs/benchmarks.md is the curated page that cites them).

import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { KAFKA_VERSION } from '../scripts/local-stack/kafka-broker.ts';
import type { PhaseUsage } from './probe.ts';

export interface Figures {
  /** fixedRate.ceilingP99Ms: the bare transaction's p99 at the same rate, no service (the database's own tail). */
  http: { rps: number; ceilingRps: number; fixedRate: { p50Ms: number; p99Ms: number; ceilingP99Ms: number } };
  pipeline: { eventsPerSecond: number; ceilingEventsPerSecond: number };
  /** multiInstanceP99Ms: the worst instance's p99 when three instances share the relay rate. */
  relay: { p50Ms: number; p99Ms: number; multiInstanceP99Ms: number };
  /** idleRssMb: resident memory after the freshly started service has idled a while. */
  process: { peakRssMb: number; readyMs: number; idleRssMb: number };
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
      target: '≥ 1.0 × ceiling (floor 0.6 ×)',
      met: httpShare >= 1.0,
      ceiling: f.http.ceilingRps,
    },
    { key: 'http.ceilingRps', value: f.http.ceilingRps, unit: 'commits/s', target: 'raw ceiling' },
    { key: 'http.fixedRate.p50Ms', value: f.http.fixedRate.p50Ms, unit: 'ms', target: '—' },
    { key: 'http.fixedRate.ceilingP99Ms', value: f.http.fixedRate.ceilingP99Ms, unit: 'ms', target: 'raw ceiling' },
    { key: 'http.fixedRate.p99Ms', value: f.http.fixedRate.p99Ms, unit: 'ms', target: '< 15', met: f.http.fixedRate.p99Ms < 15 },
    {
      key: 'pipeline.eventsPerSecond',
      value: f.pipeline.eventsPerSecond,
      unit: 'events/s',
      target: '≥ 0.8 × ceiling',
      met: pipelineShare >= 0.8,
      ceiling: f.pipeline.ceilingEventsPerSecond,
    },
    { key: 'pipeline.ceilingEventsPerSecond', value: f.pipeline.ceilingEventsPerSecond, unit: 'events/s', target: 'raw ceiling' },
    { key: 'relay.p50Ms', value: f.relay.p50Ms, unit: 'ms', target: '—' },
    { key: 'relay.p99Ms', value: f.relay.p99Ms, unit: 'ms', target: '< 25', met: f.relay.p99Ms < 25 },
    {
      key: 'relay.multiInstanceP99Ms',
      value: f.relay.multiInstanceP99Ms,
      unit: 'ms',
      target: '< 25 on every instance of 3',
      met: f.relay.multiInstanceP99Ms < 25,
    },
    { key: 'process.idleRssMb', value: f.process.idleRssMb, unit: 'MB', target: '< 110', met: f.process.idleRssMb < 110 },
    { key: 'process.peakRssMb', value: f.process.peakRssMb, unit: 'MB', target: '< 200', met: f.process.peakRssMb < 200 },
    {
      key: 'process.readyMs',
      value: f.process.readyMs,
      unit: 'ms',
      target: '< 1,000',
      met: f.process.readyMs < 1000,
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
 * CPU time per operation, which other load disturbs much less than a rate does. The broker's JIT compiling is
 * shown apart too: the benchmark's broker is a fresh JVM, and what it compiles during a phase is a one-off
 * cost that a broker running for days has paid long ago.
 */
export function usageTable(phases: Record<string, PhaseUsage>, cores: number): string {
  const processes = ['service', 'mariadb', 'kafka', 'bench'];
  const lines = [
    `| phase | s | ops | ${processes.join(' | ')} | others | machine (of ${cores * 100}) | µs CPU/op ${processes.join(' / ')} | MariaDB commits/s | fsyncs/s | service peak RSS | kafka: JIT compiling | kafka µs/op without JIT |`,
    `|---|---:|---:|${processes.map(() => '---:').join('|')}|---:|---:|---:|---:|---:|---:|---:|---:|`,
  ];
  for (const [name, usage] of Object.entries(phases)) {
    const cpu = processes.map((p) => (usage.cpuPercent[p] === undefined ? '' : `${Math.round(usage.cpuPercent[p])} %`));
    // Whatever else ran on the machine meanwhile (other test suites): the noise in this phase's figures.
    const others = (usage.cpuPercent.machine ?? 0) - processes.reduce((sum, p) => sum + (usage.cpuPercent[p] ?? 0), 0);
    const perOpOf = (percent: number | undefined) =>
      percent === undefined || !usage.operations
        ? '–'
        : String(Math.round(((percent / 100) * usage.seconds * 1e6) / usage.operations));
    const perOp = processes.map((p) => perOpOf(usage.cpuPercent[p])).join(' / ');
    const kafka = usage.cpuPercent.kafka;
    const jit = usage.cpuPercent['kafka.jit'];
    const jitShare = jit === undefined ? '' : `${Math.round(jit)} %`;
    const kafkaWithoutJit = kafka === undefined || jit === undefined ? '–' : perOpOf(kafka - jit);
    const rss = usage.servicePeakRssMb === undefined ? '' : `${Math.round(usage.servicePeakRssMb)} MB`;
    lines.push(
      `| ${name} | ${usage.seconds} | ${number(usage.operations ?? 0)} | ${cpu.join(' | ')} | ${Math.max(0, Math.round(others))} % | ${Math.round(usage.cpuPercent.machine ?? 0)} % | ${perOp} | ${number(usage.mariadbPerSecond.Com_commit ?? 0)} | ${number(usage.mariadbPerSecond.Innodb_data_fsyncs ?? 0)} | ${rss} | ${jitShare} | ${kafkaWithoutJit} |`,
    );
  }
  return lines.join('\n');
}

export async function writeReport(options: {
  jsonFile: string;
  /** Where the run's record goes: one markdown file per run, kept in the repository. */
  runsDir: string;
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
    `# Benchmark run ${run.date}`,
    '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, MariaDB ${m.database}, Kafka ${m.kafka}.`,
    `Command: \`${run.command}\`; the service ran as \`${run.serviceCommand}\` (what package.json \`start\` runs once the build exists).`,
    '',
    markdownTable(figures),
    '',
    usageTable(options.phases, m.cores),
    '',
    ...options.checks.map((check) => `- ${check}`),
    '',
  ].join('\n');
  await mkdir(options.runsDir, { recursive: true });
  await writeFile(join(options.runsDir, `${run.date.replace(/:/g, '').replace(/\.\d+Z$/, 'Z')}.md`), `${section}\n`);
  return section;
}
