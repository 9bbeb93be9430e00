// Process helpers shared by the local stack (the broker, the database server) and the service harness of the
// test kit.
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM, then SIGKILL after timeoutMs; for a process that is not our child, so its exit can only be polled. */
export async function terminate(pid: number, timeoutMs: number): Promise<void> {
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
}

export function isChildAlive(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** SIGTERM to our own child, then SIGKILL after timeoutMs; resolves once it has exited. */
export async function terminateChild(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (!isChildAlive(child)) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  // Cancelled once the child exits: a pending timer of many seconds would keep a test runner from exiting.
  const timer = new AbortController();
  const graceful = await Promise.race([
    exited.then(() => true),
    sleep(timeoutMs, false, { signal: timer.signal }).catch(() => false),
  ]);
  timer.abort();
  if (!graceful) {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Node cannot ask Linux to kill a child when the parent dies (no PR_SET_PDEATHSIG), and a test runner or a
 * benchmark that crashes or is killed runs no exit handler. A shell holding the read end of a pipe from this
 * process sees end-of-file when this process dies, however it dies, and then stops `pid`: SIGTERM and SIGKILL
 * after `graceMs`, or SIGKILL at once when `graceMs` is 0. The caller kills the watchdog when `pid` exits, so
 * that it never signals a reused pid.
 */
export function startWatchdog(pid: number, name: string, graceMs: number): ChildProcess {
  const stop =
    graceMs > 0
      ? [
          'kill -TERM "$1" 2>/dev/null || exit 0',
          `i=0; while kill -0 "$1" 2>/dev/null && [ "$i" -lt ${Math.ceil(graceMs / 200)} ]; do sleep 0.2; i=$((i+1)); done`,
          'kill -KILL "$1" 2>/dev/null',
        ]
      : ['kill -KILL "$1" 2>/dev/null'];
  const script = ['while read -r _; do :; done', ...stop].join('\n');
  const watchdog = spawn('sh', ['-c', script, name, String(pid)], { stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  watchdog.on('error', () => {});
  return watchdog;
}

/** Runs a command to completion and resolves to its stdout; a failure carries the last lines of its output. */
export function run(
  command: string,
  args: string[],
  timeoutMs: number,
  extraEnv: Record<string, string> = {},
  cwd?: string,
): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const env = { ...process.env, ...extraEnv };
    execFile(command, args, { cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) return resolveRun(stdout);
      const output = `${stdout}${stderr}`.trim().split('\n').slice(-20).join('\n');
      reject(
        Object.assign(new Error(output === '' ? error.message : `${error.message.split('\n')[0]}\n${output}`, { cause: error }), {
          code: error.code,
        }),
      );
    });
  });
}
