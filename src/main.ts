// The process: read the config, start the service, stop it on SIGTERM/SIGINT (a second signal exits at once).

import { IdleMemoryReducer } from './app/idle-memory.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger, startService } from './service.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger(config);
process.on('unhandledRejection', (reason) => {
  logger.fatal({ err: reason }, 'unhandled promise rejection');
  process.exit(1);
});

/**
 * With `gc` exposed (`--expose-gc`, as `npm start` and the container run the service): a memory-reducing
 * collection once the event loop has been nearly unused for 10 s. An idle service uses about 1 % of it.
 */
function idleMemoryReducer(gc: NodeJS.GCFunction | undefined): IdleMemoryReducer | undefined {
  if (gc === undefined) return undefined;
  let last = performance.eventLoopUtilization();
  return new IdleMemoryReducer({
    checkEveryMs: 2_000,
    idleForMs: 10_000,
    maxIdleUtilization: 0.02,
    loopUtilizationSinceLastCheck: () => {
      const now = performance.eventLoopUtilization();
      const since = performance.eventLoopUtilization(now, last).utilization;
      last = now;
      return since;
    },
    reduceMemory: () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' }),
    onReduced: (tookMs) =>
      logger.info({ ms: Math.round(tookMs), rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20) }, 'idle: memory given back'),
  });
}

try {
  const service = await startService(config, logger);
  const idleMemory = idleMemoryReducer(globalThis.gc);
  idleMemory?.start();
  let signals = 0;
  const shutdown = (signal: string, exitCode = 0) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal, deadlineMs: config.shutdownTimeoutMs }, 'shutting down');
    idleMemory?.stop();
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs: config.shutdownTimeoutMs }, 'shutdown deadline passed: exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    service.stop().then(
      () => {
        logger.info('stopped');
        process.exit(exitCode);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Stop loudly: a non-zero exit makes the supervisor restart the process and someone look at why.
  void service.halted.then(() => shutdown('ingestion halted', 1));
} catch (error) {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
}
