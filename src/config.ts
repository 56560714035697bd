/**
 * The only module that reads the environment (`processEnvironment`; a test greps src/ for any other
 * reader). `loadConfig` validates every variable once, at start-up, and returns a frozen object;
 * an invalid value raises a `ConfigError` whose message is one line naming the variable and what
 * it accepts. `loadWorkerSettings` reads what a `WORKERS` primary hands its workers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parse as parseDotenv } from 'dotenv';
import { autoWorkersHere } from './cluster/auto-workers.js';
import { DEFAULT_LOOKUP_CONCURRENCY, DEFAULT_LOOKUPS_PER_POLL } from './engine/polling-source.js';
import { DEFAULT_BASE_URL, DEFAULT_WS_URL } from './upstream/allsportsapi/endpoints.js';
import { DEFAULT_BASE_URL as DEFAULT_APIFOOTBALL_BASE_URL } from './upstream/api-football/endpoints.js';
import { ConfigError } from './errors.js';
import type { BindSource, Config, LogLevel, ProviderName, RedisConfig, SimCliConfig, UpstreamMode, WorkerSettings } from './config/types.js';
import { choice, deepFreeze, httpBaseUrl, parseBindAddress, pushFeedUrl, shown, timezoneValue } from './config/values.js';

export type Env = Readonly<Record<string, string | undefined>>;

export type { AuthConfig, BindSource, ClusterSchedulingPolicy, Config, LimitsConfig, LogLevel, ProviderName, RedisConfig, SimCliConfig, UpstreamConfig, UpstreamMode, WorkerSettings } from './config/types.js';
export { parseBindAddress };

/** The process's environment, as it was given (`environmentWithDotenv` adds `.env`). */
export function processEnvironment(): Env {
  return process.env;
}

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** The providers' endpoints are theirs (src/upstream/<provider>/endpoints.ts); config reads them as defaults. */
export { DEFAULT_BASE_URL, DEFAULT_WS_URL } from './upstream/allsportsapi/endpoints.js';
export { DEFAULT_BASE_URL as DEFAULT_APIFOOTBALL_BASE_URL } from './upstream/api-football/endpoints.js';

/** `REDIS_PREFIX` when unset: the prefix of every Redis key. */
export const DEFAULT_REDIS_PREFIX = 'fsc:';

/** `SIM_SPEED` when unset: simulated seconds per second of the built-in matchday. */
const DEFAULT_SIM_SPEED = 30;

const UPSTREAM_MODES: readonly UpstreamMode[] = ['poll', 'push'];

const PROVIDER_NAMES: readonly ProviderName[] = ['allsportsapi', 'api-football'];


/** Defined in the error catalogue (src/errors.ts). */
export { ConfigError };

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function positiveNumber(
  env: Env,
  name: string,
  fallback: number,
  { min = 0, max = Infinity, unit = 'a number of seconds', allowZero = false } = {},
): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const tooSmall = allowZero ? value < 0 : value <= min;
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(raw) || !Number.isFinite(value) || tooSmall || value > max) {
    const lower = allowZero ? 'from 0' : `greater than ${min}`;
    const range = max === Infinity ? lower : `${lower} and at most ${max}`;
    throw new ConfigError(name, `expected ${unit} ${range} (e.g. "15" or "0.2"), got ${shown(raw)}`);
  }
  return value;
}

function integer(env: Env, name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got ${shown(raw)}`);
  }
  return value;
}

function workers(env: Env, maxConnections: number): number {
  const raw = read(env, 'WORKERS');
  if (raw === undefined) return 1;
  if (raw.toLowerCase() === 'auto') return autoWorkersHere(availableParallelism(), maxConnections).workers;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 256) {
    throw new ConfigError('WORKERS', `expected a whole number from 1 to 256, or "auto" (from the CPUs and the open-file limit), got ${shown(raw)}`);
  }
  return Number(raw);
}

function redis(env: Env): RedisConfig | undefined {
  const raw = read(env, 'REDIS_URL');
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('REDIS_URL', 'expected a URL such as redis://127.0.0.1:6379/0');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError('REDIS_URL', `expected a redis:// or rediss:// URL, got protocol ${shown(url.protocol)}`);
  }
  const prefix = read(env, 'REDIS_PREFIX') ?? DEFAULT_REDIS_PREFIX;
  if (!/^[A-Za-z0-9:_.{}-]{1,64}$/.test(prefix)) {
    throw new ConfigError('REDIS_PREFIX', `expected 1 to 64 letters, digits or :_.-{}, got ${shown(prefix)}`);
  }
  return {
    url: raw,
    prefix,
    leaderLeaseMs: positiveNumber(env, 'LEADER_LEASE_SECS', 10, { min: 0.5, max: 600 }) * 1000,
  };
}

