/**
 * HTTP client for API-Football v3 (FORMAT.md §1, §2, §7): one `GET /fixtures?live=all` (or
 * `live=<league ids joined by ->`) per poll; vanished matches confirmed with `fixtures?ids=` (up to
 * 20 per request; `id=` once the plan refuses `ids`). The key travels in a header
 * (`x-apisports-key`, or `x-rapidapi-key` + `x-rapidapi-host` on the RapidAPI host), never in a URL.
 *
 * Errors arrive as HTTP 200 with an `errors` object: each is a failed poll, classified — a refused
 * key (`auth`), the day's quota used up (`quota`: no request until 00:00 UTC), the per-minute limit
 * (`rate_limited`: back off a minute), a plan refusal (`plan`). An empty list with errors is never
 * "no live matches".
 *
 * Budget: every answer's `x-ratelimit-requests-remaining`/`-limit` (day) and
 * `X-RateLimit-Remaining`/`-Limit` (minute) are kept (`/health` `upstream.quota`, metrics), and
 * `minIntervalMs()` slows the polling cadence so the day's quota lasts until it resets.
 *
 * The pool, retries, breaker and health are the shared `ResilientHttp` (../http-resilience.ts);
 * what is API-Football's own (headers, the 200-with-errors envelope, quota headers, budget failures
 * the breaker does not count, batched look-ups) is here.
 */
import { err, ok, type Result } from '../../domain/result.js';
import type { Metrics } from '../../metrics.js';
import { UpstreamError } from '../errors.js';
import { ResilientHttp, type RawReply, type RequestSpec } from '../http-resilience.js';
import type { MatchSnapshot, ParsedReply, ProviderClient, ProviderClientSettings, UpstreamHealth } from '../provider.js';
import { parseApiFootballReply, type ApiFootballReply } from './parser.js';

/** The RapidAPI route's host (FORMAT.md §1): the key goes in `x-rapidapi-key` + `x-rapidapi-host` there. */
export const RAPIDAPI_HOST = 'api-football-v1.p.rapidapi.com';
/** Fixtures per `ids=` request (FORMAT.md §1, changelog 3.9.2). */
export const MAX_IDS_PER_REQUEST = 20;
/** Share of the day's remaining requests kept for look-ups of vanished matches. */
const LOOKUP_RESERVE = 0.1;
const MINUTE_MS = 60_000;
const MAX_RETRY_AFTER_MS = 24 * 60 * MINUTE_MS;

/** `/health` `upstream.quota`: what the provider's last answer said of the budget; `null` until read. */
export interface QuotaHealth {
  readonly day_remaining: number | null;
  readonly day_limit: number | null;
  readonly minute_remaining: number | null;
}

export interface ApiFootballHealth extends UpstreamHealth {
  readonly quota: QuotaHealth;
}

/** Something an operator should read once (the caller logs it). */
export interface ClientNotice {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

export interface ApiFootballClientOptions {
  /** League ids to follow (`live=39-61`); empty or absent: `live=all`. */
  readonly leagues?: readonly string[];
  /** The configured live cadence (POLL_INTERVAL_SECS), to say once when the plan cannot sustain it. */
  readonly pollIntervalMs?: number;
  /** Clock (tests). @default Date.now */
  readonly now?: () => number;
}

/**
 * The key's headers for a base URL: `x-rapidapi-key` + `x-rapidapi-host` on a RapidAPI host (its
 * own accounts and keys, FORMAT.md §1), `x-apisports-key` everywhere else; none without a key.
 */
export function keyHeaders(baseUrl: string, key: string | undefined): Record<string, string> {
  if (key === undefined) return {};
  const host = new URL(baseUrl).hostname.toLowerCase();
  return host === RAPIDAPI_HOST || host.endsWith('.rapidapi.com') ? { 'x-rapidapi-key': key, 'x-rapidapi-host': host } : { 'x-apisports-key': key };
}

function header(headers: Record<string, string | string[] | undefined>, name: string): number | null {
  const raw = headers[name.toLowerCase()];
  const text = Array.isArray(raw) ? raw[0] : raw;
  if (text === undefined || !/^\s*\d{1,12}\s*$/.test(text)) return null;
  return Number(text);
}

/** Milliseconds until the next 00:00 UTC, when the day's quota resets (FORMAT.md §2). */
export function msUntilQuotaReset(now: number): number {
  const date = new Date(now);
  const next = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1);
  return Math.max(1_000, next - now);
}

