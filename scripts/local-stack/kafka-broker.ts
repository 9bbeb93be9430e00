// A real single-node Apache Kafka broker (KRaft, broker and controller in one JVM) run from
// jars that Maven fetches into .cache/, so that the local stack and the integration tests need
// neither Docker nor a Kafka installation. Used by scripts/stack.ts (detached, survives the CLI)
// and by the test suite (a child that dies with the test process; some tests stop and restart it).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin } from '@platformatic/kafka';
import { ensureMavenJars } from './maven-jars.ts';
import { freePort } from './ports.ts';
import { isChildAlive, run, startWatchdog, terminate, terminateChild } from './processes.ts';

export const KAFKA_VERSION = '4.1.1';

const repoRoot = resolve(import.meta.dirname, '../..');
const kafkaProjectDir = join(import.meta.dirname, 'kafka');
const pomFile = join(kafkaProjectDir, 'pom.xml');
const log4jConfigFile = join(kafkaProjectDir, 'log4j2.properties');
const libsDir = join(repoRoot, '.cache', 'kafka', KAFKA_VERSION, 'libs');

const readyTimeoutMs = 60_000;
const stopTimeoutMs = 20_000;
const nodeId = 1;

export interface KafkaBrokerOptions {
  port: number;
  /** Default: a free port, chosen on the first start and kept in dataDir for restarts. */
  controllerPort?: number;
  dataDir: string;
  logFile: string;
  /** Default 512. */
  heapMb?: number;
}

/** What a restart on the same dataDir must reuse: the controller endpoint and the cluster id are written into the storage at format time. */
interface StoredState {
  port: number;
  controllerPort: number;
  clusterId: string;
}

export class KafkaBroker {
  readonly bootstrap: string;
  readonly #options: Required<Omit<KafkaBrokerOptions, 'controllerPort'>> & { controllerPort: number | undefined };
  #child: ChildProcess | undefined;
  #watchdog: ChildProcess | undefined;

