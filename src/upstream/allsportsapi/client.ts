/**
 * HTTP client for AllSportsAPI (the contract's `ProviderClient`): a keep-alive connection pool (undici), retries with exponential
 * backoff for transient failures, and a circuit breaker around polling (cockatiel). The API key
 * travels in the query string as the provider requires, and is redacted from everything else.
 */
import { Agent, request } from 'undici';
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleAll,
  handleWhen,
  noJitterGenerator,
  retry,
  type CircuitBreakerPolicy,
  type RetryPolicy,
} from 'cockatiel';
import { err, ok, type Result } from '../../domain/result.js';
import type { Metrics } from '../../metrics.js';
import { UpstreamError, redactApiKey } from '../errors.js';
import type { BreakerState, MatchSnapshot, ParsedReply, ProviderClient, ProviderClientSettings, UpstreamHealth } from '../provider.js';
import { keyRefusedError } from './errors.js';
import { parseReplyText } from './parse.js';

/** Replies larger than this are refused rather than buffered (six live matches are ~110 KB). */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Longest a Retry-After may hold polling back. */
const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

export type { BreakerState, UpstreamHealth } from '../provider.js';

function breakerState(state: CircuitState): BreakerState {
  if (state === CircuitState.Open || state === CircuitState.Isolated) return 'open';
  if (state === CircuitState.HalfOpen) return 'half-open';
  return 'closed';
}

function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const seconds = Number(text);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(text) - now;
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

function classify(error: unknown, requestTimeoutMs: number): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const code = (error as { code?: unknown }).code;
  const name = (error as { name?: unknown }).name;
  const message = redactApiKey(error instanceof Error ? error.message : String(error));
  if (
    name === 'TimeoutError' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    // DOMException carries a numeric legacy `code`; its name is the meaningful part.
    const what = typeof code === 'string' ? code : String(name);
    return new UpstreamError('timeout', `upstream timed out (${what}, limit ${requestTimeoutMs} ms)`);
  }
  const what = typeof code === 'string' ? code : String(name);
  return new UpstreamError('network', `upstream unreachable: ${what} ${message}`.trim());
}

export interface UpstreamClientOptions {
  readonly config: ProviderClientSettings;
  readonly metrics?: Metrics;
}

export class UpstreamClient implements ProviderClient {
  private readonly agent: Agent;
  private readonly retryPolicy: RetryPolicy;
  private readonly breaker: CircuitBreakerPolicy;
  private lastSuccessAt: string | null = null;
  private lastFailureAt: string | null = null;
  private lastFailureKind: string | null = null;
  private lastFailureMessage: string | null = null;
  private consecutiveFailures = 0;
  private readonly inFlight = new Set<AbortController>();
  private closed = false;
  /** `Authorization: Basic …` for a proxy given as `http://user:password@host/` in ALLSPORTS_BASE_URL. */
  private readonly basicAuth: { authorization?: string };

  constructor(private readonly options: UpstreamClientOptions) {
    const base = new URL(options.config.baseUrl);
    this.basicAuth =
      base.username === '' && base.password === ''
        ? {}
        : {
            authorization: `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`,
          };
    const { config, metrics } = options;
    this.agent = new Agent({
      connect: { timeout: config.connectTimeoutMs },
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 90_000,
      headersTimeout: config.requestTimeoutMs,
      bodyTimeout: config.requestTimeoutMs,
    });
    this.retryPolicy = retry(
      // Nothing is retried once the client is closing (shutdown aborts requests in flight).
      handleWhen((error) => error instanceof UpstreamError && error.transient && !this.closed),
      {
        maxAttempts: config.retries,
        backoff: new ExponentialBackoff({
          generator: noJitterGenerator,
          initialDelay: config.retryBaseDelayMs,
          maxDelay: config.retryBaseDelayMs * 2 ** Math.max(0, config.retries - 1),
        }),
      },
    );
    this.breaker = circuitBreaker(handleAll, {
      breaker: new ConsecutiveBreaker(config.breakerThreshold),
      // Each failed probe doubles the wait, up to ten cooldowns.
      halfOpenAfter: new ExponentialBackoff({
        generator: noJitterGenerator,
        initialDelay: config.breakerCooldownMs,
        maxDelay: config.breakerCooldownMs * 10,
      }),
    });
    metrics?.breakerState.set(0);
    this.breaker.onStateChange((state) => {
      metrics?.breakerState.set(state === CircuitState.Closed ? 0 : state === CircuitState.HalfOpen ? 2 : 1);
    });
  }

  /** Breaker events, for logging by the caller. */
  get onBreakerStateChange() {
    return this.breaker.onStateChange;
  }

  get onRetry() {
    return this.retryPolicy.onRetry;
  }

  health(): UpstreamHealth {
    return {
      lastSuccessAt: this.lastSuccessAt,
      lastFailureAt: this.lastFailureAt,
      lastFailureKind: this.lastFailureKind,
      lastFailureMessage: this.lastFailureMessage,
      consecutiveFailures: this.consecutiveFailures,
      breaker: breakerState(this.breaker.state),
    };
  }

