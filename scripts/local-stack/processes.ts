// Process helpers shared by the broker and the database server of the local stack.
import { execFile } from 'node:child_process';
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