  constructor(options: KafkaBrokerOptions) {
    this.#options = {
      port: options.port,
      controllerPort: options.controllerPort,
      dataDir: resolve(options.dataDir),
      logFile: resolve(options.logFile),
      heapMb: options.heapMb ?? 512,
    };
    this.bootstrap = `127.0.0.1:${options.port}`;
  }

  /** Fetches the broker's jars with Maven unless a previous run completed; returns the directory of the jars. */
  static async ensureJars(): Promise<string> {
    return ensureMavenJars({
      pomFile,
      libsDir,
      what: `Kafka ${KAFKA_VERSION}`,
      requiredJarPrefix: `kafka_2.13-${KAFKA_VERSION}`,
    });
  }

  /** Stops the broker whose pid file is in dataDir, whichever process started it. Resolves to false when none was running. */
  static async stopFromPidFile(dataDir: string): Promise<boolean> {
    const pid = runningBrokerPid(resolve(dataDir));
    if (pid === undefined) {
      rmSync(pidFileOf(resolve(dataDir)), { force: true });
      return false;
    }
    await terminate(pid, stopTimeoutMs);
    rmSync(pidFileOf(resolve(dataDir)), { force: true });
    return true;
  }

  /** True while a broker process for this dataDir is alive (started by this object or, via the pid file, by another process). It may not serve clients yet: see isServing(). */
  isRunning(): boolean {
    if (this.#child !== undefined && isChildAlive(this.#child)) return true;
    return runningBrokerPid(this.#options.dataDir) !== undefined;
  }

  /** One metadata request: true when the broker answers clients at `bootstrap`. */
  async isServing(timeoutMs = 2_000): Promise<boolean> {
    return brokerAnswers(this.bootstrap, timeoutMs);
  }

  /** The pid of the broker process, if one is running for this dataDir. */
  get pid(): number | undefined {
    return runningBrokerPid(this.#options.dataDir);
  }

  async start(opts: { detached?: boolean } = {}): Promise<void> {
    const { dataDir, logFile, heapMb } = this.#options;
    const runningPid = runningBrokerPid(dataDir);
    if (runningPid !== undefined)
      throw new Error(`A Kafka broker (pid ${runningPid}) already runs from ${dataDir}; stop it first.`);

    const libs = await KafkaBroker.ensureJars();
    mkdirSync(join(dataDir, 'tmp'), { recursive: true });
    mkdirSync(dirname(logFile), { recursive: true });
    const state = await this.#loadOrCreateState();
    const propertiesFile = join(dataDir, 'server.properties');
    writeFileSync(propertiesFile, serverProperties(dataDir, state));

    const jvmArgs = [
      `-Xmx${heapMb}m`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:+ExplicitGCInvokesConcurrent',
      '-Djava.awt.headless=true',
      // Keep every file the JVM writes inside dataDir: no /tmp/hsperfdata_*, and the native
      // libraries of snappy/zstd/lz4 unpacked under dataDir/tmp instead of /tmp.
      '-XX:-UsePerfData',
      `-XX:ErrorFile=${join(dataDir, 'hs_err_pid%p.log')}`,
      `-Djava.io.tmpdir=${join(dataDir, 'tmp')}`,
      `-Dlog4j2.configurationFile=${log4jConfigFile}`,
      `-Dkafka.logs.dir=${dataDir}`,
      '-cp',
      `${libs}/*`,
    ];

    if (!existsSync(join(dataDir, 'logs', 'meta.properties'))) {
      // --standalone writes this node as the only voter of a dynamic (KIP-853) controller quorum,
      // the form Kafka 4.x documents for controller.quorum.bootstrap.servers.
      await run(
        'java',
        [
          ...jvmArgs,
          'kafka.tools.StorageTool',
          'format',
          '--cluster-id',
          state.clusterId,
          '--config',
          propertiesFile,
          '--standalone',
          '--ignore-formatted',
        ],
        60_000,
        {},
        dataDir,
      ).catch((error: unknown) => {
        throw new Error(`Formatting the Kafka storage in ${dataDir} failed: ${(error as Error).message}`, { cause: error });
      });
    }

    const detached = opts.detached ?? false;
    const logFd = openSync(logFile, 'a');
    writeFileSync(
      logFd,
      `\n===== ${new Date().toISOString()} starting Kafka ${KAFKA_VERSION} on ${this.bootstrap} (dataDir ${dataDir})\n`,
    );
    let child: ChildProcess;
    try {
      child = spawn('java', [...jvmArgs, 'kafka.Kafka', propertiesFile], {
        cwd: dataDir,
        detached,
        stdio: ['ignore', logFd, logFd],
      });
    } finally {
      closeSync(logFd);
    }
    const spawnError = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new Error(`Cannot run java: ${error.message}. Install Java 17+.`, { cause: error })));
    });
    spawnError.catch(() => {});
    // Lifetime is explicit (stop(), or the watchdog below): the broker must not keep the parent's event loop alive.
    child.unref();
    if (child.pid === undefined) await spawnError;
    const pid = child.pid as number;
    writeFileSync(pidFileOf(dataDir), `${pid}\n`);
    this.#child = child;
    if (!detached) {
      // A test runner that crashes or is killed must not leave its broker behind.
      const watchdog = startWatchdog(pid, 'kafka-broker-watchdog', stopTimeoutMs);
      // Another process may stop this broker (stopFromPidFile); the watchdog must not outlive it and later signal a reused pid.
      child.once('exit', () => {
        if (isChildAlive(watchdog)) watchdog.kill('SIGKILL');
      });
      this.#watchdog = watchdog;
    }

    try {
      await Promise.race([spawnError, this.#waitUntilServing(child)]);
    } catch (error) {
      await this.stop().catch(() => {});
      throw error;
    }
  }

  async stop(): Promise<void> {
    const watchdog = this.#watchdog;
    this.#watchdog = undefined;
    if (watchdog !== undefined && isChildAlive(watchdog)) watchdog.kill('SIGKILL');

    const child = this.#child;
    this.#child = undefined;
    if (child !== undefined && isChildAlive(child)) {
      await terminateChild(child, stopTimeoutMs);
      rmSync(pidFileOf(this.#options.dataDir), { force: true });
      return;
    }
    await KafkaBroker.stopFromPidFile(this.#options.dataDir);
  }

  async #loadOrCreateState(): Promise<StoredState> {
    const { dataDir, port, controllerPort } = this.#options;
    const file = join(dataDir, 'broker.json');
    if (existsSync(file)) {
      const stored = JSON.parse(await readFile(file, 'utf8')) as StoredState;
      if (controllerPort !== undefined && controllerPort !== stored.controllerPort) {
        throw new Error(
          `${dataDir} was formatted with controller port ${stored.controllerPort}, not ${controllerPort}; use that port or delete the directory.`,
        );
      }
      // The client port is not written into the storage, so following the caller is safe.
      const state = { ...stored, port };
      writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
      return state;
    }
    const state: StoredState = {
      port,
      controllerPort: controllerPort ?? (await freePort()),
      clusterId: newClusterId(),
    };
    writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
    return state;
  }

  async #waitUntilServing(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (!isChildAlive(child)) {
        throw new Error(
          `Kafka exited during start-up (code ${child.exitCode ?? child.signalCode}); from ${this.#options.logFile}:\n${await startupProblems(this.#options.logFile)}`,
        );
      }
      // Kafka accepts TCP connections on the client port before it has joined the quorum;
      // a metadata answer that lists this node is the proof that clients can produce and consume.
      if (await brokerAnswers(this.bootstrap, 2_000)) return;
      await sleep(100);
    }
    throw new Error(
      `Kafka did not serve clients on ${this.bootstrap} within ${readyTimeoutMs / 1000} s; see ${this.#options.logFile}:\n${await startupProblems(this.#options.logFile)}`,
    );
  }
}

