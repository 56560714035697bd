/**
 * Entry point of `npm start`: reads the configuration, starts the service, and handles signals.
 * SIGTERM/SIGINT stop gracefully (exit 0 within SHUTDOWN_TIMEOUT_SECS), during start-up too; a
 * second signal exits at once.
 *
 * With `WORKERS` > 1 this process becomes the instance's supervisor (src/cluster/supervisor.ts)
 * and forks the workers, each of which runs this file again as a worker.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { autoWorkersHere } from './cluster/auto-workers.js';
import { ConfigError, environmentWithDotenv, loadConfig, loadWorkerSettings, processEnvironment, WorkerEnv, type Config, type Env } from './config.js';
import { createLogger, redactSecrets, secretsOf, secretsOfEnv, type Logger } from './log.js';
import type { AppOptions, startApp } from './app.js';
import { feedIdentity, followFeed } from './app/feed.js';
import { simulatedMatchdayClock } from './app/sim-clock.js';
import { openSqliteStore } from './app/store.js';
import type { WorkerMessage } from './cluster/messages.js';
import { startSupervisor } from './cluster/supervisor.js';
import { WorkerLink, type PrimaryChannel } from './cluster/worker-link.js';
import { DataDirInUseError } from './store/data-dir-lock.js';
import { requireProvider } from './upstream/registry.js';

let config: Config;
let env: Env = processEnvironment();
try {
  env = environmentWithDotenv(env);
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

/** Why start-up failed, in one line. */
function startFailure(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message =
    code === 'EADDRINUSE'
      ? `${config.bindSource === 'PORT' ? 'PORT' : 'BIND_ADDRESS'} ${config.host}:${config.port} is already in use`
      : error instanceof Error
        ? error.message
        : String(error);
  // The logger scrubs the configured secrets; the URL and APIkey= patterns catch any other.
  return redactSecrets(message, []);
}

/**
 * One line saying why start-up failed, then exit 1. A worker tells its primary instead, which
 * gives up once workers keep failing and prints the one line for the instance.
 */
async function failStart(error: unknown): Promise<never> {
  if (error instanceof DataDirInUseError) {
    // One line and nothing else (no stack, no fields pretty output would spread over more lines):
    // the operator's only task is to stop the other instance or pick another directory.
    logger.fatal(error.message);
    process.exit(1);
  }
  const message = startFailure(error);
  const send = process.send?.bind(process);
  if (isWorker && send !== undefined) {
    logger.error({ err: error }, `worker start-up failed: ${message}`);
    // Exit once the primary has the cause (or soon, should the channel be gone).
    setTimeout(() => process.exit(1), 1_000);
    send({ fsc: 'failed', message } satisfies WorkerMessage, undefined, undefined, () => process.exit(1));
    // Nothing else runs in this process.
    return new Promise<never>(() => undefined);
  }
  logger.fatal({ err: error }, `start-up failed: ${message}`);
  process.exit(1);
}

type StopSource = NodeJS.Signals | 'primary' | 'failed';

/**
 * The process's one shutdown, whoever asks first: SIGTERM, SIGINT, or (in a worker) the primary
 * over IPC. Installed before anything starts, so a stop during start-up is honoured at once (there
 * is nothing to drain yet) instead of being lost or waiting for a timeout.
 *
 * Every later request is the same request, with one exception kept from the seed: a second SIGTERM
 * or SIGINT to the primary (or a single process) exits at once. A worker never reads a signal as a
 * second one: under a signal to the whole process group it gets the primary's relay and its own
 * signal, in either order, and both mean one graceful stop (the primary handles a real second one).
 */
class Lifecycle {
  private stopFn: (() => Promise<unknown>) | undefined;
  private requested: StopSource | undefined;

  constructor() {
    process.on('SIGTERM', (signal) => this.requestStop(signal));
    process.on('SIGINT', (signal) => this.requestStop(signal));
  }

  /** The service is up: from now on a stop is graceful through `stop`. */
  started(stop: () => Promise<unknown>): void {
    this.stopFn = stop;
  }

  /** Stops once. */
  requestStop(source: StopSource): void {
    if (this.requested !== undefined) {
      if (isWorker || source === 'primary' || source === 'failed') return;
      logger.warn({ signal: source }, 'second signal: exiting at once');
      process.exit(1);
    }
    this.requested = source;
    logger.info({ signal: source }, 'signal received: shutting down gracefully');
    if (this.stopFn === undefined) {
      // Still starting: nothing listens or holds clients yet, the store commits atomically and the
      // kernel drops the DATA_DIR lock with the process.
      logger.info('stopped during start-up');
      process.exit(0);
    }
    this.runStop();
  }