function list(env: Env, name: string): string[] {
  const raw = read(env, name);
  if (raw === undefined) return [];
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/**
 * `BIND_ADDRESS` (the seed's, so it keeps precedence), else `PORT` on every interface (Heroku,
 * Render, Cloud Run and Fly inject it), else `0.0.0.0:8080`.
 */
function bindAddress(env: Env): { bind: { host: string; port: number }; bindSource: BindSource } {
  const bindRaw = read(env, 'BIND_ADDRESS');
  if (bindRaw !== undefined) {
    const bind = parseBindAddress(bindRaw);
    if (!bind) {
      throw new ConfigError('BIND_ADDRESS', `expected host:port such as 0.0.0.0:8080 or [::]:8080, got ${shown(bindRaw)}`);
    }
    return { bind, bindSource: 'BIND_ADDRESS' };
  }
  if (read(env, 'PORT') !== undefined) {
    return { bind: { host: '0.0.0.0', port: integer(env, 'PORT', 8080, { max: 65_535 }) }, bindSource: 'PORT' };
  }
  return { bind: { host: '0.0.0.0', port: 8080 }, bindSource: 'default' };
}

function logLevel(env: Env): LogLevel {
  const explicit = read(env, 'LOG_LEVEL');
  if (explicit !== undefined) {
    const level = explicit.toLowerCase() as LogLevel;
    if (!LOG_LEVELS.includes(level)) {
      throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got ${shown(explicit)}`);
    }
    return level;
  }
  const rustLog = read(env, 'RUST_LOG');
  if (rustLog === undefined) return 'info';
  // RUST_LOG may carry per-module directives ("info,actix_web=debug"): the first bare level wins.
  for (const directive of rustLog.split(',')) {
    const level = directive.trim().toLowerCase();
    if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
    // env_logger's "off" silences everything; seed deployments may use it.
    if (level === 'off') return 'silent';
  }
  const moduleLevel = /=(trace|debug|info|warn|error)\b/i.exec(rustLog);
  if (moduleLevel?.[1] !== undefined) return moduleLevel[1].toLowerCase() as LogLevel;
  throw new ConfigError('RUST_LOG', `expected a level (trace, debug, info, warn, error, off), got ${shown(rustLog)}`);
}

function baseUrl(env: Env): string | undefined {
  const raw = read(env, 'ALLSPORTS_BASE_URL');
  // Credentials allowed: a proxy may need them (redacted wherever the URL is shown).
  return raw === undefined ? undefined : httpBaseUrl('ALLSPORTS_BASE_URL', raw, DEFAULT_BASE_URL);
}

function apiFootballBaseUrl(env: Env): string | undefined {
  const raw = read(env, 'APIFOOTBALL_BASE_URL');
  return raw === undefined ? undefined : httpBaseUrl('APIFOOTBALL_BASE_URL', raw, DEFAULT_APIFOOTBALL_BASE_URL, 'APIFOOTBALL_API_KEY');
}

function upstreamMode(env: Env): UpstreamMode {
  const raw = read(env, 'UPSTREAM_MODE');
  if (raw === undefined) return 'poll';
  const mode = raw.toLowerCase() as UpstreamMode;
  if (!UPSTREAM_MODES.includes(mode)) {
    throw new ConfigError('UPSTREAM_MODE', `expected "poll" or "push", got ${shown(raw)}`);
  }
  return mode;
}

function wsUrl(env: Env): string {
  const raw = read(env, 'ALLSPORTS_WS_URL');
  return raw === undefined ? DEFAULT_WS_URL : pushFeedUrl('ALLSPORTS_WS_URL', raw, DEFAULT_WS_URL, 'ALLSPORTS_API_KEY');
}

/** `PROVIDER_TIMEZONE`, or its old name `ALLSPORTS_TIMEZONE`. */
function timezone(env: Env, provider: ProviderName): string | undefined {
  const current = read(env, 'PROVIDER_TIMEZONE');
  const alias = read(env, 'ALLSPORTS_TIMEZONE');
  if (current !== undefined && alias !== undefined && current !== alias) {
    throw new ConfigError('PROVIDER_TIMEZONE, ALLSPORTS_TIMEZONE', `set one of them (ALLSPORTS_TIMEZONE is the old name of PROVIDER_TIMEZONE), got ${shown(current)} and ${shown(alias)}`);
  }
  if (current !== undefined) return timezoneValue('PROVIDER_TIMEZONE', current, provider);
  return alias === undefined ? undefined : timezoneValue('ALLSPORTS_TIMEZONE', alias, provider);
}

/** `PROVIDER`. */
function providerName(env: Env): ProviderName {
  const raw = read(env, 'PROVIDER');
  if (raw === undefined) return 'allsportsapi';
  const name = raw.toLowerCase() as ProviderName;
  if (!PROVIDER_NAMES.includes(name)) throw new ConfigError('PROVIDER', `expected "allsportsapi" or "api-football", got ${shown(raw)}`);
  return name;
}

/**
 * The provider, its key and base URL, with the combinations that cannot work refused in one line
 * naming the variables: a push feed API-Football does not have, a key set for the other provider only.
 */
function providerSettings(env: Env): { provider: ProviderName; apiKey: string | undefined; baseUrl: string | undefined; leagues: readonly string[] } {
  const provider = providerName(env);
  const allsportsKey = read(env, 'ALLSPORTS_API_KEY');
  const apiFootballKey = read(env, 'APIFOOTBALL_API_KEY');
  if (provider === 'allsportsapi') {
    if (apiFootballKey !== undefined && allsportsKey === undefined) {
      throw new ConfigError('PROVIDER, APIFOOTBALL_API_KEY', 'APIFOOTBALL_API_KEY is set but PROVIDER is allsportsapi (the default): set PROVIDER=api-football, or ALLSPORTS_API_KEY');
    }
    if (read(env, 'APIFOOTBALL_LEAGUES') !== undefined) {
      throw new ConfigError('PROVIDER, APIFOOTBALL_LEAGUES', 'APIFOOTBALL_LEAGUES is set but PROVIDER is allsportsapi (the default): set PROVIDER=api-football');
    }
    return { provider, apiKey: allsportsKey, baseUrl: baseUrl(env), leagues: [] };
  }
  if (allsportsKey !== undefined && apiFootballKey === undefined) {
    throw new ConfigError('PROVIDER, ALLSPORTS_API_KEY', 'ALLSPORTS_API_KEY is set but PROVIDER=api-football reads APIFOOTBALL_API_KEY: set APIFOOTBALL_API_KEY, or PROVIDER=allsportsapi');
  }
  if (read(env, 'UPSTREAM_MODE')?.toLowerCase() === 'push') {
    throw new ConfigError('PROVIDER, UPSTREAM_MODE', 'API-Football has no push feed: with PROVIDER=api-football use UPSTREAM_MODE=poll (the default)');
  }
  for (const name of ['ALLSPORTS_BASE_URL', 'ALLSPORTS_WS_URL']) {
    if (read(env, name) !== undefined) throw new ConfigError(`PROVIDER, ${name}`, `${name} is for AllSportsAPI; with PROVIDER=api-football use APIFOOTBALL_BASE_URL`);
  }
  const leagues = list(env, 'APIFOOTBALL_LEAGUES');
  for (const league of leagues) {
    if (!/^\d{1,9}$/.test(league)) throw new ConfigError('APIFOOTBALL_LEAGUES', `expected comma-separated league ids such as 39,61, got ${shown(league)}`);
  }
  return { provider, apiKey: apiFootballKey, baseUrl: apiFootballBaseUrl(env), leagues };
}

function origins(env: Env): readonly string[] | undefined {
  const raw = read(env, 'ALLOWED_ORIGINS');
  if (raw === undefined || raw === '*') return undefined;
  const values = list(env, 'ALLOWED_ORIGINS');
  for (const origin of values) {
    if (origin === '*') return undefined;
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError(
        'ALLOWED_ORIGINS',
        `expected "*" or comma-separated origins like https://app.example.com (no path), got ${shown(origin)}`,
      );
    }
  }
  return values.map((origin) => origin.toLowerCase());
}