function serverProperties(dataDir: string, state: StoredState): string {
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': nodeId,
    listeners: `PLAINTEXT://127.0.0.1:${state.port},CONTROLLER://127.0.0.1:${state.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${state.port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.quorum.bootstrap.servers': `127.0.0.1:${state.controllerPort}`,
    'log.dirs': join(dataDir, 'logs'),
    'num.partitions': 6,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'auto.create.topics.enable': false,
    // A single node cannot meet the defaults of 3 replicas for the internal topics.
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // Start fast and stay small: 50 partitions per internal topic and a 128 MB cleaner buffer are sized for production clusters.
    'offsets.topic.num.partitions': 6,
    'transaction.state.log.num.partitions': 6,
    'group.initial.rebalance.delay.ms': 0,
    'log.cleaner.dedupe.buffer.size': 16 * 1024 * 1024,
    'num.recovery.threads.per.data.dir': 1,
  };
  const lines = Object.entries(settings).map(([key, value]) => `${key}=${value}`);
  return `# Written by scripts/local-stack/kafka-broker.ts on every start; edit that file, not this one.\n${lines.join('\n')}\n`;
}

/** Kafka cluster ids are 16 random bytes in URL-safe base64 without padding; Kafka itself avoids a leading '-' so the id can be a CLI argument. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function pidFileOf(dataDir: string): string {
  return join(dataDir, 'broker.pid');
}

/** The pid in dataDir's pid file, if that process is alive and is the Kafka broker of this dataDir (a pid can be reused after a reboot). */
function runningBrokerPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFileOf(dataDir), 'utf8'), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return commandLine.includes('kafka.Kafka') && commandLine.includes(join(dataDir, 'server.properties')) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function brokerAnswers(bootstrap: string, timeoutMs: number): Promise<boolean> {
  const admin = new Admin({
    clientId: 'local-stack-probe',
    bootstrapBrokers: [bootstrap],
    connectTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    timeout: timeoutMs,
    retries: 0,
  });
  try {
    const metadata = await admin.metadata({ topics: [] });
    return metadata.brokers.has(nodeId);
  } catch {
    return false;
  } finally {
    await admin.close().catch(() => {});
  }
}

/** The errors Kafka logged since the latest start (the last lines of a failed start are only its orderly shutdown), else the log's tail. */
async function startupProblems(logFile: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(logFile, 'utf8');
  } catch {
    return '(no log)';
  }
  const lines = text
    .slice(text.lastIndexOf('\n=====') + 1)
    .trimEnd()
    .split('\n');
  const errors = lines.filter((line) => / (ERROR|FATAL) /.test(line) || /^(Caused by: )?[\w.$]+(Exception|Error): /.test(line));
  return (errors.length > 0 ? [...new Set(errors)].slice(0, 8) : lines.slice(-25)).join('\n');
}
