/**
 * The API-Football client against a stand-in speaking the provider's wire format over a real socket
 * (issue 21 "Polling within a request budget"): the request per poll, the key's header, errors in a
 * 200 body classified (never an empty live list), quota headers, ids= batching and the id= fallback.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.js';
import { ApiFootballClient, keyHeaders, msUntilQuotaReset, type ClientNotice } from '../../src/upstream/api-football/client.js';
import type { ProviderClientSettings } from '../../src/upstream/provider.js';
import { afEnvelope, afErrors, startAfStandIn, type AfStandIn } from '../helpers/api-football-stand-in.js';

function liveFixture(id: number, short = '1H', elapsed = 10): Record<string, unknown> {
  return {
    fixture: { id, referee: null, timezone: 'UTC', date: '2026-12-07T15:00:00+00:00', timestamp: 1, periods: { first: null, second: null }, venue: { id: null, name: null, city: null }, status: { long: 'x', short, elapsed, extra: null } },
    league: { id: 39, name: 'Premier League', country: 'England', logo: null, flag: null, season: 2026, round: 'R' },
    teams: { home: { id: 1, name: 'A', logo: null, winner: null }, away: { id: 2, name: 'B', logo: null, winner: null } },
    goals: { home: 0, away: 0 },
    score: { halftime: { home: null, away: null }, fulltime: { home: null, away: null }, extratime: { home: null, away: null }, penalty: { home: null, away: null } },
    events: [],
  };
}

let standIn: AfStandIn;
let client: ApiFootballClient | undefined;
beforeEach(async () => {
  standIn = await startAfStandIn();
});
afterEach(async () => {
  await client?.close();
  client = undefined;
  await standIn.close();
});

function settings(overrides: Partial<ProviderClientSettings> = {}): ProviderClientSettings {
  return {
    baseUrl: standIn.baseUrl,
    apiKey: 'af-secret-key',
    timezone: undefined,
    connectTimeoutMs: 5_000,
    requestTimeoutMs: 10_000,
    retryBaseDelayMs: 10,
    retries: 1,
    breakerThreshold: 50,
    breakerCooldownMs: 1_000,
    ...overrides,
  };
}

describe('requests', () => {
  it('one GET /fixtures?live=all per poll with x-apisports-key, and timezone= when set', async () => {
    client = new ApiFootballClient(settings({ timezone: 'Europe/London' }));
    standIn.handle(() => ({ body: afEnvelope([liveFixture(7)]) }));
    const reply = await client.livescore();
    expect(reply.ok && reply.value.matches.map((m) => m.matchId)).toEqual(['7']);
    const [request] = standIn.requests;
    expect(request?.path).toBe('/fixtures');
    expect(Object.fromEntries(request?.query ?? [])).toEqual({ live: 'all', timezone: 'Europe/London' });
    expect(request?.headers['x-apisports-key']).toBe('af-secret-key');
    expect(request?.headers['x-rapidapi-key']).toBeUndefined();
  });

  it('live=<league ids joined by -> when following some leagues', async () => {
    client = new ApiFootballClient(settings(), undefined, { leagues: ['39', '61'] });
    await client.livescore();
    expect(standIn.requests[0]?.query.get('live')).toBe('39-61');
  });

  it('the RapidAPI host gets x-rapidapi-key and x-rapidapi-host instead', () => {
    expect(keyHeaders('https://api-football-v1.p.rapidapi.com/v3/', 'k')).toEqual({ 'x-rapidapi-key': 'k', 'x-rapidapi-host': 'api-football-v1.p.rapidapi.com' });
    expect(keyHeaders('https://v3.football.api-sports.io/', 'k')).toEqual({ 'x-apisports-key': 'k' });
    expect(keyHeaders('https://v3.football.api-sports.io/', undefined)).toEqual({});
  });
});

describe('errors inside a 200 body are failed polls, never "no live matches"', () => {
  it('token → auth, naming APIFOOTBALL_API_KEY, never the key', async () => {
    client = new ApiFootballClient(settings());
    standIn.handle(() => ({ body: afErrors({ token: 'Error/Missing application key. Go to https://www.api-football.com/documentation-v3 to learn how to get your API application key.' }) }));
    const reply = await client.livescore();
    expect(reply.ok).toBe(false);
    if (reply.ok) return;
    expect(reply.error.kind).toBe('auth');
    expect(reply.error.message).toMatch(/^APIFOOTBALL_API_KEY was refused by API-Football \(token: Error\/Missing application key/);
    expect(reply.error.message).not.toContain('af-secret-key');
    expect(client.health()).toMatchObject({ lastFailureKind: 'auth', consecutiveFailures: 1 });
  });

  it('requests → quota: no request until 00:00 UTC', async () => {
    client = new ApiFootballClient(settings());
    standIn.handle(() => ({ body: afErrors({ requests: 'You have reached the request limit for the day, Go to https://dashboard.api-football.com to upgrade your plan.' }) }));
    const before = Date.now();
    const reply = await client.livescore();
    expect(!reply.ok && reply.error.kind).toBe('quota');
    if (reply.ok) return;
    const wait = reply.error.details.retryAfterMs ?? 0;
    expect(wait).toBeGreaterThan(msUntilQuotaReset(Date.now()) - 60_000);
    expect(wait).toBeLessThanOrEqual(msUntilQuotaReset(before));
    expect(client.health().quota.day_remaining).toBe(0);
    // The cadence the polling loop reads: nothing more today.
    expect(client.minIntervalMs()).toBeGreaterThan(msUntilQuotaReset(Date.now()) - 60_000);
  });

  it.each([
    ['HTTP 200', 200],
    ['HTTP 429', 429],
  ])('rateLimit (%s) → rate_limited: back off a minute', async (_label, status) => {
    client = new ApiFootballClient(settings());
    standIn.handle(() => ({ status, body: afErrors({ rateLimit: 'Too many requests. Your rate limit is 10 requests per minute.' }) }));
    const reply = await client.livescore();
    expect(!reply.ok && reply.error.kind).toBe('rate_limited');
    if (!reply.ok) expect(reply.error.details.retryAfterMs).toBe(60_000);
    expect(client.minIntervalMs()).toBeGreaterThan(50_000);
  });

  it('plan → plan, with the provider\'s words', async () => {
    client = new ApiFootballClient(settings());
    standIn.handle(() => ({ body: afErrors({ plan: 'Free plans do not have access to this season, try from 2022 to 2024.' }) }));
    const reply = await client.livescore();
    expect(!reply.ok && reply.error.kind).toBe('plan');
    if (!reply.ok) expect(reply.error.message).toMatch(/^the API-Football plan refuses the season parameter \(plan: Free plans do not have access to this season/);
  });
});

describe('the request budget', () => {
  it('reads the day and minute quota headers on every answer (health, metrics) and spreads the rest of the day', async () => {
    const metrics = new Metrics();
    const notices: ClientNotice[] = [];
    client = new ApiFootballClient(settings(), metrics, { pollIntervalMs: 15_000 });
    client.onNotice((n) => notices.push(n));
    let remaining = 90;
    standIn.handle(() => ({
      body: afEnvelope([]),
      headers: {
        'x-ratelimit-requests-limit': '100',
        'x-ratelimit-requests-remaining': String(remaining--),
        'X-RateLimit-Limit': '10',
        'X-RateLimit-Remaining': '9',
      },
    }));
    await client.livescore();
    await client.livescore();
    expect(client.health().quota).toEqual({ day_remaining: 89, day_limit: 100, minute_remaining: 9 });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^fsc_upstream_quota_day_remaining 89$/m);
    expect(text).toMatch(/^fsc_upstream_quota_day_limit 100$/m);
    expect(text).toMatch(/^fsc_upstream_quota_minute_remaining 9$/m);
    // 89 requests (less a tenth kept for look-ups) must last until 00:00 UTC.
    const floor = client.minIntervalMs();
    expect(floor).toBeGreaterThanOrEqual(Math.floor(msUntilQuotaReset(Date.now()) / 80) - 1_000);
    // 100 a day cannot sustain a poll every 15 s: said once, not per answer.
    expect(notices.filter((n) => n.message.includes('cannot sustain POLL_INTERVAL_SECS=15'))).toHaveLength(1);
  });

  it('a plan with room says nothing and keeps the configured cadence', async () => {
    const notices: ClientNotice[] = [];
    client = new ApiFootballClient(settings(), undefined, { pollIntervalMs: 15_000 });
    client.onNotice((n) => notices.push(n));
    standIn.handle(() => ({ body: afEnvelope([]), headers: { 'x-ratelimit-requests-limit': '75000', 'x-ratelimit-requests-remaining': '74000' } }));
    await client.livescore();
    expect(notices).toEqual([]);
    expect(client.minIntervalMs()).toBeLessThan(15_000);
  });
});

describe('confirming vanished matches', () => {
  it('look-ups asked together share ids= requests of at most 20', async () => {
    client = new ApiFootballClient(settings());
    standIn.handle((request) => {
      const ids = (request.query.get('ids') ?? request.query.get('id') ?? '').split('-');
      return { body: afEnvelope(ids.map((id) => liveFixture(Number(id), 'FT', 90))) };
    });
    const ids = Array.from({ length: 25 }, (_, i) => String(1000 + i));
    const results = await Promise.all(ids.map((id) => client?.fixture(id)));
    expect(results.map((r) => r?.ok && r.value?.phase)).toEqual(ids.map(() => 'finished'));
    expect(standIn.requests.map((r) => r.query.get('ids')?.split('-').length)).toEqual([20, 5]);
  });

  it('a plan that refuses ids: said once, then id= one by one', async () => {
    const notices: ClientNotice[] = [];
    client = new ApiFootballClient(settings());
    client.onNotice((n) => notices.push(n));
    standIn.handle((request) => {
      if (request.query.has('ids')) return { body: afErrors({ plan: 'Free plans do not have access to the Ids parameter.' }) };
      return { body: afEnvelope([liveFixture(Number(request.query.get('id')), 'FT', 90)]) };
    });
    const first = await Promise.all(['1', '2', '3'].map((id) => client?.fixture(id)));
    const second = await Promise.all(['4', '5'].map((id) => client?.fixture(id)));
    expect([...first, ...second].map((r) => r?.ok && r.value?.matchId)).toEqual(['1', '2', '3', '4', '5']);
    expect(standIn.requests.map((r) => (r.query.has('ids') ? 'ids' : 'id'))).toEqual(['ids', 'id', 'id', 'id', 'id', 'id']);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.message).toMatch(/refuses the ids parameter.*id=/);
  });

  it('a match the provider does not return is unknown, not an error', async () => {
    client = new ApiFootballClient(settings());
    standIn.handle(() => ({ body: afEnvelope([]) }));
    const result = await client.fixture('99');
    expect(result).toEqual({ ok: true, value: undefined });
    expect(standIn.requests[0]?.query.get('id')).toBe('99');
  });
});