/**
 * Reads `.env` (if present) into a copy of the environment without overriding variables that are
 * already set, as dotenv does.
 */
export function environmentWithDotenv(env: Env, dotenvPath = '.env'): Env {
  if (!existsSync(dotenvPath)) return env;
  const fromFile = parseDotenv(readFileSync(dotenvPath));
  return { ...fromFile, ...env };
}

/** Validates the environment; throws `ConfigError` with a one-line message on the first bad value. */
export function loadConfig(env: Env): Config {
  const { provider, apiKey, baseUrl: explicitBaseUrl, leagues } = providerSettings(env);
  const simulated = apiKey === undefined;
  const { bind, bindSource } = bindAddress(env);
  const pollIntervalSecs = positiveNumber(env, 'POLL_INTERVAL_SECS', simulated ? 1 : 15, { max: 86_400 });
  // Idle cadence: 60 s, but never more than five live intervals, so a short POLL_INTERVAL_SECS
  // (tests, a busy dashboard) still picks up the day's first match within seconds.
  const idleDefault = simulated ? pollIntervalSecs : Math.max(pollIntervalSecs, Math.min(60, 5 * pollIntervalSecs));
  const pollIdleSecs = positiveNumber(env, 'POLL_INTERVAL_IDLE_SECS', idleDefault, {
    max: 86_400,
  });
  const heartbeatIntervalSecs = positiveNumber(env, 'HEARTBEAT_INTERVAL_SECS', 5, { max: 3_600 });
  const heartbeatTimeoutSecs = positiveNumber(env, 'HEARTBEAT_TIMEOUT_SECS', 10, { max: 3_600 });
  const logFormat = read(env, 'LOG_FORMAT') ?? 'json';
  if (logFormat !== 'json' && logFormat !== 'pretty') {
    throw new ConfigError('LOG_FORMAT', `expected "json" or "pretty", got ${shown(logFormat)}`);
  }
  const jwtSecret = read(env, 'AUTH_JWT_SECRET');
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) {
    throw new ConfigError('AUTH_JWT_SECRET', 'expected at least 32 bytes (an HS256 key shorter than its hash is weak)');
  }

  const maxConnections = integer(env, 'MAX_CONNECTIONS', 100_000, { min: 1 });
  const config: Config = {
    upstream: {
      provider,
      leagues,
      apiKey,
      baseUrl: explicitBaseUrl ?? (provider === 'api-football' ? DEFAULT_APIFOOTBALL_BASE_URL : DEFAULT_BASE_URL),
      useBuiltInSim: simulated && explicitBaseUrl === undefined,
      connectTimeoutMs: positiveNumber(env, 'UPSTREAM_CONNECT_TIMEOUT_SECS', 10, { max: 600 }) * 1000,
      requestTimeoutMs: positiveNumber(env, 'UPSTREAM_TIMEOUT_SECS', 30, { max: 600 }) * 1000,
      retryBaseDelayMs: positiveNumber(env, 'UPSTREAM_RETRY_BASE_SECS', 1, { max: 60 }) * 1000,
      retries: integer(env, 'UPSTREAM_RETRIES', 3, { max: 10 }),
      breakerThreshold: integer(env, 'UPSTREAM_BREAKER_THRESHOLD', 5, { min: 1, max: 1000 }),
      breakerCooldownMs: positiveNumber(env, 'UPSTREAM_BREAKER_COOLDOWN_SECS', 30, { max: 3_600 }) * 1000,
      mode: upstreamMode(env),
      wsUrl: wsUrl(env),
      timezone: timezone(env, provider),
      reconcileIntervalMs: positiveNumber(env, 'RECONCILE_INTERVAL_SECS', 60, { max: 86_400 }) * 1000,
      pushStaleMs: positiveNumber(env, 'PUSH_STALE_SECS', 120, { max: 86_400 }) * 1000,
    },
    host: bind.host,
    port: bind.port,
    bindSource,
    pollIntervalMs: pollIntervalSecs * 1000,
    pollIdleIntervalMs: pollIdleSecs * 1000,
    heartbeatIntervalMs: heartbeatIntervalSecs * 1000,
    heartbeatTimeoutMs: heartbeatTimeoutSecs * 1000,
    logLevel: logLevel(env),
    logFormat,
    dataDir: read(env, 'DATA_DIR') ?? './data',
    historyRetentionHours: positiveNumber(env, 'HISTORY_RETENTION_HOURS', 48, { max: 24 * 366, unit: 'a number of hours' }),
    missingPollsBeforeEnd: integer(env, 'MISSING_POLLS_BEFORE_END', 3, { min: 1, max: 1000 }),
    vanishedLookupConcurrency: integer(env, 'VANISHED_LOOKUP_CONCURRENCY', DEFAULT_LOOKUP_CONCURRENCY, { min: 1, max: 64 }),
    vanishedLookupsPerPoll: integer(env, 'VANISHED_LOOKUPS_PER_POLL', DEFAULT_LOOKUPS_PER_POLL, { min: 1, max: 10_000 }),
    limits: {
      maxConnections,
      maxConnectionsPerIp: integer(env, 'MAX_CONNECTIONS_PER_IP', 1_000, { min: 1 }),
      clientRatePerSec: positiveNumber(env, 'CLIENT_RATE_LIMIT', 20, { max: 100_000, unit: 'messages per second' }),
      clientRateBurst: integer(env, 'CLIENT_RATE_BURST', 40, { min: 1, max: 100_000 }),
      slowConsumerBytes: integer(env, 'SLOW_CONSUMER_MAX_BYTES', 1024 * 1024, { min: 1024 }),
      maxBadMessages: integer(env, 'MAX_BAD_MESSAGES', 20, { min: 1, max: 100_000 }),
      totalUnsentBytes: integer(env, 'SLOW_CONSUMER_TOTAL_MAX_BYTES', 256 * 1024 * 1024, { min: 1024 }),
      maxFilterIds: integer(env, 'MAX_FILTER_IDS', 1_000_000, { min: 1 }),
      handshakeTimeoutMs: positiveNumber(env, 'HANDSHAKE_TIMEOUT_SECS', 5, { max: 300 }) * 1000,
      keepAliveTimeoutMs: positiveNumber(env, 'KEEP_ALIVE_TIMEOUT_SECS', 5, { max: 3_600 }) * 1000,
    },
    allowedOrigins: origins(env),
    auth: {
      tokens: list(env, 'AUTH_TOKENS'),
      jwtSecret,
      metricsToken: read(env, 'METRICS_TOKEN'),
    },
    shutdownTimeoutMs: positiveNumber(env, 'SHUTDOWN_TIMEOUT_SECS', 10, { max: 600 }) * 1000,
    shutdownReadyGraceMs: positiveNumber(env, 'SHUTDOWN_READY_GRACE_SECS', 0, { max: 600, allowZero: true }) * 1000,
    simSpeed: simSpeed(env),
    workers: workers(env, maxConnections),
    clusterSchedulingPolicy: choice('NODE_CLUSTER_SCHED_POLICY', read(env, 'NODE_CLUSTER_SCHED_POLICY'), ['none', 'rr'], 'none'),
    redis: redis(env),
  };
  return deepFreeze(config);
}