/** Failures that say "not now" rather than "broken": they back off by their own clock, not the breaker's. */
const BUDGET_KINDS: ReadonlySet<string> = new Set(['quota', 'rate_limited', 'plan']);

interface Pending {
  readonly matchId: string;
  readonly resolve: (result: Result<MatchSnapshot | undefined, UpstreamError>) => void;
}

export class ApiFootballClient implements ProviderClient {
  private readonly http: ResilientHttp;
  /** How each request is sent and read: the key's headers, quota headers, the envelope, failures in words to act on. */
  private readonly spec: RequestSpec<ApiFootballReply>;
  private readonly now: () => number;
  private quota: QuotaHealth = { day_remaining: null, day_limit: null, minute_remaining: null };
  /** When the minute window last reported 0 left (ms), to wait out the minute. */
  private minuteExhaustedAt: number | undefined;
  /** The plan refused `ids`: look-ups go one by one with `id=` from now on. */
  private idsRefused = false;
  private warnedUnsustainable = false;
  private pending: Pending[] = [];
  private flushScheduled = false;
  private readonly noticeListeners: Array<(notice: ClientNotice) => void> = [];

  constructor(
    private readonly settings: ProviderClientSettings,
    private readonly metrics?: Metrics,
    private readonly options: ApiFootballClientOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.http = new ResilientHttp(settings, {
      metrics,
      breakerCounts: (error) => !(error instanceof UpstreamError && BUDGET_KINDS.has(error.kind)),
      now: this.now,
    });
    this.spec = {
      headers: keyHeaders(settings.baseUrl, settings.apiKey),
      onHeaders: (headers) => this.readQuota(headers),
      read: (reply) => this.readReply(reply),
      refine: (failure) => this.refine(failure),
    };
  }

  onRetry(listener: (event: { readonly attempt: number; readonly delay: number }) => void): { dispose(): void } {
    return this.http.onRetry((event) => listener({ attempt: event.attempt, delay: event.delay }));
  }

  onBreakerStateChange(listener: (state: unknown) => void): { dispose(): void } {
    return this.http.onBreakerStateChange(listener);
  }

  /** Things to log once (plan cannot sustain the cadence, `ids` refused); returns a disposer. */
  onNotice(listener: (notice: ClientNotice) => void): { dispose(): void } {
    this.noticeListeners.push(listener);
    return {
      dispose: () => {
        const index = this.noticeListeners.indexOf(listener);
        if (index >= 0) this.noticeListeners.splice(index, 1);
      },
    };
  }

  private notice(notice: ClientNotice): void {
    for (const listener of this.noticeListeners) listener(notice);
  }

  health(): ApiFootballHealth {
    return { ...this.http.health(), quota: this.quota };
  }

  /**
   * The shortest interval between polls the budget allows now (ms): the day's remaining requests
   * (less a reserve for look-ups) spread until 00:00 UTC; the rest of the minute when the minute's
   * requests are spent. (The ~15 s refresh of the feed is POLL_INTERVAL_SECS's default: a shorter
   * interval is only ever one the operator set.)
   */
  minIntervalMs(): number {
    const now = this.now();
    let floor = 0;
    const remaining = this.quota.day_remaining;
    if (remaining !== null) {
      const untilReset = msUntilQuotaReset(now);
      const usable = Math.floor(remaining * (1 - LOOKUP_RESERVE));
      floor = Math.max(floor, usable <= 0 ? untilReset : Math.ceil(untilReset / usable));
    }
    if (this.minuteExhaustedAt !== undefined) {
      const wait = this.minuteExhaustedAt + MINUTE_MS - now;
      if (wait > 0) floor = Math.max(floor, wait);
      else this.minuteExhaustedAt = undefined;
    }
    this.metrics?.pollIntervalSeconds.set(Math.max(floor, this.options.pollIntervalMs ?? 0) / 1000);
    return floor;
  }

