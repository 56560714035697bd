/**
 * The provider-neutral half of a polling client (`ProviderClient`): a keep-alive connection pool
 * (undici), retries with exponential backoff of transient failures and a circuit breaker around
 * polling (cockatiel), one request at a time bounded in time and size, requests in flight aborted on
 * close, the health `/health` shows, and the duration, failure and breaker metrics.
 *
 * A provider's client composes one `ResilientHttp` and keeps only what is its own: the URL and where
 * the key goes, the reading of a reply (status codes, envelope, rate-limit and quota headers),
 * failures said in words an operator can act on, and which failures the breaker should not count.
 */
import type { Agent } from 'undici';
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
import { err, ok, type Result } from '../domain/result.js';
import type { Metrics } from '../metrics.js';
import { UpstreamError, redactApiKey } from './errors.js';
import type { BreakerState, ProviderClientSettings, UpstreamHealth } from './provider.js';

/** Replies larger than this are refused rather than buffered (six live matches are ~110 KB). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** Response headers as undici gives them (names in lower case). */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** One answer, read whole (within `MAX_BODY_BYTES`). */
export interface RawReply {
  readonly statusCode: number;
  readonly headers: ResponseHeaders;
  /** The body as UTF-8 text. */
  readonly text: string;
}

/** How one provider's request is sent and its answer read. */
export interface RequestSpec<T> {
  /** Headers besides `accept: application/json` (the key, proxy credentials). */
  readonly headers?: Record<string, string>;
  /** Sees the headers before the body is read (quota headers count even when the body fails). */
  readonly onHeaders?: (headers: ResponseHeaders) => void;
  /** Turns the answer into the value, or throws the `UpstreamError` it amounts to. */
  readonly read: (reply: RawReply) => T;
  /** Restates a failure (classified already) before it is counted and thrown: words an operator can act on. */
  readonly refine?: (failure: UpstreamError) => UpstreamError;
}

export interface ResilientHttpOptions {
  readonly metrics?: Metrics | undefined;
  /** Which failures count towards opening the breaker. @default every failure */
  readonly breakerCounts?: (error: unknown) => boolean;
  /** Clock of the health times. @default Date.now */
  readonly now?: () => number;
}

/** The breaker's state as `/health` names it. */
export function breakerState(state: CircuitState): BreakerState {
  if (state === CircuitState.Open || state === CircuitState.Isolated) return 'open';
  if (state === CircuitState.HalfOpen) return 'half-open';
  return 'closed';
}

/** Any failure as an `UpstreamError`: `timeout` for undici's and our own timeouts, `network` for the rest. */
export function classify(error: unknown, requestTimeoutMs: number): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const code = (error as { code?: unknown }).code;
  const name = (error as { name?: unknown }).name;
  const message = redactApiKey(error instanceof Error ? error.message : String(error));
  // DOMException carries a numeric legacy `code`; its name is the meaningful part.
  const what = typeof code === 'string' ? code : String(name);
  if (name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new UpstreamError('timeout', `upstream timed out (${what}, limit ${requestTimeoutMs} ms)`);
  }
  return new UpstreamError('network', `upstream unreachable: ${what} ${message}`.trim());
}

let undici: Promise<typeof import('undici')> | undefined;
/**
 * undici, loaded on the first upstream request: only the writer polls, and loading it took ~140 ms
 * of every worker's start-up (a restart's clients wait for the workers to listen).
 */
export function loadUndici(): Promise<typeof import('undici')> {
  undici ??= import('undici');
  return undici;
}

/** Pool, retries, breaker, health and metrics of one provider's client. */
export class ResilientHttp {
  /** The connection pool, made on the first request (undici is loaded then: see `loadUndici`). */
  private agent: Promise<Agent> | undefined;
  private readonly retryPolicy: RetryPolicy;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly metrics: Metrics | undefined;
  private readonly now: () => number;
  private lastSuccessAt: string | null = null;
  private lastFailureAt: string | null = null;
  private lastFailureKind: string | null = null;
  private lastFailureMessage: string | null = null;
  private consecutiveFailures = 0;
  private readonly inFlight = new Set<AbortController>();
  private closing = false;

