// The local stack: a real Kafka broker and a MySQL-compatible server, without Docker.
//   node scripts/stack.ts up       start what is missing (idempotent)
//   node scripts/stack.ts down     stop what `up` started
//   node scripts/stack.ts status   one line per service
// Environment: KAFKA_PORT (default 9092), DATABASE_URL (default mysql://root@127.0.0.1:3306/recording_command).
import { join, relative, resolve } from 'node:path';
import {
  databaseServerAnswers,
  ensureDatabaseServer,
  privateDatabaseServerPid,
  stopPrivateDatabaseServer,
} from './local-stack/database.ts';
import { KafkaBroker } from './local-stack/kafka-broker.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const localDir = join(repoRoot, '.local');
const kafkaDataDir = join(localDir, 'kafka');
const kafkaLogFile = join(localDir, 'kafka.log');
const databaseDataDir = join(localDir, 'mysql');
const databaseLogFile = join(localDir, 'mysql.log');
const databaseUrl = process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/recording_command';

function kafkaPort(): number {
  const raw = process.env.KAFKA_PORT ?? '9092';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`KAFKA_PORT must be a TCP port, not "${raw}".`);
  return port;
}

function databaseAddress(): string {
  const url = new URL(databaseUrl);
  return `${url.hostname}:${url.port === '' ? '3306' : url.port}`;
}

function shown(path: string): string {
  return relative(repoRoot, path);
}

async function up(): Promise<void> {
  const broker = new KafkaBroker({ port: kafkaPort(), dataDir: kafkaDataDir, logFile: kafkaLogFile });
  const jarsStarted = performance.now();
  const libs = await KafkaBroker.ensureJars();
  const jarsSeconds = (performance.now() - jarsStarted) / 1000;
  if (jarsSeconds > 1) console.log(`kafka: jars ready in ${shown(libs)} (${jarsSeconds.toFixed(1)} s)`);

  if (broker.isRunning()) {
    if (!(await broker.isServing())) {
      throw new Error(
        `kafka: a broker (pid ${broker.pid}) runs from ${shown(kafkaDataDir)} but ${broker.bootstrap} does not answer: it is still starting or was started with another KAFKA_PORT; see ${shown(kafkaLogFile)}, or run \`stack down\` first.`,
      );
    }
    console.log(`kafka: already running on ${broker.bootstrap} (pid ${broker.pid})`);
  } else if (await broker.isServing()) {
    console.log(`kafka: ${broker.bootstrap} answers (a broker this stack did not start)`);
  } else {
    const started = performance.now();
    await broker.start({ detached: true });
    console.log(
      `kafka: started on ${broker.bootstrap} in ${((performance.now() - started) / 1000).toFixed(1)} s (pid ${broker.pid}, log ${shown(kafkaLogFile)})`,
    );
  }

  const started = performance.now();
  const state = await ensureDatabaseServer(databaseUrl, { dataDir: databaseDataDir, logFile: databaseLogFile });
  if (state === 'answering') {
    const privatePid = privateDatabaseServerPid(databaseDataDir);
    console.log(
      `database: ${databaseAddress()} answers${privatePid === undefined ? '' : ` (private server, pid ${privatePid})`}`,
    );
  } else {
    console.log(
      `database: started a private server on ${databaseAddress()} in ${((performance.now() - started) / 1000).toFixed(1)} s (data ${shown(databaseDataDir)}, log ${shown(databaseLogFile)})`,
    );
  }
}

async function down(): Promise<void> {
  console.log((await KafkaBroker.stopFromPidFile(kafkaDataDir)) ? 'kafka: stopped' : 'kafka: not running');
  if (await stopPrivateDatabaseServer(databaseDataDir)) console.log('database: private server stopped');
  else console.log(`database: no private server running (${databaseAddress()} is left alone)`);
}

async function status(): Promise<void> {
  const broker = new KafkaBroker({ port: kafkaPort(), dataDir: kafkaDataDir, logFile: kafkaLogFile });
  const serving = await broker.isServing();
  if (broker.isRunning())
    console.log(`kafka: ${serving ? 'running' : 'NOT answering'} on ${broker.bootstrap} (pid ${broker.pid})`);
  else console.log(serving ? `kafka: ${broker.bootstrap} answers (a broker this stack did not start)` : 'kafka: not running');

  const answers = await databaseServerAnswers(databaseUrl);
  const privatePid = privateDatabaseServerPid(databaseDataDir);
  const owner = privatePid === undefined ? '' : ` (private server, pid ${privatePid})`;
  console.log(`database: ${databaseAddress()} ${answers ? 'answers' : 'does NOT answer'}${owner}`);
}

const commands: Record<string, () => Promise<void>> = { up, down, status };
const command = commands[process.argv[2] ?? ''];
if (command === undefined) {
  console.error('usage: node scripts/stack.ts up|down|status');
  process.exitCode = 2;
} else {
  try {
    await command();
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
}
