// A Kafka broker of the caller's own on a free port, in a temporary directory: the run's broker (stack.ts), or a
// test's own for tests that stop and start it while the shared broker stays up.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaBroker } from '../scripts/local-stack/kafka-broker.ts';
import { freePort } from '../scripts/local-stack/ports.ts';

export interface OwnBroker {
  broker: KafkaBroker;
  bootstrap: string;
  /** Stops the broker and starts a new process on the same port and storage (data kept). */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startOwnBroker(hooks: { beforeStop?: (broker: KafkaBroker) => Promise<void> } = {}): Promise<OwnBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'recording-own-broker-'));
  const options = { port: await freePort(), dataDir: join(dir, 'kafka'), logFile: join(dir, 'kafka.log') };
  const handle: OwnBroker = {
    broker: new KafkaBroker(options),
    bootstrap: `127.0.0.1:${options.port}`,
    restart: async () => {
      await handle.broker.stop();
      handle.broker = new KafkaBroker(options);
      await handle.broker.start();
    },
    dispose: async () => {
      await hooks.beforeStop?.(handle.broker);
      await handle.broker.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await handle.broker.start();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return handle;
}
