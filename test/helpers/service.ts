/**
 * Starts the service in-process on port 0 with a temporary DATA_DIR and a log that tests can read.
 * Configuration goes through the real `loadConfig`, so tests exercise the same validation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startApp, type RunningApp } from '../../src/app.js';
import { createLogger } from '../../src/log.js';
import type { FanoutMode } from '../../src/server/ws.js';
import type { EventStore } from '../../src/store/types.js';

export interface TestService {
  readonly app: RunningApp;
  readonly url: string;
  readonly wsUrl: string;
  readonly dataDir: string;
  /** Every log line written so far (JSON text). */
  readonly logs: string[];
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Keep the data directory on stop (for restart tests). */
  readonly keepData?: boolean;
  readonly dataDir?: string;
  readonly fanoutMode?: FanoutMode;
  /** A store to use instead of the SQLite one the service would open in its DATA_DIR. */
  readonly store?: EventStore;
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'fsc-test-'));
}

export async function startService(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestService> {
  const dataDir = options.dataDir ?? tempDataDir();
  const config = loadConfig({
    BIND_ADDRESS: '127.0.0.1:0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'debug',
    UPSTREAM_RETRY_BASE_SECS: '0.01',
    ...env,
  });
  const logs: string[] = [];
  const logger = createLogger(config, [config.upstream.apiKey ?? ''].filter((s) => s !== ''), {
    write: (line: string) => {
      logs.push(line);
    },
  });
  const app = await startApp({
    config,
    logger,
    ...(options.fanoutMode ? { fanoutMode: options.fanoutMode } : {}),
    ...(options.store ? { store: options.store } : {}),
  });
  let stopped = false;
  return {
    app,
    url: app.url,
    wsUrl: `${app.url.replace('http', 'ws')}/ws`,
    dataDir,
    logs,
    async stop() {
      if (stopped) return;
      stopped = true;
      await app.stop();
      if (!options.keepData && options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