  constructor(
    private readonly settings: ProviderClientSettings,
    options: ResilientHttpOptions = {},
  ) {
    const { metrics, breakerCounts } = options;
    this.metrics = metrics;
    this.now = options.now ?? Date.now;
    this.retryPolicy = retry(
      // Nothing is retried once the client is closing (shutdown aborts requests in flight).
      handleWhen((error) => error instanceof UpstreamError && error.transient && !this.closing),
      {
        maxAttempts: settings.retries,
        backoff: new ExponentialBackoff({
          generator: noJitterGenerator,
          initialDelay: settings.retryBaseDelayMs,
          maxDelay: settings.retryBaseDelayMs * 2 ** Math.max(0, settings.retries - 1),
        }),
      },
    );
    this.breaker = circuitBreaker(breakerCounts === undefined ? handleAll : handleWhen(breakerCounts), {
      breaker: new ConsecutiveBreaker(settings.breakerThreshold),
      // Each failed probe doubles the wait, up to ten cooldowns.
      halfOpenAfter: new ExponentialBackoff({
        generator: noJitterGenerator,
        initialDelay: settings.breakerCooldownMs,
        maxDelay: settings.breakerCooldownMs * 10,
      }),
    });
    metrics?.breakerState.set(0);
    this.breaker.onStateChange((state) => {
      metrics?.breakerState.set(state === CircuitState.Closed ? 0 : state === CircuitState.HalfOpen ? 2 : 1);
    });
  }

  private pool(): Promise<Agent> {
    const { settings } = this;
    this.agent ??= loadUndici().then(
      ({ Agent }) =>
        new Agent({
          connect: { timeout: settings.connectTimeoutMs },
          keepAliveTimeout: 60_000,
          keepAliveMaxTimeout: 90_000,
          headersTimeout: settings.requestTimeoutMs,
          bodyTimeout: settings.requestTimeoutMs,
        }),
    );
    return this.agent;
  }

  /** `close()` was called. */
  get closed(): boolean {
    return this.closing;
  }

  /** Retries of transient failures (cockatiel's event: attempt, delay, and the error or value). */
  get onRetry(): RetryPolicy['onRetry'] {
    return this.retryPolicy.onRetry;
  }

  /** Breaker state changes. */
  get onBreakerStateChange(): CircuitBreakerPolicy['onStateChange'] {
    return this.breaker.onStateChange;
  }

  /** The health fields every provider's `/health` `upstream` shows. */
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

  /** Any failure as an `UpstreamError` (the configured request timeout in a timeout's words). */
  classify(error: unknown): UpstreamError {
    return classify(error, this.settings.requestTimeoutMs);
  }

  /**
   * One HTTP GET, no retry: bounded by the request timeout and `MAX_BODY_BYTES`, aborted by
   * `close()`, timed (`method`, outcome) and its failure counted by kind. `url` may hold a key:
   * it never reaches an error or a log.
   */
  async attempt<T>(method: string, url: string, spec: RequestSpec<T>): Promise<T> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(new DOMException('request timed out', 'TimeoutError')), this.settings.requestTimeoutMs);
    const started = performance.now();
    let outcome = 'ok';
    try {
      const { request } = await loadUndici();
      const response = await request(url, {
        dispatcher: await this.pool(),
        method: 'GET',
        headers: { accept: 'application/json', ...spec.headers },
        signal: controller.signal,
      });
      const { statusCode, headers } = response;
      spec.onHeaders?.(headers);
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
      return spec.read({ statusCode, headers, text: Buffer.concat(chunks).toString('utf8') });
    } catch (error) {
      let failure = this.classify(error);
      if (spec.refine !== undefined) failure = spec.refine(failure);
      outcome = failure.kind;
      this.metrics?.upstreamFailures.inc({ kind: failure.kind });
      throw failure;
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
      this.metrics?.upstreamDuration.observe({ method, outcome }, (performance.now() - started) / 1000);
    }
  }

  /** A poll: `attempt` through the breaker and the retry policy, its outcome kept for `health()`. */
  async poll<T>(method: string, url: string, spec: RequestSpec<T>): Promise<Result<T, UpstreamError>> {
    try {
      const value = await this.breaker.execute(() => this.retryPolicy.execute(() => this.attempt(method, url, spec)));
      this.recordOutcome(undefined);
      return ok(value);
    } catch (error) {
      const failure =
        error instanceof BrokenCircuitError ? new UpstreamError('circuit_open', 'upstream circuit open: waiting before the next probe') : this.classify(error);
      if (failure.kind === 'circuit_open') this.metrics?.upstreamFailures.inc({ kind: 'circuit_open' });
      this.recordOutcome(failure);
      return err(failure);
    }
  }

  private recordOutcome(error: UpstreamError | undefined): void {
    const now = new Date(this.now()).toISOString();
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

  /** Aborts requests in flight and closes pooled connections. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const controller of this.inFlight) controller.abort(new DOMException('client closed', 'AbortError'));
    await (await this.agent)?.close();
  }
}