  /** URL for a provider method; the returned string holds the key — never log it unredacted. */
  private url(method: string, extra: Record<string, string> = {}): string {
    const url = new URL(this.options.config.baseUrl);
    // Credentials travel in the Authorization header (fetch-style clients ignore them in the URL).
    url.username = '';
    url.password = '';
    url.searchParams.set('met', method);
    for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, value);
    // The same zone as the push URL's, so dates and kick-off times agree between the two feeds.
    const { timezone } = this.options.config;
    if (timezone !== undefined) url.searchParams.set('timezone', timezone);
    url.searchParams.set('APIkey', this.options.config.apiKey ?? '');
    return url.toString();
  }

  /** One HTTP attempt: status and body checked, JSON parsed and validated. */
  private async attempt(method: string, url: string): Promise<ParsedReply> {
    const { config, metrics } = this.options;
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(new DOMException('request timed out', 'TimeoutError')), config.requestTimeoutMs);
    const started = performance.now();
    let outcome = 'ok';
    try {
      const response = await request(url, {
        dispatcher: this.agent,
        method: 'GET',
        headers: { accept: 'application/json', ...this.basicAuth },
        signal: controller.signal,
      });
      const { statusCode } = response;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) {
          response.body.destroy();
          throw new UpstreamError('bad_format', `reply larger than ${MAX_BODY_BYTES} bytes refused`);
        }
        chunks.push(chunk as Buffer);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      if (statusCode === 429) {
        throw new UpstreamError('rate_limited', 'provider rate limit (HTTP 429)', {
          status: statusCode,
          ...(() => {
            const retryAfterMs = parseRetryAfter(response.headers['retry-after'], Date.now());
            return retryAfterMs === undefined ? {} : { retryAfterMs };
          })(),
        });
      }
      if (statusCode >= 500) throw new UpstreamError('http_5xx', `provider answered HTTP ${statusCode}`, { status: statusCode });
      if (statusCode >= 400) {
        // The provider reports its own errors with HTTP 200; a 4xx body may still explain itself.
        const parsed = parseReplyText(text);
        if (!parsed.ok && (parsed.error.kind === 'auth' || parsed.error.kind === 'provider_error')) throw parsed.error;
        throw new UpstreamError(statusCode === 401 || statusCode === 403 ? 'auth' : 'http_4xx', `provider answered HTTP ${statusCode}`, {
          status: statusCode,
        });
      }
      const parsed = parseReplyText(text);
      if (!parsed.ok) throw parsed.error;
      return parsed.value;
    } catch (error) {
      let failure = classify(error, config.requestTimeoutMs);
      // The parser's wording names neither the variable nor the provider: say what to fix.
      if (failure.kind === 'auth') failure = keyRefusedError(failure, config.apiKey !== undefined);
      outcome = failure.kind;
      metrics?.upstreamFailures.inc({ kind: failure.kind });
      throw failure;
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
      metrics?.upstreamDuration.observe({ method, outcome }, (performance.now() - started) / 1000);
    }
  }

  private recordOutcome(error: UpstreamError | undefined): void {
    const now = new Date().toISOString();
    if (error === undefined) {
      this.lastSuccessAt = now;
      this.consecutiveFailures = 0;
      return;
    }
    this.consecutiveFailures += 1;
    // The breaker refusing a poll is a consequence: the cause it keeps showing is the failure before.
    if (error.kind === 'circuit_open' && this.lastFailureKind !== null) return;
    this.lastFailureAt = now;
    this.lastFailureKind = error.kind;
    this.lastFailureMessage = error.message;
  }

  /** Polls `met=Livescore` through the breaker and the retry policy. */
  async livescore(): Promise<Result<ParsedReply, UpstreamError>> {
    const url = this.url('Livescore');
    try {
      const reply = await this.breaker.execute(() => this.retryPolicy.execute(() => this.attempt('Livescore', url)));
      this.recordOutcome(undefined);
      return ok(reply);
    } catch (error) {
      const failure =
        error instanceof BrokenCircuitError
          ? new UpstreamError('circuit_open', 'upstream circuit open: waiting before the next probe')
          : classify(error, this.options.config.requestTimeoutMs);
      if (failure.kind === 'circuit_open') this.options.metrics?.upstreamFailures.inc({ kind: 'circuit_open' });
      this.recordOutcome(failure);
      return err(failure);
    }
  }

  /**
   * Looks one match up with `met=Fixtures&matchId=` (used to confirm that a vanished match ended).
   * Resolves to `undefined` when the provider does not know the match.
   */
  async fixture(matchId: string): Promise<Result<MatchSnapshot | undefined, UpstreamError>> {
    try {
      // One attempt, no retries: the poll waits for this look-up, and an unconfirmed absence is
      // settled by the next polls anyway (MISSING_POLLS_BEFORE_END).
      const reply = await this.attempt('Fixtures', this.url('Fixtures', { matchId }));
      return ok(reply.matches.find((m) => m.matchId === matchId));
    } catch (error) {
      return err(classify(error, this.options.config.requestTimeoutMs));
    }
  }

  /** Aborts requests in flight and closes pooled connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const controller of this.inFlight) controller.abort(new DOMException('client closed', 'AbortError'));
    await this.agent.close();
  }
}
