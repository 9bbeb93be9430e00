// The service as production runs it, `node src/main.ts` in a process of its own, so that a scenario can
// kill -9 it, SIGTERM it and restart it. Each environment gets a fresh database and unique topic names and
// consumer group; the process's log goes to a file whose tail is shown when a start fails.

import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type Config, loadConfig } from '../../../src/config.ts';
import { freePort } from '../../support/free-port.ts';
import { isolatedServiceEnv } from '../../support/service-under-test.ts';

export interface ServiceEnvironment {
  env: Record<string, string>;
  config: Config;
}

/** What `node src/main.ts` is started with: isolated database, topics and group, on top of `overrides`. */
export function serviceEnvironment(overrides: Record<string, string> = {}): ServiceEnvironment {
  const env = isolatedServiceEnv(
    {
      // The child inherits the caller's environment (PATH and the like): settings a developer may have exported
      // for the service are pinned here.
      AUTH_MODE: 'gateway',
      MIGRATE_ON_START: 'true',
      KAFKA_CREATE_TOPICS: 'true',
      KAFKA_CONSUMERS_ENABLED: 'true',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      ...overrides,
    },
    'rel',
  );
  return { env, config: loadConfig({ ...env, PORT: '0' }) };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ServiceProcess {
  readonly name: string;
  readonly port: number;
  readonly baseUrl: string;
  readonly logFile: string;
  readonly #env: Record<string, string>;
  #child: ChildProcess | undefined;
  #exit: Promise<Exit> | undefined;
  #log: WriteStream;
  starts = 0;

  private constructor(name: string, env: Record<string, string>, port: number) {
    this.name = name;
    this.port = port;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.#env = env;
    this.logFile = join(inject('serviceLogDir'), `${name}-${port}.log`);
    this.#log = createWriteStream(this.logFile, { flags: 'a' });
  }

  /** A service process on a port of its own, kept across restarts so that clients need one address. */
  static async create(name: string, environment: ServiceEnvironment): Promise<ServiceProcess> {
    return new ServiceProcess(name, environment.env, await freePort());
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the process and waits until it answers /health/live (it then consumes and relays too). */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.starts++;
    this.#log.write(`\n===== start ${this.starts} at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, ['src/main.ts'], {
      env: { ...process.env, ...this.#env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(this.#log, { end: false });
    child.stderr?.pipe(this.#log, { end: false });
    this.#child = child;
    this.#exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited during start-up; ${this.logFile}:\n${this.logTail(30)}`);
      const status = await fetch(`${this.baseUrl}/health/live`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.status,
        () => undefined,
      );
      if (status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${this.name} did not answer /health/live within 60 s; ${this.logFile}:\n${this.logTail(30)}`);
  }

  /** kill -9: no handler runs, no buffer is flushed, no offset is committed. */
  async kill(): Promise<Exit> {
    const exit = this.#exit;
    if (!this.running || exit === undefined) throw new Error(`${this.name} is not running`);
    this.#child?.kill('SIGKILL');
    return exit;
  }

  /** Sends SIGTERM and answers the exit and how long it took. */
  async terminate(): Promise<Exit & { ms: number }> {
    const exit = this.#exit;
    if (!this.running || exit === undefined) throw new Error(`${this.name} is not running`);
    const startedAt = performance.now();
    this.#child?.kill('SIGTERM');
    const result = await exit;
    return { ...result, ms: performance.now() - startedAt };
  }

  /** For afterAll: whatever state the scenario left it in, the process is gone afterwards. */
  async dispose(): Promise<void> {
    if (this.running) await this.kill();
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }

  logTail(lines: number): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Log lines at level error (50) or above, for "nothing unexpected happened" checks. */
  errorLines(): string[] {
    let text = '';
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return [];
    }
    return text.split('\n').filter((line) => {
      if (!line.startsWith('{')) return false;
      try {
        return ((JSON.parse(line) as { level?: number }).level ?? 0) >= 50;
      } catch {
        return false;
      }
    });
  }
}

/** Waits until `probe` holds, polling; answers false (rather than throwing) at the deadline, so figures still print. */
export async function eventually(probe: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
