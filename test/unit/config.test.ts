/**
 * Configuration: the defaults of issues 2, 4 and 5, the simulated-feed rules, one-line errors for
 * every invalid value, a deep-frozen result, and the process behaviour of `node dist/main.js` on a
 * bad value (exit code 1, one line naming the variable). `npm test` builds dist/ first.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { autoWorkers } from '../../src/cluster/auto-workers.js';
import { openFileLimit } from '../../src/server/admission.js';
import {
  ConfigError,
  DEFAULT_BASE_URL,
  DEFAULT_WS_URL,
  environmentWithDotenv,
  loadConfig,
  loadSimCliConfig,
  parseBindAddress,
  type Config,
  type Env,
} from '../../src/config.js';
import { spawnService } from '../helpers/process.js';

/** The ConfigError `loadConfig(env)` throws; fails the test when it does not throw one. */
function configError(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

const KEY = { ALLSPORTS_API_KEY: 'k-123' };

describe('defaults', () => {
  it('with an API key: the tables of issues 2, 4 and 5', () => {
    const config = loadConfig(KEY);
    expect(config).toEqual({
      upstream: {
        provider: 'allsportsapi',
        leagues: [],
        apiKey: 'k-123',
        baseUrl: 'https://apiv2.allsportsapi.com/football/',
        useBuiltInSim: false,
        connectTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        retryBaseDelayMs: 1_000,
        retries: 3,
        breakerThreshold: 5,
        breakerCooldownMs: 30_000,
        mode: 'poll',
        wsUrl: 'wss://wss.allsportsapi.com/live_events',
        timezone: undefined,
        reconcileIntervalMs: 60_000,
        pushStaleMs: 120_000,
      },
      host: '0.0.0.0',
      port: 8080,
      bindSource: 'default',
      pollIntervalMs: 15_000,
      pollIdleIntervalMs: 60_000,
      heartbeatIntervalMs: 5_000,
      heartbeatTimeoutMs: 10_000,
      logLevel: 'info',
      logFormat: 'json',
      dataDir: './data',
      historyRetentionHours: 48,
      missingPollsBeforeEnd: 3,
      vanishedLookupConcurrency: 4,
      vanishedLookupsPerPoll: 20,
      limits: {
        maxConnections: 100_000,
        maxConnectionsPerIp: 1_000,
        clientRatePerSec: 20,
        clientRateBurst: 40,
        slowConsumerBytes: 1024 * 1024,
        maxBadMessages: 20,
        totalUnsentBytes: 256 * 1024 * 1024,
        maxFilterIds: 1_000_000,
        handshakeTimeoutMs: 5_000,
        keepAliveTimeoutMs: 5_000,
      },
      allowedOrigins: undefined,
      auth: { tokens: [], jwtSecret: undefined, metricsToken: undefined },
      shutdownTimeoutMs: 10_000,
      shutdownReadyGraceMs: 0,
      simSpeed: 30,
      workers: 1,
      clusterSchedulingPolicy: 'none',
      redis: undefined,
    } satisfies Config);
    expect(DEFAULT_BASE_URL).toBe('https://apiv2.allsportsapi.com/football/');
  });

  it('without a key: the built-in simulated feed, polled every second (idle too)', () => {
    const config = loadConfig({});
    expect(config.upstream.apiKey).toBeUndefined();
    expect(config.upstream.useBuiltInSim).toBe(true);
    expect(config.pollIntervalMs).toBe(1_000);
    expect(config.pollIdleIntervalMs).toBe(1_000);
  });

  it('an empty or blank key counts as no key', () => {
    for (const key of ['', '   ']) {
      const config = loadConfig({ ALLSPORTS_API_KEY: key });
      expect([config.upstream.apiKey, config.upstream.useBuiltInSim, config.pollIntervalMs]).toEqual([undefined, true, 1_000]);
    }
  });

  it('ALLSPORTS_BASE_URL without a key: poll that URL, not the built-in simulator', () => {
    const config = loadConfig({ ALLSPORTS_BASE_URL: 'http://127.0.0.1:8081/football' });
    expect(config.upstream.useBuiltInSim).toBe(false);
    expect(config.upstream.baseUrl).toBe('http://127.0.0.1:8081/football/');
    expect(config.upstream.apiKey).toBeUndefined();
  });

  it('a key and a base URL: the real client against that URL, at the real cadence', () => {
    const config = loadConfig({ ...KEY, ALLSPORTS_BASE_URL: 'https://proxy.example.com/allsports/' });
    expect(config.upstream).toMatchObject({ apiKey: 'k-123', baseUrl: 'https://proxy.example.com/allsports/', useBuiltInSim: false });
    expect(config.pollIntervalMs).toBe(15_000);
  });

  it('the simulated CLI (npm run sim) defaults', () => {
    expect(loadSimCliConfig({})).toEqual({ provider: 'allsportsapi', host: '127.0.0.1', port: 8081, speed: 30, startAtSimSecs: 0 });
    expect(loadSimCliConfig({ PROVIDER: 'api-football' }).provider).toBe('api-football');
    expect(loadSimCliConfig({ SIM_HOST: '0.0.0.0', SIM_PORT: '0', SIM_SPEED: '120', SIM_START_AT_SECS: '600' })).toEqual({
      provider: 'allsportsapi',
      host: '0.0.0.0',
      port: 0,
      speed: 120,
      startAtSimSecs: 600,
    });
    expect(() => loadSimCliConfig({ SIM_PORT: '70000' })).toThrow(ConfigError);
    expect(() => loadSimCliConfig({ SIM_SPEED: 'fast' })).toThrow(/^SIM_SPEED: /);
  });
});

describe('values given', () => {
  it('fractions of seconds are allowed ("0.2")', () => {
    const config = loadConfig({ POLL_INTERVAL_SECS: '0.2', HEARTBEAT_INTERVAL_SECS: '0.05', HEARTBEAT_TIMEOUT_SECS: '.5' });
    expect([config.pollIntervalMs, config.heartbeatIntervalMs, config.heartbeatTimeoutMs]).toEqual([200, 50, 500]);
    // On the simulated feed the idle interval follows the live one.
    expect(config.pollIdleIntervalMs).toBe(200);
  });

  it('with a key the idle interval defaults to 60 s, but at most five live intervals', () => {
    const idleFor = (poll: string) => loadConfig({ ...KEY, POLL_INTERVAL_SECS: poll }).pollIdleIntervalMs;
    expect(idleFor('15')).toBe(60_000);
    expect(idleFor('5')).toBe(25_000);
    expect(idleFor('0.2')).toBe(1_000);
    expect(idleFor('120')).toBe(120_000);
  });

  it('with a key the idle interval is separate', () => {
    const config = loadConfig({ ...KEY, POLL_INTERVAL_SECS: '5', POLL_INTERVAL_IDLE_SECS: '120' });
    expect([config.pollIntervalMs, config.pollIdleIntervalMs]).toEqual([5_000, 120_000]);
  });

  it('BIND_ADDRESS forms', () => {
    expect(loadConfig({ BIND_ADDRESS: '127.0.0.1:0' })).toMatchObject({ host: '127.0.0.1', port: 0 });
    expect(parseBindAddress('0.0.0.0:8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(parseBindAddress('localhost:3000')).toEqual({ host: 'localhost', port: 3000 });
    expect(parseBindAddress('[::]:8080')).toEqual({ host: '::', port: 8080 });
    expect(parseBindAddress('[::1]:65535')).toEqual({ host: '::1', port: 65535 });
    expect(parseBindAddress(':9000')).toEqual({ host: '0.0.0.0', port: 9000 });
  });

  it('PORT (PaaS platforms inject it): all interfaces on that port when BIND_ADDRESS is unset; BIND_ADDRESS keeps precedence', () => {
    expect(loadConfig({})).toMatchObject({ host: '0.0.0.0', port: 8080, bindSource: 'default' });
    expect(loadConfig({ PORT: '18101' })).toMatchObject({ host: '0.0.0.0', port: 18101, bindSource: 'PORT' });
    expect(loadConfig({ PORT: ' 18101 ', BIND_ADDRESS: '  ' })).toMatchObject({ host: '0.0.0.0', port: 18101, bindSource: 'PORT' });
    expect(loadConfig({ PORT: '18101', BIND_ADDRESS: '127.0.0.1:9000' })).toMatchObject({ host: '127.0.0.1', port: 9000, bindSource: 'BIND_ADDRESS' });
    // Set but invalid is an error only where it is used.
    expect(loadConfig({ PORT: 'http', BIND_ADDRESS: '127.0.0.1:9000' }).port).toBe(9000);
  });

  it.each(['nonsense', ':99999', '8080', 'host:', 'host:port', '[::1', 'a b:80', '::1:80', ''])(
    'parseBindAddress(%j) is refused',
    (raw) => {
      expect(parseBindAddress(raw)).toBeUndefined();
    },
  );

  it.each([
    [{ LOG_LEVEL: 'debug' }, 'debug'],
    [{ LOG_LEVEL: 'WARN' }, 'warn'],
    [{ RUST_LOG: 'trace' }, 'trace'],
    [{ RUST_LOG: 'info,actix_web=debug' }, 'info'],
    [{ RUST_LOG: 'actix_web=debug,info' }, 'info'],
    [{ RUST_LOG: 'football_backend=warn' }, 'warn'],
    [{ RUST_LOG: 'off' }, 'silent'],
    [{ LOG_LEVEL: 'error', RUST_LOG: 'trace' }, 'error'],
  ])('log level from %j is %s', (env, level) => {
    expect(loadConfig(env).logLevel).toBe(level);
  });

  it('ALLOWED_ORIGINS: "*" allows any; a list is normalised to lower case', () => {
    expect(loadConfig({ ALLOWED_ORIGINS: '*' }).allowedOrigins).toBeUndefined();
    expect(loadConfig({ ALLOWED_ORIGINS: 'https://App.Example.com, http://localhost:3000' }).allowedOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:3000',
    ]);
  });

  it('AUTH_TOKENS is a comma-separated list; a 32-byte JWT secret is accepted', () => {
    const secret = 's'.repeat(32);
    const config = loadConfig({ AUTH_TOKENS: 'alpha, beta,,gamma ', AUTH_JWT_SECRET: secret, METRICS_TOKEN: 'm' });
    expect(config.auth).toEqual({ tokens: ['alpha', 'beta', 'gamma'], jwtSecret: secret, metricsToken: 'm' });
  });

  it('.env fills in what the environment does not set, and never overrides it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fsc-config-'));
    try {
      const path = join(dir, '.env');
      writeFileSync(path, 'POLL_INTERVAL_SECS=7\nBIND_ADDRESS=127.0.0.1:9999\n');
      const env = environmentWithDotenv({ BIND_ADDRESS: '127.0.0.1:0' }, path);
      expect(env['POLL_INTERVAL_SECS']).toBe('7');
      expect(env['BIND_ADDRESS']).toBe('127.0.0.1:0');
      expect(environmentWithDotenv({ A: '1' }, join(dir, 'missing.env'))).toEqual({ A: '1' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('push mode (issue 13)', () => {
  it('UPSTREAM_MODE: poll by default, push when asked (any case)', () => {
    expect(loadConfig(KEY).upstream.mode).toBe('poll');
    expect(loadConfig({ ...KEY, UPSTREAM_MODE: 'push' }).upstream.mode).toBe('push');
    expect(loadConfig({ ...KEY, UPSTREAM_MODE: ' PUSH ' }).upstream.mode).toBe('push');
    expect(loadConfig({ UPSTREAM_MODE: 'poll' }).upstream.mode).toBe('poll');
  });

  it('ALLSPORTS_WS_URL: the provider feed by default; ws:// and wss:// URLs accepted as given', () => {
    expect(DEFAULT_WS_URL).toBe('wss://wss.allsportsapi.com/live_events');
    expect(loadConfig(KEY).upstream.wsUrl).toBe(DEFAULT_WS_URL);
    expect(loadConfig({ ALLSPORTS_WS_URL: 'ws://127.0.0.1:8081/live_events' }).upstream.wsUrl).toBe('ws://127.0.0.1:8081/live_events');
    expect(loadConfig({ ALLSPORTS_WS_URL: 'wss://proxy.example.com/feed?x=1' }).upstream.wsUrl).toBe('wss://proxy.example.com/feed?x=1');
  });

  it('ALLSPORTS_TIMEZONE: unset by default; an offset or an IANA zone is kept as written', () => {
    expect(loadConfig(KEY).upstream.timezone).toBeUndefined();
    for (const zone of ['+02:00', '-05:30', '+14:00', 'Europe/Berlin', 'UTC', 'EET', 'America/Argentina/Buenos_Aires']) {
      expect(loadConfig({ ...KEY, ALLSPORTS_TIMEZONE: zone }).upstream.timezone).toBe(zone);
    }
  });

  it('RECONCILE_INTERVAL_SECS and PUSH_STALE_SECS', () => {
    const config = loadConfig({ ...KEY, RECONCILE_INTERVAL_SECS: '30', PUSH_STALE_SECS: '0.5' });
    expect([config.upstream.reconcileIntervalMs, config.upstream.pushStaleMs]).toEqual([30_000, 500]);
    const defaults = loadConfig({});
    expect([defaults.upstream.reconcileIntervalMs, defaults.upstream.pushStaleMs]).toEqual([60_000, 120_000]);
  });
});

describe('invalid values: a ConfigError with one line naming the variable and what it accepts', () => {
  it.each([
    [{ POLL_INTERVAL_SECS: 'abc' }, 'POLL_INTERVAL_SECS', /expected a number of seconds greater than 0.*got "abc"/],
    [{ POLL_INTERVAL_SECS: '0' }, 'POLL_INTERVAL_SECS', /greater than 0/],
    [{ POLL_INTERVAL_SECS: '-1' }, 'POLL_INTERVAL_SECS', /got "-1"/],
    [{ POLL_INTERVAL_SECS: '1e3' }, 'POLL_INTERVAL_SECS', /e\.g\. "15" or "0\.2"/],
    [{ POLL_INTERVAL_IDLE_SECS: 'never' }, 'POLL_INTERVAL_IDLE_SECS', /number of seconds/],
    [{ HEARTBEAT_INTERVAL_SECS: '0' }, 'HEARTBEAT_INTERVAL_SECS', /greater than 0/],
    [{ HEARTBEAT_TIMEOUT_SECS: 'ten' }, 'HEARTBEAT_TIMEOUT_SECS', /number of seconds/],
    [{ BIND_ADDRESS: 'nonsense' }, 'BIND_ADDRESS', /expected host:port such as 0\.0\.0\.0:8080.*got "nonsense"/],
    [{ BIND_ADDRESS: ':99999' }, 'BIND_ADDRESS', /host:port/],
    [{ PORT: '65536' }, 'PORT', /whole number from 0 to 65535, got "65536"/],
    [{ PORT: 'http' }, 'PORT', /whole number from 0 to 65535, got "http"/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /expected one of trace, debug, info, warn, error.*got "loud"/],
    [{ RUST_LOG: 'loud' }, 'RUST_LOG', /expected a level \(trace, debug, info, warn, error/],
    [{ RUST_LOG: 'actix_web=loud' }, 'RUST_LOG', /expected a level/],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT', /expected "json" or "pretty"/],
    [{ ALLOWED_ORIGINS: 'https://app.example.com/path' }, 'ALLOWED_ORIGINS', /no path.*got "https:\/\/app\.example\.com\/path"/],
    [{ ALLOWED_ORIGINS: 'app.example.com' }, 'ALLOWED_ORIGINS', /origins like https:\/\/app\.example\.com/],
    [{ ALLSPORTS_BASE_URL: 'not a url' }, 'ALLSPORTS_BASE_URL', /expected an http\(s\) URL/],
    [{ ALLSPORTS_BASE_URL: 'ftp://example.com/' }, 'ALLSPORTS_BASE_URL', /got protocol "ftp:"/],
    [{ MAX_CONNECTIONS: '0' }, 'MAX_CONNECTIONS', /whole number from 1/],
    [{ MAX_CONNECTIONS_PER_IP: '1.5' }, 'MAX_CONNECTIONS_PER_IP', /whole number/],
    [{ UPSTREAM_RETRIES: '11' }, 'UPSTREAM_RETRIES', /from 0 to 10/],
    [{ MISSING_POLLS_BEFORE_END: '0' }, 'MISSING_POLLS_BEFORE_END', /from 1/],
    [{ VANISHED_LOOKUP_CONCURRENCY: '0' }, 'VANISHED_LOOKUP_CONCURRENCY', /from 1 to 64/],
    [{ VANISHED_LOOKUPS_PER_POLL: 'all' }, 'VANISHED_LOOKUPS_PER_POLL', /from 1 to 10000/],
    [{ HISTORY_RETENTION_HOURS: 'forever' }, 'HISTORY_RETENTION_HOURS', /number of hours/],
    [{ SLOW_CONSUMER_MAX_BYTES: '100' }, 'SLOW_CONSUMER_MAX_BYTES', /from 1024/],
    [{ CLIENT_RATE_LIMIT: '0' }, 'CLIENT_RATE_LIMIT', /messages per second/],
    [{ UPSTREAM_MODE: 'websocket' }, 'UPSTREAM_MODE', /expected "poll" or "push", got "websocket"/],
    [{ ALLSPORTS_WS_URL: 'not a url' }, 'ALLSPORTS_WS_URL', /expected a ws\(s\) URL such as wss:\/\/wss\.allsportsapi\.com\/live_events/],
    [{ ALLSPORTS_WS_URL: 'https://wss.allsportsapi.com/live_events' }, 'ALLSPORTS_WS_URL', /got protocol "https:"/],
    [{ ALLSPORTS_WS_URL: 'wss://wss.allsportsapi.com/live_events?APIkey=abc' }, 'ALLSPORTS_WS_URL', /without credentials/],
    [{ ALLSPORTS_TIMEZONE: 'Mars/Olympus' }, 'ALLSPORTS_TIMEZONE', /offset such as "\+02:00" or a time zone such as "Europe\/Berlin", got "Mars\/Olympus"/],
    [{ ALLSPORTS_TIMEZONE: '+25:00' }, 'ALLSPORTS_TIMEZONE', /got "\+25:00"/],
    [{ ALLSPORTS_TIMEZONE: 'UTC&APIkey=x' }, 'ALLSPORTS_TIMEZONE', /time zone/],
    [{ RECONCILE_INTERVAL_SECS: '0' }, 'RECONCILE_INTERVAL_SECS', /number of seconds greater than 0/],
    [{ RECONCILE_INTERVAL_SECS: 'hourly' }, 'RECONCILE_INTERVAL_SECS', /got "hourly"/],
    [{ PUSH_STALE_SECS: '-3' }, 'PUSH_STALE_SECS', /number of seconds/],
  ])('%j', (env, variable, accepts) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: expected `)).toBe(true);
    expect(error.message).toMatch(accepts);
    expect(error.message).not.toContain('\n');
  });

  it.each([
    ['an invalid ALLSPORTS_BASE_URL with credentials', { ALLSPORTS_BASE_URL: 'http://u:Pw-0d1e-SECRET@127.0.0.1:99999/football/' }],
    ['a raw @ in the password', { ALLSPORTS_BASE_URL: 'http://u:p@Pw-0d1e-SECRET@127.0.0.1:99999/' }],
    ['credentials past the shown length', { ALLSPORTS_BASE_URL: `http://${'u'.repeat(70)}:Pw-0d1e-SECRET@127.0.0.1:99999/` }],
    ['an invalid ALLSPORTS_WS_URL with a key', { ALLSPORTS_WS_URL: 'wss://wss.allsportsapi.com:99999/live_events?APIkey=Pw-0d1e-SECRET' }],
    ['an invalid ALLSPORTS_WS_URL with credentials', { ALLSPORTS_WS_URL: 'ws://u:Pw-0d1e-SECRET@127.0.0.1:99999/' }],
    ['ALLOWED_ORIGINS with credentials', { ALLOWED_ORIGINS: 'https://u:Pw-0d1e-SECRET@app.example.com/path' }],
    ['REDIS_URL with a password', { REDIS_URL: 'redis://:Pw-0d1e-SECRET@127.0.0.1:99999/0' }],
  ])('%s: the error names the variable and redacts the secret (issue 16 item 18)', (_name, env) => {
    const error = configError(env);
    expect(error.message).not.toContain('0d1e');
    expect(error.message).not.toContain('\n');
  });

  it('AUTH_JWT_SECRET shorter than 32 bytes is refused without echoing the secret', () => {
    const secret = 'short-secret-31-bytes-long-xxxx';
    expect(Buffer.byteLength(secret)).toBe(31);
    const error = configError({ AUTH_JWT_SECRET: secret });
    expect(error.variable).toBe('AUTH_JWT_SECRET');
    expect(error.message).toMatch(/^AUTH_JWT_SECRET: expected at least 32 bytes/);
    expect(error.message).not.toContain(secret);
  });

  it('a value with a line break still gives a one-line message, and a huge value is cut short', () => {
    const multiLine = configError({ POLL_INTERVAL_SECS: '1\n2' });
    expect(multiLine.message).not.toContain('\n');
    expect(multiLine.message).toContain('got "1\\n2"');
    const huge = configError({ LOG_LEVEL: 'x'.repeat(10_000) });
    expect(huge.message).not.toContain('\n');
    expect(huge.message.length).toBeLessThan(200);
  });
});

describe('the result', () => {
  it('is frozen all the way down', () => {
    const config = loadConfig({ ...KEY, AUTH_TOKENS: 'a,b', ALLOWED_ORIGINS: 'https://a.example.com' });
    for (const part of [config, config.upstream, config.limits, config.auth, config.auth.tokens, config.allowedOrigins]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
    // ESM is strict mode: writing to a frozen object throws.
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.upstream as { apiKey: string }).apiKey = 'other';
    }).toThrow(TypeError);
    expect(() => (config.auth.tokens as string[]).push('c')).toThrow(TypeError);
    expect(config.upstream.apiKey).toBe('k-123');
  });

  it('reads only the object it is given (no process.env leak)', () => {
    const env = { ...KEY, POLL_INTERVAL_SECS: '3' };
    expect(loadConfig(env).pollIntervalMs).toBe(3_000);
    expect(loadConfig({}).upstream.apiKey).toBeUndefined();
  });
});

describe('node dist/main.js with an invalid value', () => {
  it.each([
    ['POLL_INTERVAL_SECS', 'abc'],
    ['BIND_ADDRESS', 'nonsense'],
  ])('%s=%s exits with code 1, printing one line that names the variable', async (variable, value) => {
    const service = spawnService({ [variable]: value, DATA_DIR: join(tmpdir(), 'fsc-config-never-created') });
    const { code } = await service.exited;
    expect(code).toBe(1);
    const lines = service.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(variable);
    expect(lines[0]).toContain(`got "${value}"`);
    expect(lines[0]).toMatch(/expected /);
  });
});

describe('WORKERS', () => {
  it('defaults to one process, takes a count, and "auto" chooses from the CPUs, the open-file limit and MAX_CONNECTIONS', () => {
    expect(loadConfig({}).workers).toBe(1);
    expect(loadConfig({ WORKERS: '4' }).workers).toBe(4);
    const openFiles = openFileLimit();
    expect(loadConfig({ WORKERS: 'auto' }).workers).toBe(autoWorkers({ cores: availableParallelism(), openFiles, maxConnections: 100_000 }).workers);
    expect(loadConfig({ WORKERS: 'auto', MAX_CONNECTIONS: '5000000' }).workers).toBe(
      autoWorkers({ cores: availableParallelism(), openFiles, maxConnections: 5_000_000 }).workers,
    );
    expect(loadConfig({ WORKERS: 'auto' }).workers).toBeGreaterThanOrEqual(availableParallelism());
  });

  it.each(['0', '-1', 'two', '1.5', '257'])('WORKERS=%s is refused with one line naming the variable', (value) => {
    expect(() => loadConfig({ WORKERS: value })).toThrow(/^WORKERS: expected a whole number from 1 to 256, or "auto"/);
  });

  it('NODE_CLUSTER_SCHED_POLICY: the workers accept by default; rr (any case) has the primary hand connections round robin; anything else is refused', () => {
    expect(loadConfig({}).clusterSchedulingPolicy).toBe('none');
    expect(loadConfig({ NODE_CLUSTER_SCHED_POLICY: 'RR' }).clusterSchedulingPolicy).toBe('rr');
    expect(loadConfig({ NODE_CLUSTER_SCHED_POLICY: 'none' }).clusterSchedulingPolicy).toBe('none');
    expect(() => loadConfig({ NODE_CLUSTER_SCHED_POLICY: 'roundrobin' })).toThrow(/^NODE_CLUSTER_SCHED_POLICY: expected "none" or "rr", got "roundrobin"$/);
  });
});

describe('REDIS_URL', () => {
  it('is off by default; on, it takes the prefix and lease with their defaults', () => {
    expect(loadConfig({}).redis).toBeUndefined();
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/0' }).redis).toEqual({
      url: 'redis://127.0.0.1:6379/0',
      prefix: 'fsc:',
      leaderLeaseMs: 10_000,
    });
    expect(loadConfig({ REDIS_URL: 'rediss://h:6380', REDIS_PREFIX: 'derby:', LEADER_LEASE_SECS: '3' }).redis).toMatchObject({
      prefix: 'derby:',
      leaderLeaseMs: 3_000,
    });
  });

  it.each([
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['REDIS_URL', 'not a url'],
  ])('%s=%s is refused with one line naming the variable', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^${variable}: expected`));
  });

  it('never shows the URL (it may hold a password) in its error', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://:hunter2@[bad' })).toThrow(/^REDIS_URL: expected a URL/);
    try {
      loadConfig({ REDIS_URL: 'redis://:hunter2@[bad' });
    } catch (error) {
      expect(String(error)).not.toContain('hunter2');
    }
  });
});
