/**
 * HTTP client for AllSportsAPI (the contract's `ProviderClient`): the pool, retries, breaker and
 * health are the shared `ResilientHttp` (../http-resilience.ts); this file holds what is
 * AllSportsAPI's own. The API key travels in the query string as the provider requires, and is
 * redacted from everything else; proxy credentials in the base URL become a Basic `Authorization`.
 */
import { err, ok, type Result } from '../../domain/result.js';
import type { Metrics } from '../../metrics.js';
import { UpstreamError } from '../errors.js';
import { ResilientHttp, type RawReply, type RequestSpec } from '../http-resilience.js';
import type { MatchSnapshot, ParsedReply, ProviderClient, ProviderClientSettings, UpstreamHealth } from '../provider.js';
import { keyRefusedError } from './errors.js';
import { parseReplyText } from './parse.js';

/** Longest a Retry-After may hold polling back. */
const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

export type { BreakerState, UpstreamHealth } from '../provider.js';

function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const seconds = Number(text);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(text) - now;
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** The reply checked (status, the provider's error envelope), parsed and validated. */
function readReply({ statusCode, headers, text }: RawReply): ParsedReply {
  if (statusCode === 429) {
    throw new UpstreamError('rate_limited', 'provider rate limit (HTTP 429)', {
      status: statusCode,
      ...(() => {
        const retryAfterMs = parseRetryAfter(headers['retry-after'], Date.now());
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
}

export interface UpstreamClientOptions {
  readonly config: ProviderClientSettings;
  readonly metrics?: Metrics;
}

export class UpstreamClient implements ProviderClient {
  private readonly http: ResilientHttp;
  /** How each request is sent and read: the proxy's credentials, the reply checks, a refused key in words to act on. */
  private readonly spec: RequestSpec<ParsedReply>;

  constructor(private readonly options: UpstreamClientOptions) {
    const { config, metrics } = options;
    const base = new URL(config.baseUrl);
    /** `Authorization: Basic …` for a proxy given as `http://user:password@host/` in ALLSPORTS_BASE_URL. */
    const basicAuth: Record<string, string> =
      base.username === '' && base.password === ''
        ? {}
        : {
            authorization: `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`,
          };
    this.http = new ResilientHttp(config, { metrics });
    this.spec = {
      headers: basicAuth,
      read: readReply,
      // The parser's wording names neither the variable nor the provider: say what to fix.
      refine: (failure) => (failure.kind === 'auth' ? keyRefusedError(failure, config.apiKey !== undefined) : failure),
    };
  }

  /** Breaker events, for logging by the caller. */
  get onBreakerStateChange() {
    return this.http.onBreakerStateChange;
  }

  get onRetry() {
    return this.http.onRetry;
  }

  health(): UpstreamHealth {
    return this.http.health();
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

  /** Polls `met=Livescore` through the breaker and the retry policy. */
  async livescore(): Promise<Result<ParsedReply, UpstreamError>> {
    return this.http.poll('Livescore', this.url('Livescore'), this.spec);
  }

  /**
   * Looks one match up with `met=Fixtures&matchId=` (used to confirm that a vanished match ended).
   * Resolves to `undefined` when the provider does not know the match.
   */
  async fixture(matchId: string): Promise<Result<MatchSnapshot | undefined, UpstreamError>> {
    try {
      // One attempt, no retries: the poll waits for this look-up, and an unconfirmed absence is
      // settled by the next polls anyway (MISSING_POLLS_BEFORE_END).
      const reply = await this.http.attempt('Fixtures', this.url('Fixtures', { matchId }), this.spec);
      return ok(reply.matches.find((m) => m.matchId === matchId));
    } catch (error) {
      return err(this.http.classify(error));
    }
  }

  /** Aborts requests in flight and closes pooled connections. */
  async close(): Promise<void> {
    await this.http.close();
  }
}