function simSpeed(env: Env): number {
  return positiveNumber(env, 'SIM_SPEED', DEFAULT_SIM_SPEED, { max: 100_000, unit: 'a speed factor' });
}

/** Environment a `WORKERS` primary starts its workers with (besides the instance's own). */
export const WorkerEnv = {
  /** Number of workers of this instance (for `/health`). */
  Count: 'FSC_WORKER_COUNT',
  /** The instance's id: the same in every worker, new on every start of the primary. */
  InstanceId: 'FSC_INSTANCE_ID',
  /** Base URL of the simulated provider the primary runs for the instance (built-in sim only). */
  SimBaseUrl: 'FSC_SIM_BASE_URL',
  /** Its push feed (`/live_events`), for UPSTREAM_MODE=push. */
  SimPushUrl: 'FSC_SIM_PUSH_URL',
  /**
   * Benchmarks only (`bench/admission.mjs`, its baseline): `1` makes each worker count slots on its
   * own, without asking the primary, so the limits no longer hold for the instance. Never set it
   * in production.
   */
  BenchLocalAdmission: 'FSC_BENCH_LOCAL_ADMISSION',
} as const;

export function loadWorkerSettings(env: Env): WorkerSettings {
  const simBaseUrl = read(env, WorkerEnv.SimBaseUrl);
  return Object.freeze({
    count: integer(env, WorkerEnv.Count, 1, { min: 1, max: 256 }),
    simulator: simBaseUrl === undefined ? undefined : { baseUrl: simBaseUrl, pushUrl: read(env, WorkerEnv.SimPushUrl) },
    localAdmission: read(env, WorkerEnv.BenchLocalAdmission) === '1',
  });
}

export function loadSimCliConfig(env: Env): SimCliConfig {
  const host = read(env, 'SIM_HOST') ?? '127.0.0.1';
  return Object.freeze({
    provider: providerName(env),
    host,
    port: integer(env, 'SIM_PORT', 8081, { max: 65_535 }),
    speed: simSpeed(env),
    startAtSimSecs: integer(env, 'SIM_START_AT_SECS', 0),
  });
}
