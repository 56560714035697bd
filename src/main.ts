/**
 * Entry point of `npm start`: reads the configuration, starts the service, and handles signals.
 * SIGTERM/SIGINT stop gracefully (exit 0 within SHUTDOWN_TIMEOUT_SECS); a second signal exits at once.
 */
import { ConfigError, environmentWithDotenv, loadConfig, type Config } from './config.js';
import { createLogger, secretsOf } from './log.js';
import { startApp } from './app.js';
import { DataDirInUseError } from './store/data-dir-lock.js';

let config: Config;
try {
  config = loadConfig(environmentWithDotenv(process.env));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Configuration error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger(config, secretsOf(config));

process.on('unhandledRejection', (reason) => {
  logger.error({ err: reason }, 'unhandled promise rejection');
});
process.on('uncaughtException', (error) => {
  logger.fatal({ err: error }, 'uncaught exception; exiting');
  process.exit(1);
});

let app: Awaited<ReturnType<typeof startApp>>;
try {
  app = await startApp({ config, logger });
} catch (error) {
  if (error instanceof DataDirInUseError) {
    // One line and nothing else (no stack, no fields pretty output would spread over more lines):
    // the operator's only task is to stop the other instance or pick another directory.
    logger.fatal(error.message);
    process.exit(1);
  }
  const code = (error as { code?: string }).code;
  const message =
    code === 'EADDRINUSE'
      ? `BIND_ADDRESS ${config.host}:${config.port} is already in use`
      : error instanceof Error
        ? error.message
        : String(error);
  logger.fatal({ err: error }, `start-up failed: ${message}`);
  process.exit(1);
}

let signalled = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (signalled) {
    logger.warn({ signal }, 'second signal: exiting at once');
    process.exit(1);
  }
  signalled = true;
  logger.info({ signal }, 'signal received: shutting down gracefully');
  // unref: the deadline must not itself keep the process alive once everything has closed.
  setTimeout(() => {
    logger.error({ timeout_ms: config.shutdownTimeoutMs }, 'graceful shutdown took too long; exiting');
    process.exit(1);
  }, config.shutdownTimeoutMs).unref();
  app.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'error during shutdown');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);
