/**
 * Entry point of `npm start`: reads the configuration, starts the service, and handles signals.
 * SIGTERM/SIGINT stop gracefully (exit 0 within SHUTDOWN_TIMEOUT_SECS); a second signal exits at once.
 *
 * With `WORKERS` > 1 this process becomes the instance's supervisor (src/cluster/supervisor.ts)
 * and forks the workers, each of which runs this file again as a worker.
 */
import cluster from 'node:cluster';
import { ConfigError, environmentWithDotenv, loadConfig, type Config, type Env } from './config.js';
import { createLogger, redactSecrets, secretsOf, secretsOfEnv, type Logger } from './log.js';
import { feedIdentity, followFeed, openSqliteStore, simulatedMatchdayClock, startApp } from './app.js';
import { WorkerEnv } from './cluster/messages.js';
import { startSupervisor } from './cluster/supervisor.js';
import { WorkerLink } from './cluster/worker-link.js';
import type { PrimaryChannel } from './bus/ipc-bus.js';
import { DataDirInUseError } from './store/data-dir-lock.js';

let config: Config;
let env: Env = process.env;
try {
  env = environmentWithDotenv(process.env);
  config = loadConfig(env);
} catch (error) {
  // No logger (and no scrubber) yet: the line is scrubbed of every secret the environment holds.
  const line =
    error instanceof ConfigError
      ? `Configuration error: ${error.message}`
      : `start-up failed while reading the configuration: ${error instanceof Error ? error.message : String(error)}`;
  console.error(redactSecrets(line, secretsOfEnv(env)));
  process.exit(1);
}

const isWorker = cluster.isWorker;
const baseLogger = createLogger(config, secretsOf(config));
const logger: Logger = isWorker ? baseLogger.child({ worker: cluster.worker?.id }) : baseLogger;

process.on('unhandledRejection', (reason) => {
  logger.error({ err: reason }, 'unhandled promise rejection');
});
process.on('uncaughtException', (error) => {
  logger.fatal({ err: error }, 'uncaught exception; exiting');
  process.exit(1);
});

/** One line saying why start-up failed, then exit 1. */
function failStart(error: unknown): never {
  if (error instanceof DataDirInUseError) {
    // One line and nothing else (no stack, no fields pretty output would spread over more lines):
    // the operator's only task is to stop the other instance or pick another directory.
    logger.fatal(error.message);
    process.exit(1);
  }
  const code = (error as { code?: string }).code;
  const message =
    code === 'EADDRINUSE'
      ? `${config.bindSource === 'PORT' ? 'PORT' : 'BIND_ADDRESS'} ${config.host}:${config.port} is already in use`
      : error instanceof Error
        ? error.message
        : String(error);
  // The logger scrubs the configured secrets; the URL and APIkey= patterns catch any other.
  logger.fatal({ err: error }, `start-up failed: ${redactSecrets(message, [])}`);
  process.exit(1);
}

/** Runs `stop` on SIGTERM/SIGINT within SHUTDOWN_TIMEOUT_SECS; a second signal exits at once. */
function onSignals(stop: () => Promise<unknown>): (signal: NodeJS.Signals | 'primary') => void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals | 'primary') => {
    if (signalled) {
      // The primary's relay of a stop this worker already received as a signal (Ctrl-C or a
      // supervisor signalling the whole process group) is the same request, not a second one.
      if (signal === 'primary') return;
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    signalled = true;
    logger.info({ signal }, 'signal received: shutting down gracefully');
    // unref: the deadline must not itself keep the process alive once everything has closed.
    // The ready grace (SHUTDOWN_READY_GRACE_SECS) comes first; SHUTDOWN_TIMEOUT_SECS bounds the rest.
    const deadlineMs = config.shutdownReadyGraceMs + config.shutdownTimeoutMs;
    setTimeout(() => {
      logger.error({ timeout_ms: deadlineMs }, 'graceful shutdown took too long; exiting');
      process.exit(1);
    }, deadlineMs).unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return onSignal;
}


if (config.workers > 1 && cluster.isPrimary) {
  // The supervisor: the instance's DATA_DIR lock and its simulated provider live here, so workers
  // can die and be replaced while the instance keeps both.
  const cleanup: Array<() => Promise<void>> = [];
  const workerEnv: Record<string, string> = {};
  try {
    // On Redis every worker is a node of its own (shared history, leader lease): nothing to hold here.
    if (config.redis === undefined) {
      const store = openSqliteStore(config, cleanup);
      await followFeed(store, feedIdentity(config), logger);
      if (config.upstream.useBuiltInSim) {
        const { startSimServer } = await import('./sim/server.js');
        const sim = await startSimServer({ speed: config.simSpeed, startAtSimSecs: await simulatedMatchdayClock(store, config.simSpeed) });
        cleanup.unshift(() => sim.close());
        workerEnv[WorkerEnv.SimBaseUrl] = sim.baseUrl;
        workerEnv[WorkerEnv.SimPushUrl] = sim.pushUrl;
        logger.info(
          { upstream: sim.baseUrl, sim_speed: config.simSpeed },
          'No ALLSPORTS_API_KEY set: using the built-in simulated matchday. Set ALLSPORTS_API_KEY to poll the real AllSportsAPI.',
        );
      }
      // The workers open the database themselves; the primary keeps only the lock.
      await store.close();
    }
  } catch (error) {
    for (const step of cleanup) await step().catch(() => undefined);
    failStart(error);
  }
  const supervisor = startSupervisor({
    config,
    logger,
    workers: config.workers,
    workerEnv,
    // On Redis the leader lease names the writer; without it, the supervisor does.
    assignWriter: config.redis === undefined,
    onStopped: async () => {
      for (const step of cleanup.reverse()) await step();
    },
  });
  onSignals(() => supervisor.stop());
} else {
  let worker: WorkerLink | undefined;
  if (isWorker) {
    // A worker whose primary is gone (killed, even with SIGKILL) must not linger: the instance is over.
    process.on('disconnect', () => process.exit(0));
    const count = Number(process.env[WorkerEnv.Count] ?? '1');
    worker = new WorkerLink(process as unknown as PrimaryChannel, count);
  }
  let app: Awaited<ReturnType<typeof startApp>>;
  try {
    app = await startApp({ config, logger, ...(worker ? { worker } : {}) });
  } catch (error) {
    failStart(error);
  }
  const onStop = onSignals(() => app.stop());
  // The supervisor relays a graceful stop over IPC.
  if (worker) worker.onShutdown(() => onStop('primary'));
}
