// A MariaDB/MySQL server process of the test's own (started from the machine's mariadbd/mysqld), for tests
// that stop the database: the shared server stays up for everyone else.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDatabaseServer, privateDatabaseServerPid, stopPrivateDatabaseServer } from '../scripts/local-stack/database.ts';
import { freePort } from '../scripts/local-stack/ports.ts';

export interface OwnDatabaseServer {
  serverUrl: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP/SIGCONT: the server keeps its connections open but answers nothing, like a hung host. */
  freeze(): void;
  thaw(): void;
  dispose(): Promise<void>;
}

export async function startOwnDatabaseServer(): Promise<OwnDatabaseServer> {
  const dir = await mkdtemp(join(tmpdir(), 'recording-own-db-'));
  const serverUrl = `mysql://root@127.0.0.1:${await freePort()}`;
  const options = { dataDir: join(dir, 'data'), logFile: join(dir, 'mysql.log') };
  const start = async () => {
    const state = await ensureDatabaseServer(`${serverUrl}/mysql`, options);
    if (state !== 'started-private') throw new Error(`expected a private database server, found one already ${state}`);
  };
  const signal = (name: NodeJS.Signals) => {
    const pid = privateDatabaseServerPid(options.dataDir);
    if (pid === undefined) throw new Error('the private database server does not run');
    process.kill(pid, name);
  };
  await start();
  return {
    serverUrl,
    start,
    stop: async () => {
      await stopPrivateDatabaseServer(options.dataDir);
    },
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    dispose: async () => {
      // A frozen server would ignore the SIGTERM until its stop deadline.
      if (privateDatabaseServerPid(options.dataDir) !== undefined) signal('SIGCONT');
      await stopPrivateDatabaseServer(options.dataDir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
