/**
 * The shapes of the configuration `config.ts` reads from the environment, validated and frozen
 * there; each field documents its variable and default.
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** `NODE_CLUSTER_SCHED_POLICY`: see `Config.clusterSchedulingPolicy`. */
export type ClusterSchedulingPolicy = 'none' | 'rr';

/** `poll`: Livescore on a timer (the default); `push`: the provider's WebSocket feed, reconciled by polls. */
export type UpstreamMode = 'poll' | 'push';

/** `PROVIDER`: which football data provider the service polls. */
export type ProviderName = 'allsportsapi' | 'api-football';

export interface UpstreamConfig {
  /** `PROVIDER`. @default 'allsportsapi' */
  readonly provider: ProviderName;
  /** `APIFOOTBALL_LEAGUES`: API-Football league ids to follow (`live=39-61`); empty: every live match (`live=all`). */
  readonly leagues: readonly string[];
  /** The provider's key (`ALLSPORTS_API_KEY` or `APIFOOTBALL_API_KEY`); `undefined` on the simulated feed. Never logged. */
  readonly apiKey: string | undefined;
  /** Base URL, always ending in `/`. */
  readonly baseUrl: string;
  /** Start the built-in simulated provider and poll it (no key and no base URL given). */
  readonly useBuiltInSim: boolean;
  /** @default 10 s */
  readonly connectTimeoutMs: number;
  /** @default 30 s */
  readonly requestTimeoutMs: number;
  /** First retry delay; later ones double (1 s, 2 s, 4 s). @default 1 s */
  readonly retryBaseDelayMs: number;
  /** Retries after the first attempt for transient failures. @default 3 */
  readonly retries: number;
  /** Consecutive failed polls that open the circuit breaker. @default 5 */
  readonly breakerThreshold: number;
  /** How long the breaker stays open before a probe is let through. @default 30 s */
  readonly breakerCooldownMs: number;
  /** `UPSTREAM_MODE`. @default 'poll' */
  readonly mode: UpstreamMode;
  /**
   * `ALLSPORTS_WS_URL`: the push feed, without key or timezone (those are added when connecting).
   * With the built-in simulator the simulator's own `/live_events` is used instead.
   * @default wss://wss.allsportsapi.com/live_events
   */
  readonly wsUrl: string;
  /**
   * `PROVIDER_TIMEZONE` (alias `ALLSPORTS_TIMEZONE`): sent as `timezone=` on REST requests and the
   * push URL; unset: sent on neither.
   */
  readonly timezone: string | undefined;
  /** In push mode, Livescore polls that reconcile while the push feed is healthy. @default 60 s */
  readonly reconcileIntervalMs: number;
  /** A push feed silent this long while matches are live counts as down. @default 120 s */
  readonly pushStaleMs: number;
}

export interface LimitsConfig {
  /** Upgrades beyond this many open WebSockets get HTTP 503. @default 100000 */
  readonly maxConnections: number;
  /** Upgrades beyond this many open WebSockets from one address get HTTP 429. @default 1000 */
  readonly maxConnectionsPerIp: number;
  /** Sustained inbound messages per second per client. @default 20 */
  readonly clientRatePerSec: number;
  /** Inbound burst allowance per client. @default 40 */
  readonly clientRateBurst: number;
  /** Unsent bytes after which a client is closed as a slow consumer. @default 1 MiB */
  readonly slowConsumerBytes: number;
  /** Invalid messages in a row after which a client is closed. @default 20 */
  readonly maxBadMessages: number;
  /**
   * Unsent bytes over all clients together; beyond it the largest backlogs are closed first (4008).
   * @default 256 MiB
   */
  readonly totalUnsentBytes: number;
  /**
   * Match, league and team ids held by all filtered subscriptions together; a subscription beyond
   * it is refused (WebSocket ERROR `INVALID_FILTER`, SSE HTTP 503). @default 1000000
   */
  readonly maxFilterIds: number;
  /** Longest an HTTP request's headers and a WebSocket handshake may take. @default 5 s */
  readonly handshakeTimeoutMs: number;
  /** Idle time after which a keep-alive HTTP connection is closed. @default 5 s */
  readonly keepAliveTimeoutMs: number;
}

export interface AuthConfig {
  /** Static bearer tokens; empty: no token check unless a JWT secret is set. */
  readonly tokens: readonly string[];
  /** HS256 secret for JWT bearer tokens. */
  readonly jwtSecret: string | undefined;
  /** Token that `/metrics` requires, if set. */
  readonly metricsToken: string | undefined;
}

