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
import type { PushBackoff } from '../../src/upstream/push-feed.js';
import { standInEnv, startStandIn, type StandIn } from './stand-in.js';
import { TestClient, type TestClientOptions } from './ws-client.js';

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
  /** Reconnection timing of the push feed (a refused key is retried every `maxDelayMs`, 60 s by default). */
  readonly pushBackoff?: Partial<PushBackoff>;
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
    ...(options.pushBackoff ? { pushBackoff: options.pushBackoff } : {}),
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

/** A stand-in provider and the in-process service that polls it. */
export interface ServiceOnStandIn {
  readonly standIn: StandIn;
  readonly service: TestService;
}

/** Starts a stand-in provider (empty live list) and a service polling it with `standInEnv(standIn, env)`. */
export async function startWithStandIn(env: Record<string, string> = {}, options: StartOptions = {}): Promise<ServiceOnStandIn> {
  const standIn = await startStandIn();
  try {
    return { standIn, service: await startService(standInEnv(standIn, env), options) };
  } catch (error) {
    await standIn.close();
    throw error;
  }
}

/**
 * For describe blocks whose tests each start their own stand-in and service (each with its own
 * env): a test calls `start(env)`, opens clients through `open` (or hands them to `track`), and
 * `afterEach(() => rig.stop())` closes the clients, then the service, then the stand-in.
 */
export class StandInRig {
  private running: ServiceOnStandIn | undefined;
  private readonly clients: TestClient[] = [];

  /** @param defaults env every `start` of this rig uses, under the test's own `env` */
  constructor(private readonly defaults: Record<string, string> = {}) {}

  /** Starts the stand-in and the service with the rig's defaults and `env` on top of `standInEnv`. */
  async start(env: Record<string, string> = {}): Promise<TestService> {
    this.running = await startWithStandIn({ ...this.defaults, ...env });
    return this.running.service;
  }

  /** The service the current test started (throws before `start`). */
  get service(): TestService {
    return this.current().service;
  }

  /** The stand-in the current test's service polls (throws before `start`). */
  get standIn(): StandIn {
    return this.current().standIn;
  }

  /** Opens a client (rejects with the refusal if the upgrade is refused); `stop` closes it. */
  async open(url: string, options: TestClientOptions = {}): Promise<TestClient> {
    const client = await TestClient.open(url, options);
    this.clients.push(client);
    return client;
  }

  /** Hands clients opened elsewhere to the rig, for `stop` to close. */
  track(...clients: TestClient[]): void {
    this.clients.push(...clients);
  }

  /** Closes the clients, then the service, then the stand-in; a no-op when nothing was started. */
  async stop(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((client) => client.close()));
    const running = this.running;
    this.running = undefined;
    await running?.service.stop();
    await running?.standIn.close();
  }

  private current(): ServiceOnStandIn {
    if (this.running === undefined) throw new Error('the service is not started (call start first)');
    return this.running;
  }
}

/** The service's JSON log lines, parsed; only those whose `msg` is `msg` when it is given. */
export function logLines(service: TestService, msg?: string): Array<Record<string, unknown>> {
  const lines = service.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
  return msg === undefined ? lines : lines.filter((line) => line['msg'] === msg);
}
