// Where the machine's time goes during one phase: CPU of each process of the benchmark (in % of one core,
// from /proc/<pid>/stat), the whole machine's busy time, and MariaDB's own counters (commits, fsyncs). The
// counters are server-wide: other work on the same server shows up in them too. And the measured service's
// memory, read from /proc (VmHWM is the kernel's own high-water mark of the resident set).

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { procStatusKb } from '../testkit/process-memory.ts';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

const COUNTERS = [
  'Com_commit',
  'Com_insert',
  'Com_select',
  'Com_delete',
  'Innodb_data_fsyncs',
  'Innodb_log_writes',
  'Innodb_row_lock_waits',
  'Innodb_deadlocks',
] as const;

export interface PhaseUsage {
  seconds: number;
  /** CLOCK_MONOTONIC in µs, the clock of V8's CPU profiles: to cut a --cpu-prof profile into phases. */
  monotonicUs: [number, number];
  /**
   * % of one core per process (`kafka.jit`: the part of `kafka` spent compiling in the JIT); the machine's
   * busy % is out of 100 × cores.
   */
  cpuPercent: Record<string, number>;
  /** MariaDB counters per second. */
  mariadbPerSecond: Record<string, number>;
  /** The service's peak resident set since it started (VmHWM), read at the end of the phase. */
  servicePeakRssMb: number | undefined;
  /** What the phase did (requests, commits, events), to turn CPU into CPU per operation. */
  operations?: number;
}

export class ResourceProbe {
  readonly #pids: () => Record<string, number | undefined>;
  readonly #admin: Connection;

  constructor(admin: Connection, pids: () => Record<string, number | undefined>) {
    this.#admin = admin;
    this.#pids = pids;
  }

  /** Starts measuring; the returned function ends the phase and answers what it used. */
  async begin(): Promise<() => Promise<PhaseUsage>> {
    const pids = this.#pids();
    const startedAt = performance.now();
    const startedUs = monotonicUs();
    const cpuBefore = cpuTicks(pids);
    const countersBefore = await this.#counters();
    return async () => {
      const seconds = (performance.now() - startedAt) / 1000;
      const cpuAfter = cpuTicks(pids);
      const countersAfter = await this.#counters();
      const cpuPercent: Record<string, number> = {};
      for (const [name, after] of Object.entries(cpuAfter)) {
        const before = cpuBefore[name];
        if (before !== undefined) cpuPercent[name] = round(((after - before) / TICKS_PER_SECOND / seconds) * 100);
      }
      const mariadbPerSecond: Record<string, number> = {};
      for (const name of COUNTERS) mariadbPerSecond[name] = round((countersAfter[name] - countersBefore[name]) / seconds);
      return {
        seconds: round(seconds),
        monotonicUs: [startedUs, monotonicUs()],
        cpuPercent,
        mariadbPerSecond,
        servicePeakRssMb: peakRssMb(pids.service),
      };
    };
  }

  async #counters(): Promise<Record<(typeof COUNTERS)[number], number>> {
    const [rows] = await this.#admin.query<RowDataPacket[]>('SHOW GLOBAL STATUS WHERE Variable_name IN (?)', [[...COUNTERS]]);
    const values = Object.fromEntries(rows.map((r) => [r.Variable_name as string, Number(r.Value)]));
    return Object.fromEntries(COUNTERS.map((name) => [name, values[name] ?? 0])) as Record<(typeof COUNTERS)[number], number>;
  }
}

/** utime + stime of each process (ticks), plus the machine's busy ticks summed over all cores. */
function cpuTicks(pids: Record<string, number | undefined>): Record<string, number> {
  const ticks: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    if (pid === undefined) continue;
    try {
      ticks[name] = cpuTicksOf(pid);
    } catch {
      // The process is gone; it is left out of this phase.
    }
  }
  // The broker is a fresh JVM: its JIT compiler threads turn whatever gets hot into machine code during the
  // first minutes, which a long-running broker did long ago. Counted apart, so that the broker's CPU per
  // request can be read both with and without that one-off cost.
  if (pids.kafka !== undefined) {
    try {
      ticks['kafka.jit'] = jitCompilerTicksOf(pids.kafka);
    } catch {
      // As above: the broker is gone.
    }
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.split(/\s+/).slice(1).map(Number) ?? [];
  // user nice system idle iowait irq softirq steal: busy is everything but idle and iowait.
  ticks.machine = cpu.slice(0, 8).reduce((sum, value, index) => (index === 3 || index === 4 ? sum : sum + value), 0);
  return ticks;
}

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function peakRssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    return round(procStatusKb(pid)('VmHWM') / 1024);
  } catch {
    return undefined;
  }
}

/** The name and utime + stime (clock ticks) in a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat line. */
function statTicks(stat: string): { name: string; ticks: number } {
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** utime + stime of a process so far, in clock ticks. */
export function cpuTicksOf(pid: number): number {
  return statTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')).ticks;
}

/** utime + stime of a JVM's JIT compiler threads (HotSpot names them "C1 CompilerThreadN" and "C2 ..."). */
function jitCompilerTicksOf(pid: number): number {
  let ticks = 0;
  for (const thread of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = statTicks(readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8'));
      if (/^C[12] CompilerThre/.test(stat.name)) ticks += stat.ticks;
    } catch {
      // The thread ended meanwhile.
    }
  }
  return ticks;
}

/**
 * Where the service's resident set is now: the binary's mapped pages (file) and the rest (anon), and from the
 * service's own /metrics the V8 heap and the memory outside it (Buffers of sockets and Kafka batches).
 */
export async function memoryBreakdown(service: { pid: number | undefined; baseUrl: string }): Promise<Record<string, number>> {
  if (service.pid === undefined) throw new Error('the service is not running');
  const kb = procStatusKb(service.pid);
  const metrics = await fetch(`${service.baseUrl}/metrics`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.text());
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(metrics)?.[1] ?? Number.NaN);
  const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
  return {
    rssMb: Math.round(kb('VmRSS') / 1024),
    rssFileMb: Math.round(kb('RssFile') / 1024),
    rssAnonMb: Math.round(kb('RssAnon') / 1024),
    heapTotalMb: mb(metric('nodejs_heap_size_total_bytes')),
    heapUsedMb: mb(metric('nodejs_heap_size_used_bytes')),
    externalMb: mb(metric('nodejs_external_memory_bytes')),
  };
}

/** The pid of the database server the connection talks to, from its own pid file (when it runs on this machine). */
export async function databaseServerPid(admin: Connection): Promise<number | undefined> {
  const [rows] = await admin.query<RowDataPacket[]>('SELECT @@pid_file AS file');
  try {
    const pid = Number.parseInt(readFileSync(String(rows[0]?.file), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