/** Where the listen address came from: `BIND_ADDRESS`, else `PORT` (PaaS platforms inject it), else the default. */
export type BindSource = 'BIND_ADDRESS' | 'PORT' | 'default';

export interface Config {
  readonly upstream: UpstreamConfig;
  readonly host: string;
  readonly port: number;
  /** Which of `BIND_ADDRESS`, `PORT` or the default `0.0.0.0:8080` gave `host` and `port` (the start-up log says). */
  readonly bindSource: BindSource;
  /** Seconds between polls while matches are live. @default 15 (1 on the simulated feed) */
  readonly pollIntervalMs: number;
  /** Seconds between polls while no match is live. @default 60, at most 5× the live interval (the live interval on the simulated feed) */
  readonly pollIdleIntervalMs: number;
  /** Server ping cadence. @default 5 s */
  readonly heartbeatIntervalMs: number;
  /** Silence after which a client is dropped. @default 10 s */
  readonly heartbeatTimeoutMs: number;
  readonly logLevel: LogLevel;
  /** `json` (one object per line) or `pretty` (for humans). @default json */
  readonly logFormat: 'json' | 'pretty';
  /** Where the SQLite database lives. @default ./data */
  readonly dataDir: string;
  /** Hours of event history kept for resume and `/events`. @default 48 */
  readonly historyRetentionHours: number;
  /** Successful polls a vanished match must stay absent before it is ended without confirmation. @default 3 */
  readonly missingPollsBeforeEnd: number;
  /** Look-ups (`met=Fixtures&matchId=`) of vanished matches in flight at once. @default 4 */
  readonly vanishedLookupConcurrency: number;
  /** Look-ups of vanished matches per poll; the others are carried over to the next polls. @default 20 */
  readonly vanishedLookupsPerPoll: number;
  readonly limits: LimitsConfig;
  /** Allowed `Origin` values on the upgrade; `undefined` allows any. */
  readonly allowedOrigins: readonly string[] | undefined;
  readonly auth: AuthConfig;
  /** Longest a graceful shutdown may take before the process exits anyway (after the ready grace). @default 10 s */
  readonly shutdownTimeoutMs: number;
  /**
   * `SHUTDOWN_READY_GRACE_SECS`: on SIGTERM, `/readyz` fails at once while the service keeps serving
   * (new clients included) this long, so load balancers stop routing to it before clients are
   * closed; then the graceful shutdown (`shutdownTimeoutMs`) begins. @default 0
   */
  readonly shutdownReadyGraceMs: number;
  /** Speed of the built-in simulated matchday (simulated seconds per second). @default 30 */
  readonly simSpeed: number;
  /** Worker processes of this instance (`node:cluster`); `auto`: see src/cluster/auto-workers.ts. @default 1 */
  readonly workers: number;
  /**
   * `NODE_CLUSTER_SCHED_POLICY` (Node's own name): with `WORKERS`, who accepts connections: `none`,
   * the workers themselves; `rr`, the primary, handing each to a worker round robin. @default 'none'
   */
  readonly clusterSchedulingPolicy: ClusterSchedulingPolicy;
  /** Scale-out on Redis (REDIS_URL set): history, state and leadership shared by every node. */
  readonly redis: RedisConfig | undefined;
}

export interface RedisConfig {
  /** `redis://[user:password@]host:port/db` or `rediss://…`. Holds a password: never logged. */
  readonly url: string;
  /** Prefix of every key, so several deployments can share one Redis. @default fsc: */
  readonly prefix: string;
  /** Lifetime of the leader's lease; it is renewed every third of it. @default 10 s */
  readonly leaderLeaseMs: number;
}

/** Settings of `npm run sim` (the simulated provider on its own). */
export interface SimCliConfig {
  /** `PROVIDER`: whose wire format the simulator speaks. @default 'allsportsapi' */
  readonly provider: ProviderName;
  readonly host: string;
  readonly port: number;
  readonly speed: number;
  readonly startAtSimSecs: number;
}

/** What a worker reads from `WorkerEnv`: set by its primary, not by the operator. */
export interface WorkerSettings {
  /** Workers of the instance. @default 1 */
  readonly count: number;
  /** The simulated provider the primary runs for the instance (built-in sim, no Redis). */
  readonly simulator: { readonly baseUrl: string; readonly pushUrl: string | undefined } | undefined;
  /** Count connection slots in this worker alone (benchmarks only). @default false */
  readonly localAdmission: boolean;
}
