// The service as production runs it, in a process of its own configured by environment variables only, so
// that a test can kill -9 it, SIGTERM it and restart it, and a benchmark can measure it from the outside.
// Its stdout and stderr are appended to a log file, whose tail is shown when a start fails; a watchdog
// kills it when the process that started it dies without stopping it.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isChildAlive, startWatchdog, terminateChild } from '../scripts/local-stack/processes.ts';
import { eventually } from './polling.ts';

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

const repoRoot = resolve(import.meta.dirname, '..');

/**
 * How production starts the service: package.json's `start` command, and its environment assignments and Node
 * flags, so that a benchmark runs what `npm start` (and the Dockerfile, kept in step by a test) runs.
 */
export function productionStart(): {
  command: string;
  run: string;
  entry: string;
  env: Record<string, string>;
  nodeFlags: string[];
} {
  const command: string = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts.start;
  const run = startRun(command);
  const words = run.split(/\s+/);
  const assignments = words
    .filter((word) => /^[A-Z_][A-Z0-9_]*=/.test(word))
    .map((word) => word.split('=', 2) as [string, string]);
  return {
    command,
    run,
    entry: join(repoRoot, words.at(-1) as string),
    env: Object.fromEntries(assignments),
    nodeFlags: words.filter((word) => word.startsWith('--')),
  };
}

/** The start command is `<check that there is a build> && <environment> node <flags> <entry>`: the last part. */
export function startRun(command: string): string {
  return (command.split(' && ').at(-1) as string).trim();
}

export interface ServiceProcessOptions {
  /** Names the process in errors. */
  name: string;
  /** The process's whole environment; PORT is added. */
  env: NodeJS.ProcessEnv;
  /** Kept across restarts, so that clients need one address. */
  port: number;
  logFile: string;
  /** Default src/main.ts, run from the TypeScript source as `npm run dev` does. */
  entry?: string;
  /** Node flags before the entry, e.g. --cpu-prof. */
  nodeFlags?: string[];
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() when the process exited. */
  at: number;
}

export class ServiceProcess {
  readonly name: string;
  readonly port: number;
  readonly baseUrl: string;
  readonly logFile: string;
  readonly #options: ServiceProcessOptions;
  #child: ChildProcess | undefined;
  #exit: Promise<Exit> | undefined;
  #spawnedAt = 0;
  #readyMs: number | undefined;
  starts = 0;

  constructor(options: ServiceProcessOptions) {
    this.#options = options;
    this.name = options.name;
    this.port = options.port;
    this.baseUrl = `http://127.0.0.1:${options.port}`;
    this.logFile = options.logFile;
  }

  get running(): boolean {
    return this.#child !== undefined && isChildAlive(this.#child);
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** null while it runs, or when a signal ended it. */
  get exitCode(): number | null {
    return this.#child?.exitCode ?? null;
  }

  /** From spawn until /health/ready first answered 200 (see waitUntil). */
  get readyMs(): number {
    if (this.#readyMs === undefined) throw new Error(`${this.name} has not answered ready yet`);
    return this.#readyMs;
  }

  /** Starts the process and waits until it answers /health/live (it then consumes and relays too). */
  async start(): Promise<void> {
    this.spawn();
    await this.waitUntil('live');
  }

  /** Starts the process and returns at once; it then starts up on its own (waitUntil). */
  spawn(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    const { entry = join(repoRoot, 'src', 'main.ts'), nodeFlags = [], env, logFile } = this.#options;
    this.starts++;
    // The child writes to the file itself: its output does not pass through this process's event loop.
    const log = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      writeFileSync(log, `\n===== start ${this.starts} at ${new Date().toISOString()}\n`);
      this.#spawnedAt = performance.now();
      child = spawn(process.execPath, [...nodeFlags, entry], {
        env: { ...env, PORT: String(this.port) },
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log);
    }
    child.on('error', () => undefined);
    if (child.pid === undefined) throw new Error(`could not start ${this.name} (${entry})`);
    this.#readyMs = undefined;
    this.#child = child;
    this.#exit = new Promise((resolveExit) =>
      child.once('exit', (code, signal) => resolveExit({ code, signal, at: performance.now() })),
    );
    const watchdog = startWatchdog(child.pid, `${this.name}-watchdog`, 0);
    // Once the service is gone its pid may be reused: the watchdog must not outlive it.
    child.once('exit', () => watchdog.kill('SIGKILL'));
  }

  /**
   * Polls /health/live or /health/ready every `intervalMs` until it answers 200, and answers the instant
   * (performance.now()) it first did. Fails when the process exits first or after a minute from its spawn.
   */
  async waitUntil(probe: 'live' | 'ready', intervalMs = 100): Promise<number> {
    let answeredAt: number | undefined;
    const answered = await eventually(
      async () => {
        if (!this.running) throw new Error(`${this.name} exited during start-up; ${this.logFile}:\n${this.logTail(30)}`);
        const status = await fetch(`${this.baseUrl}/health/${probe}`, { signal: AbortSignal.timeout(2_000) }).then(
          (r) => r.status,
          () => undefined,
        );
        if (status === 200) answeredAt = performance.now();
        return status === 200;
      },
      START_TIMEOUT_MS - (performance.now() - this.#spawnedAt),
      intervalMs,
    );
    if (!answered || answeredAt === undefined) {
      throw new Error(
        `${this.name} did not answer /health/${probe} within ${START_TIMEOUT_MS / 1000} s; ${this.logFile}:\n${this.logTail(30)}`,
      );
    }
    if (probe === 'ready') this.#readyMs ??= answeredAt - this.#spawnedAt;
    return answeredAt;
  }

  /** Resolves when the running process exits. */
  exited(): Promise<Exit> {
    const exit = this.#exit;
    if (!this.running || exit === undefined) throw new Error(`${this.name} is not running`);
    return exit;
  }

  /** Sends `signal` and returns at once (see exited()). */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) throw new Error(`${this.name} is not running`);
    this.#child?.kill(signal);
  }

  /** kill -9: no handler runs, no buffer is flushed, no offset is committed. */
  async kill(): Promise<Exit> {
    const exit = this.exited();
    this.signal('SIGKILL');
    return exit;
  }

  /** Sends SIGTERM and answers the exit and how long it took. */
  async terminate(): Promise<Exit & { ms: number }> {
    const exit = this.exited();
    const startedAt = performance.now();
    this.signal('SIGTERM');
    const result = await exit;
    return { ...result, ms: result.at - startedAt };
  }

  /** SIGTERM (the service drains and exits 0), SIGKILL if it is still there after 20 s; answers the exit. */
  async stop(): Promise<Exit | undefined> {
    const child = this.#child;
    if (child === undefined) return undefined;
    await terminateChild(child, STOP_TIMEOUT_MS);
    return this.#exit;
  }

  /** For clean-ups: whatever state the test left it in, the process is gone afterwards. */
  async dispose(): Promise<void> {
    if (this.running) await this.kill();
  }

  logTail(lines: number): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** The whole log: every start's output, each after a "===== start N" line. */
  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Log lines at level error (50) or above, for "nothing unexpected happened" checks. */
  errorLines(): string[] {
    return this.log()
      .split('\n')
      .filter((line) => {
        if (!line.startsWith('{')) return false;
        try {
          return ((JSON.parse(line) as { level?: number }).level ?? 0) >= 50;
        } catch {
          return false;
        }
      });
  }
}