  private readQuota(headers: Record<string, string | string[] | undefined>): void {
    const dayRemaining = header(headers, 'x-ratelimit-requests-remaining');
    const dayLimit = header(headers, 'x-ratelimit-requests-limit');
    const minuteRemaining = header(headers, 'x-ratelimit-remaining');
    if (dayRemaining === null && dayLimit === null && minuteRemaining === null) return;
    this.quota = {
      day_remaining: dayRemaining ?? this.quota.day_remaining,
      day_limit: dayLimit ?? this.quota.day_limit,
      minute_remaining: minuteRemaining ?? this.quota.minute_remaining,
    };
    if (dayRemaining !== null) this.metrics?.upstreamQuotaDayRemaining.set(dayRemaining);
    if (dayLimit !== null) this.metrics?.upstreamQuotaDayLimit.set(dayLimit);
    if (minuteRemaining !== null) {
      this.metrics?.upstreamQuotaMinuteRemaining.set(minuteRemaining);
      if (minuteRemaining === 0) this.minuteExhaustedAt ??= this.now();
    }
    const interval = this.options.pollIntervalMs;
    if (dayLimit !== null && interval !== undefined && !this.warnedUnsustainable) {
      const needed = Math.ceil(86_400_000 / interval);
      if (needed > dayLimit * (1 - LOOKUP_RESERVE)) {
        this.warnedUnsustainable = true;
        this.notice({
          level: 'warn',
          message: `the API-Football plan (${dayLimit} requests a day) cannot sustain POLL_INTERVAL_SECS=${interval / 1000} around the clock (${needed} a day): polls slow down so the quota lasts until 00:00 UTC`,
          fields: { day_limit: dayLimit, needed_per_day: needed },
        });
      }
    }
  }

  /** `{base}fixtures?…` (the key is a header, never in the URL). */
  private url(params: Record<string, string>): string {
    const url = new URL('fixtures', this.settings.baseUrl.endsWith('/') ? this.settings.baseUrl : `${this.settings.baseUrl}/`);
    url.username = '';
    url.password = '';
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    if (this.settings.timezone !== undefined) url.searchParams.set('timezone', this.settings.timezone);
    return url.toString();
  }

  /** The refusal of a key, in words an operator can act on. */
  private authError(error: UpstreamError): UpstreamError {
    const quoted = (error.details.providerMessages ?? []).map((m) => (m.param ? `${m.param}: ${m.msg}` : m.msg)).join('; ');
    const why = quoted !== '' ? quoted : error.details.status !== undefined ? `HTTP ${error.details.status}` : 'no reason given';
    const message =
      this.settings.apiKey !== undefined
        ? `APIFOOTBALL_API_KEY was refused by API-Football (${why}): check the key`
        : `API-Football refused the request without a key (${why}): set APIFOOTBALL_API_KEY`;
    return new UpstreamError('auth', message, { ...error.details, cause: error });
  }

  /** An answer checked (status, the envelope), its fixtures parsed. */
  private readReply({ statusCode, headers, text }: RawReply): ApiFootballReply {
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (statusCode === 429) {
      const retryAfter = header(headers, 'retry-after');
      throw new UpstreamError('rate_limited', 'API-Football per-minute rate limit (HTTP 429): waiting for the next minute', {
        status: statusCode,
        retryAfterMs: Math.min(retryAfter !== null ? retryAfter * 1000 : MINUTE_MS, MAX_RETRY_AFTER_MS),
      });
    }
    if (statusCode >= 500 || statusCode === 499) {
      throw new UpstreamError('http_5xx', `API-Football answered HTTP ${statusCode}`, { status: statusCode });
    }
    if (statusCode === 204) throw new UpstreamError('provider_error', 'API-Football answered HTTP 204 (no content)', { status: statusCode });
    if (statusCode === 401 || statusCode === 403) {
      throw new UpstreamError('auth', `API-Football answered HTTP ${statusCode}`, { status: statusCode });
    }
    if (body === undefined && statusCode >= 400) throw new UpstreamError('http_4xx', `API-Football answered HTTP ${statusCode}`, { status: statusCode });
    if (body === undefined) throw new UpstreamError('bad_json', `reply is not valid JSON (${text.length} bytes)`);
    const parsed = parseApiFootballReply(body);
    if (!parsed.ok) throw parsed.error;
    if (statusCode >= 400) throw new UpstreamError('http_4xx', `API-Football answered HTTP ${statusCode}`, { status: statusCode });
    if (parsed.value.dropped > 0) this.metrics?.upstreamDroppedItems.inc(parsed.value.dropped);
    return parsed.value;
  }

