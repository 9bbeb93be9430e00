// A MariaDB/MySQL server process of the test's own (started from the machine's mariadbd/mysqld), for tests
// that stop the database: the shared server stays up for everyone else.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDatabaseServer, stopPrivateDatabaseServer } from '../../scripts/local-stack/database.ts';
import { freePort } from './free-port.ts';

export interface OwnDatabaseServer {
  serverUrl: string;
  stop(): Promise<void>;
  start(): Promise<void>;
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
  await start();
  return {
    serverUrl,
    start,
    stop: async () => {
      await stopPrivateDatabaseServer(options.dataDir);
    },
    dispose: async () => {
      await stopPrivateDatabaseServer(options.dataDir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
