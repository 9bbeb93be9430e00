// The service as production runs it: `node dist/main.js`, a process of its own, configured by environment
// variables only. Start-up time is measured from spawn until GET /health/ready answers 200; memory is read
// from /proc (VmHWM is the kernel's own high-water mark of the resident set).

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

const repoRoot = resolve(import.meta.dirname, '..');

/**
 * How production starts the service: package.json's `start` command, and its environment assignments and Node
 * flags, so that the benchmark runs what `npm start` (and the Dockerfile, kept in step by a test) runs.
 */
export function productionStart(): { command: string; env: Record<string, string>; nodeFlags: string[] } {
  const command: string = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts.start;
  const words = command.split(/\s+/);
  const assignments = words
    .filter((word) => /^[A-Z_][A-Z0-9_]*=/.test(word))
    .map((word) => word.split('=', 2) as [string, string]);
  return { command, env: Object.fromEntries(assignments), nodeFlags: words.filter((word) => word.startsWith('--')) };
}

export interface ServiceProcessOptions {
  entry: string;
  env: Record<string, string>;
  port: number;
  logFile: string;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
}

export class ServiceProcess {
  readonly baseUrl: string;
  readonly #child: ChildProcess;
  readonly #spawnedAt: number;
  #readyMs: number | undefined;

  private constructor(child: ChildProcess, port: number, spawnedAt: number) {
    this.#child = child;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.#spawnedAt = spawnedAt;
  }

  static spawn(options: ServiceProcessOptions): ServiceProcess {
    const log = openSync(options.logFile, 'a');
    const spawnedAt = performance.now();
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...(options.nodeFlags ?? []), options.entry], {
        env: options.env,
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log);
    }
    child.on('error', () => undefined);
    if (child.pid === undefined) throw new Error(`could not start ${options.entry}`);
    const watchdog = startWatchdog(child.pid);
    // Once the service is gone its pid may be reused: the watchdog must not outlive it.
    child.once('exit', () => watchdog.kill('SIGKILL'));
    return new ServiceProcess(child, options.port, spawnedAt);
  }

  get pid(): number {
    return this.#child.pid as number;
  }

  get readyMs(): number {
    if (this.#readyMs === undefined) throw new Error('the service has not answered ready yet');
    return this.#readyMs;
  }

  /** Polls readiness every 10 ms (bounded in time); resolves with the instant (performance.now()) it first answered 200. */
  async waitUntilReady(): Promise<number> {
    const deadline = this.#spawnedAt + READY_TIMEOUT_MS;
    while (performance.now() < deadline) {
      if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
        throw new Error(`the service exited during start-up (${this.#child.exitCode ?? this.#child.signalCode})`);
      }
      const answered = await fetch(`${this.baseUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) }).then(
        (response) => response.status === 200,
        () => false,
      );
      if (answered) {
        const readyAt = performance.now();
        this.#readyMs = readyAt - this.#spawnedAt;
        return readyAt;
      }
      await sleep(10);
    }
    throw new Error(`the service did not answer ready within ${READY_TIMEOUT_MS} ms`);
  }

  /** Resident set now and its peak since spawn, in MB. */
  memory(): { rssMb: number; peakRssMb: number } {
    const kb = procStatusKb(this.pid);
    return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
  }

  /**
   * Where the resident set is now: the binary's mapped pages (file) and the rest (anon), and from the
   * service's own /metrics the V8 heap and the memory outside it (Buffers of sockets and Kafka batches).
   */
  async memoryBreakdown(): Promise<Record<string, number>> {
    const kb = procStatusKb(this.pid);
    const metrics = await fetch(`${this.baseUrl}/metrics`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.text());
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

  /** SIGTERM (graceful: the service drains and exits 0), SIGKILL after a bound; answers the exit code. */
  async stop(): Promise<number | string> {
    const child = this.#child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = new AbortController();
      const graceful = await Promise.race([
        exited.then(() => true),
        sleep(STOP_TIMEOUT_MS, false, { signal: timer.signal }).catch(() => false),
      ]);
      timer.abort();
      if (!graceful) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    return child.exitCode ?? child.signalCode ?? 'unknown';
  }
}

/** utime + stime of a process so far, in clock ticks (100 per second). */
export function cpuTicksOf(pid: number): number {
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** A reader of /proc/<pid>/status's "Field:   123 kB" lines, read once. */
function procStatusKb(pid: number): (field: string) => number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
}

/** Kills the service when this process dies however it dies (even SIGKILL): a shell sees end-of-file on our pipe. */
function startWatchdog(pid: number): ChildProcess {
  const script = 'while read -r _; do :; done; kill -KILL "$1" 2>/dev/null';
  const watchdog = spawn('sh', ['-c', script, 'bench-service-watchdog', String(pid)], { stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  watchdog.on('error', () => undefined);
  return watchdog;
}