  /** The instance cannot start (workers keep failing): one line, stop what runs, exit 1. */
  fail(cause: string): void {
    logger.fatal(`start-up failed: ${cause}`);
    this.exitCode = 1;
    // Already stopping: that stop now ends with 1.
    if (this.requested !== undefined) return;
    this.requested = 'failed';
    this.runStop();
  }

  private exitCode = 0;

  private runStop(): void {
    const stop = this.stopFn;
    if (stop === undefined) return;
    this.stopFn = undefined;
    // unref: the deadline must not itself keep the process alive once everything has closed.
    // The ready grace (SHUTDOWN_READY_GRACE_SECS) comes first; SHUTDOWN_TIMEOUT_SECS bounds the rest.
    const deadlineMs = config.shutdownReadyGraceMs + config.shutdownTimeoutMs;
    setTimeout(() => {
      logger.error({ timeout_ms: deadlineMs }, 'graceful shutdown took too long; exiting');
      process.exit(1);
    }, deadlineMs).unref();
    stop().then(
      () => process.exit(this.exitCode),
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  }
}

const lifecycle = new Lifecycle();

if (config.workers > 1 && cluster.isPrimary) {
  // The supervisor: the instance's DATA_DIR lock and its simulated provider live here, so workers
  // can die and be replaced while the instance keeps both.
  const cleanup: Array<() => Promise<void>> = [];
  const workerEnv: Record<string, string> = {};
  try {
    // On Redis every worker is a node of its own (shared history, leader lease): nothing to hold here.
    if (config.redis === undefined) {
      const store = openSqliteStore(config, cleanup, false, logger);
      await followFeed(store, feedIdentity(config), logger);
      if (config.upstream.useBuiltInSim) {
        const { startSimServer } = await import('./sim/server.js');
        const renderer = await requireProvider(config.upstream.provider).loadSimulator();
        const sim = await startSimServer({ renderer, speed: config.simSpeed, startAtSimSecs: await simulatedMatchdayClock(store, config.simSpeed) });
        cleanup.unshift(() => sim.close());
        workerEnv[WorkerEnv.SimBaseUrl] = sim.baseUrl;
        workerEnv[WorkerEnv.SimPushUrl] = sim.pushUrl;
        logger.info(
          { upstream: sim.baseUrl, sim_speed: config.simSpeed },
          config.upstream.provider === 'api-football'
            ? "No APIFOOTBALL_API_KEY set: using the built-in simulated matchday in API-Football's format. Set APIFOOTBALL_API_KEY to poll the real API-Football."
            : 'No ALLSPORTS_API_KEY set: using the built-in simulated matchday. Set ALLSPORTS_API_KEY to poll the real AllSportsAPI.',
        );
      }
      // The workers open the database themselves; the primary keeps only the lock.
      await store.close();
    }
  } catch (error) {
    for (const step of cleanup) await step().catch(() => undefined);
    await failStart(error);
  }
  if (env['WORKERS']?.trim().toLowerCase() === 'auto') {
    logger.info({ workers: config.workers, why: autoWorkersHere(availableParallelism(), config.limits.maxConnections).reason }, 'WORKERS=auto');
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
    onFailed: (cause) => lifecycle.fail(cause),
  });
  lifecycle.started(() => supervisor.stop());
} else {
  let worker: AppOptions['worker'];
  let app: Awaited<ReturnType<typeof startApp>>;
  try {
    if (isWorker) {
      // A worker whose primary is gone (killed, even with SIGKILL) must not linger: the instance is over.
      process.on('disconnect', () => process.exit(0));
      const settings = loadWorkerSettings(env);
      const link = new WorkerLink(process as unknown as PrimaryChannel, settings.count);
      // The supervisor relays a graceful stop over IPC; heard from the start, so none is lost.
      link.onShutdown(() => lifecycle.requestStop('primary'));
      worker = { link, primarySimulator: settings.simulator, localAdmission: settings.localAdmission };
    }
    // Loaded here, not above: a WORKERS primary never serves, and forks its workers sooner without
    // the HTTP and WebSocket stack (~0.5 s of module loading on this machine; a restart's clients wait for it).
    const { startApp: start } = await import('./app.js');
    app = await start({ config, logger, ...(worker ? { worker } : {}) });
  } catch (error) {
    await failStart(error);
  }
  lifecycle.started(() => app.stop());
}