  /** A failed request in words an operator can act on, with the wait a budget failure asks for. */
  private refine(classified: UpstreamError): UpstreamError {
    let failure = classified;
    if (failure.kind === 'auth') failure = this.authError(failure);
    if (failure.kind === 'quota' && failure.details.retryAfterMs === undefined) {
      failure = new UpstreamError('quota', `${failure.message}: the day's quota is used up, no request until it resets at 00:00 UTC`, {
        ...failure.details,
        retryAfterMs: msUntilQuotaReset(this.now()),
      });
      this.quota = { ...this.quota, day_remaining: 0 };
    }
    if (failure.kind === 'rate_limited') {
      if (failure.details.retryAfterMs === undefined) {
        failure = new UpstreamError('rate_limited', `${failure.message}: waiting for the next minute`, { ...failure.details, retryAfterMs: MINUTE_MS });
      }
      this.minuteExhaustedAt = this.now();
    }
    return failure;
  }

  /** The live list: `live=all`, or the followed leagues. */
  async livescore(): Promise<Result<ParsedReply, UpstreamError>> {
    const leagues = this.options.leagues ?? [];
    const url = this.url({ live: leagues.length === 0 ? 'all' : leagues.join('-') });
    return this.http.poll('fixtures_live', url, this.spec);
  }

  /**
   * Looks a vanished match up. Look-ups asked for in the same turn of the event loop share one
   * `ids=` request (up to 20 ids); one id alone, or any once the plan refused `ids`, uses `id=`.
   */
  fixture(matchId: string): Promise<Result<MatchSnapshot | undefined, UpstreamError>> {
    return new Promise((resolve) => {
      this.pending.push({ matchId, resolve });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        const batch = this.pending;
        this.pending = [];
        void this.lookUp(batch);
      });
    });
  }

  private async lookUp(batch: readonly Pending[]): Promise<void> {
    const ids = [...new Set(batch.map((p) => p.matchId))];
    const found = new Map<string, Result<MatchSnapshot | undefined, UpstreamError>>();
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_REQUEST) {
      const chunk = ids.slice(i, i + MAX_IDS_PER_REQUEST);
      for (const [id, result] of await this.lookUpChunk(chunk)) found.set(id, result);
    }
    for (const pending of batch) {
      pending.resolve(found.get(pending.matchId) ?? err(new UpstreamError('provider_error', 'look-up did not run')));
    }
  }

  private async lookUpChunk(ids: readonly string[]): Promise<Map<string, Result<MatchSnapshot | undefined, UpstreamError>>> {
    const results = new Map<string, Result<MatchSnapshot | undefined, UpstreamError>>();
    if (ids.length > 1 && !this.idsRefused) {
      try {
        const reply = await this.http.attempt('fixtures_ids', this.url({ ids: ids.join('-') }), this.spec);
        for (const id of ids) results.set(id, ok(reply.matches.find((m) => m.matchId === id)));
        return results;
      } catch (error) {
        const failure = this.http.classify(error);
        const refusedIds = failure.kind === 'plan' && (failure.details.providerMessages ?? []).some((m) => /\bids\b/i.test(m.msg));
        if (!refusedIds) {
          for (const id of ids) results.set(id, err(failure));
          return results;
        }
        this.idsRefused = true;
        this.notice({
          level: 'warn',
          message: 'the API-Football plan refuses the ids parameter: vanished matches are looked up one by one with id= (one request each)',
          fields: { refused_parameter: 'ids', fallback: 'id' },
        });
      }
    }
    for (const id of ids) {
      try {
        const reply = await this.http.attempt('fixtures_id', this.url({ id }), this.spec);
        results.set(id, ok(reply.matches.find((m) => m.matchId === id)));
      } catch (error) {
        const failure = this.http.classify(error);
        results.set(id, err(failure));
        // Further requests now would only spend the key.
        if (failure.kind === 'quota' || failure.kind === 'rate_limited' || failure.kind === 'auth') {
          for (const rest of ids) if (!results.has(rest)) results.set(rest, err(failure));
          break;
        }
      }
    }
    return results;
  }

  async close(): Promise<void> {
    if (this.http.closed) return;
    // Aborts requests in flight, then settles the look-ups that never started.
    const closing = this.http.close();
    for (const pending of this.pending) pending.resolve(err(new UpstreamError('network', 'client closed')));
    this.pending = [];
    await closing;
  }
}
