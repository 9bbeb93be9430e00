// Makes sure a MySQL-compatible server answers at DATABASE_URL: use the one that is there, or
// start a private MariaDB/MySQL server from the installed binaries with its data under .local/.
import { execFile, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { terminate } from './processes.ts';

/** 'answering': a server was already there; 'started-private': this call started one from opts.dataDir. */
export type DatabaseServerState = 'answering' | 'started-private';

const readyTimeoutMs = 60_000;
// InnoDB flushes its buffer pool on a clean shutdown; give it time before SIGKILL.
const stopTimeoutMs = 60_000;
const binaryDirs = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/usr/local/mysql/bin'];

interface ServerAddress {
  host: string;
  port: number;
  user: string;
  password: string;
}

export async function ensureDatabaseServer(
  databaseUrl: string,
  opts: { dataDir: string; logFile: string },
): Promise<DatabaseServerState> {
  const address = parseDatabaseUrl(databaseUrl);
  const probe = await probeServer(address, 2_000);
  if (probe === 'answers') return 'answering';
  if (probe !== 'absent') {
    throw new Error(
      `A database server answers at ${address.host}:${address.port} but refuses the connection of DATABASE_URL (${probe}); fix DATABASE_URL or that server's user.`,
    );
  }
  if (!['127.0.0.1', 'localhost', '::1'].includes(address.host)) {
    throw new Error(
      `No database server answers at ${address.host}:${address.port}; start it, or point DATABASE_URL at 127.0.0.1 to let the local stack start one.`,
    );
  }

  const server = findBinary(['mariadbd', 'mysqld']);
  if (server === undefined) {
    throw new Error(
      `No database server answers at ${address.host}:${address.port} and neither mariadbd nor mysqld is installed: install MariaDB 10.11+ (apt-get install mariadb-server) or start a MySQL 8 server there, or set DATABASE_URL to one that runs.`,
    );
  }

  const dataDir = resolve(opts.dataDir);
  const logFile = resolve(opts.logFile);
  mkdirSync(join(dataDir, 'tmp'), { recursive: true });
  mkdirSync(dirname(logFile), { recursive: true });
  const files = privateServerFiles(dataDir);

  if (!existsSync(join(files.data, 'mysql'))) await initialiseDataDir(server, files.data, logFile);

  const args = [
    '--no-defaults',
    `--datadir=${files.data}`,
    `--socket=${files.socket}`,
    `--pid-file=${files.pid}`,
    `--tmpdir=${join(dataDir, 'tmp')}`,
    `--log-error=${logFile}`,
    `--port=${address.port}`,
    '--bind-address=127.0.0.1',
    // Debian's packaged MariaDB server uses these; without a config file the server would be latin1.
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci',
    '--skip-name-resolve',
    ...runAsCurrentUser(),
  ];
  const logFd = openSync(logFile, 'a');
  writeFileSync(
    logFd,
    `\n===== ${new Date().toISOString()} starting ${server} on 127.0.0.1:${address.port} (datadir ${files.data})\n`,
  );
  const child = spawn(server, args, { cwd: dataDir, detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  child.on('error', () => {});
  // Survives this process: the local stack runs it until `stack down`.
  child.unref();

  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${server} exited during start-up (code ${child.exitCode ?? child.signalCode}); last lines of ${logFile}:\n${await tail(logFile, 20)}`,
      );
    }
    const state = await probeServer(address, 1_000);
    if (state === 'answers') return 'started-private';
    if (state !== 'absent') throw new Error(`The private database server in ${dataDir} refuses DATABASE_URL's user: ${state}`);
    await sleep(200);
  }
  throw new Error(
    `The private database server did not answer on 127.0.0.1:${address.port} within ${readyTimeoutMs / 1000} s; see ${logFile}.`,
  );
}

/** Stops the server that ensureDatabaseServer started from dataDir; resolves to false when none runs. */
export async function stopPrivateDatabaseServer(dataDir: string): Promise<boolean> {
  const pid = privateDatabaseServerPid(dataDir);
  if (pid === undefined) return false;
  await terminate(pid, stopTimeoutMs);
  return true;
}

/** The pid of the private server of dataDir, if it runs (checked against /proc, as a pid can be reused). */
export function privateDatabaseServerPid(dataDir: string): number | undefined {
  const files = privateServerFiles(resolve(dataDir));
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(files.pid, 'utf8'), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return commandLine.includes(`--datadir=${files.data}`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when a server accepts DATABASE_URL's user and runs `SELECT 1`. */
export async function databaseServerAnswers(databaseUrl: string): Promise<boolean> {
  return (await probeServer(parseDatabaseUrl(databaseUrl), 2_000)) === 'answers';
}

function parseDatabaseUrl(databaseUrl: string): ServerAddress {
  const url = new URL(databaseUrl);
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new Error(`DATABASE_URL must be a mysql:// URL, not ${url.protocol}//…`);
  }
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 3306 : Number(url.port),
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password),
  };
}

/** 'answers', 'absent' (nothing listens or it does not speak MySQL in time), or the server's refusal. */
async function probeServer(address: ServerAddress, timeoutMs: number): Promise<string> {
  let connection: mysql.Connection | undefined;
  try {
    connection = await mysql.createConnection({
      host: address.host,
      port: address.port,
      user: address.user,
      password: address.password,
      connectTimeout: timeoutMs,
    });
    await connection.query({ sql: 'SELECT 1', timeout: timeoutMs });
    return 'answers';
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    // An answer that is a refusal (wrong password, unknown user, too many connections) means a server is there.
    if (code?.startsWith('ER_')) return `${code}: ${message}`;
    return 'absent';
  } finally {
    await connection?.end().catch(() => {});
  }
}

function privateServerFiles(dataDir: string): { data: string; socket: string; pid: string } {
  return { data: join(dataDir, 'data'), socket: join(dataDir, 'mysqld.sock'), pid: join(dataDir, 'mysqld.pid') };
}

async function initialiseDataDir(server: string, dataDir: string, logFile: string): Promise<void> {
  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db']);
  const [command, args] =
    installDb !== undefined
      ? [
          installDb,
          [
            '--no-defaults',
            `--datadir=${dataDir}`,
            '--auth-root-authentication-method=normal',
            '--skip-test-db',
            '--skip-name-resolve',
            ...runAsCurrentUser(),
          ],
        ]
      : // MySQL 8 has no install-db script; it initialises itself, with a root that has no password.
        [server, ['--no-defaults', `--datadir=${dataDir}`, '--initialize-insecure', ...runAsCurrentUser()]];
  await new Promise<void>((resolveRun, reject) => {
    execFile(command, args, { cwd: dirname(dataDir), timeout: 120_000 }, (error, stdout, stderr) => {
      if (error === null) return resolveRun();
      const output = `${stdout}${stderr}`.trim().split('\n').slice(-20).join('\n');
      writeFileSync(logFile, `\n===== ${command} failed\n${output}\n`, { flag: 'a' });
      reject(
        new Error(
          `Initialising the database directory ${dataDir} with ${command} failed: ${error.message.split('\n')[0]}\n${output}`,
          {
            cause: error,
          },
        ),
      );
    });
  });
}

/** mariadbd/mysqld refuse to run as root unless told so explicitly. */
function runAsCurrentUser(): string[] {
  return process.getuid?.() === 0 ? [`--user=${userInfo().username}`] : [];
}

function findBinary(names: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter((dir) => dir !== ''), ...binaryDirs];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not in this directory
      }
    }
  }
  return undefined;
}

async function tail(file: string, lines: number): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
