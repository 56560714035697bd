/**
 * The service polling a stand-in API-Football over a real socket (issue 21 "Errors"): an empty live
 * list that carries an `errors` object is a failed poll, never "no live matches" — a followed match
 * is not ended however long it lasts; a refused key makes /health unhealthy and is logged once, naming
 * APIFOOTBALL_API_KEY; /health shows the quota the answers report.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../helpers/service.js';
import { afEnvelope, afErrors, startAfStandIn, type AfHandler, type AfStandIn } from '../helpers/api-football-stand-in.js';
import { TestClient } from '../helpers/ws-client.js';

function liveFixture(elapsed: number, id = 5001, short = '1H'): Record<string, unknown> {
  return {
    fixture: { id, referee: null, timezone: 'UTC', date: '2026-12-07T15:00:00+00:00', timestamp: 1, periods: { first: null, second: null }, venue: { id: null, name: null, city: null }, status: { long: 'First Half', short, elapsed, extra: null } },
    league: { id: 39, name: 'Premier League', country: 'England', logo: null, flag: null, season: 2026, round: 'R' },
    teams: { home: { id: 1, name: 'Home', logo: null, winner: null }, away: { id: 2, name: 'Away', logo: null, winner: null } },
    goals: { home: 0, away: 0 },
    score: { halftime: { home: null, away: null }, fulltime: { home: null, away: null }, extratime: { home: null, away: null }, penalty: { home: null, away: null } },
    events: [],
  };
}

/** A quota so large that the budget never slows these fast polls (a real 7,500 a day would: one poll every ~8 s). */
const QUOTA = { 'x-ratelimit-requests-limit': '1000000', 'x-ratelimit-requests-remaining': '999000', 'X-RateLimit-Limit': '300', 'X-RateLimit-Remaining': '299' };

let standIn: AfStandIn | undefined;
let service: TestService | undefined;
afterEach(async () => {
  await service?.stop();
  await standIn?.close();
  service = undefined;
  standIn = undefined;
});

async function start(reply: AfHandler): Promise<{ standIn: AfStandIn; service: TestService }> {
  standIn = await startAfStandIn();
  standIn.handle(reply);
  service = await startService({
    PROVIDER: 'api-football',
    APIFOOTBALL_API_KEY: 'af-test-key-123',
    APIFOOTBALL_BASE_URL: standIn.baseUrl,
    POLL_INTERVAL_SECS: '0.05',
    POLL_INTERVAL_IDLE_SECS: '0.05',
    MISSING_POLLS_BEFORE_END: '2',
    UPSTREAM_BREAKER_THRESHOLD: '1000',
  });
  return { standIn, service };
}

describe('confirming ends', () => {
  it('six matches leaving live=all at once are confirmed with one ids= request, and end', async () => {
    const ids = [6001, 6002, 6003, 6004, 6005, 6006];
    let stage: 'nothing' | 'live' | 'over' = 'nothing';
    const { standIn: stand, service: svc } = await start((request) => {
      if (request.query.has('ids')) return { body: afEnvelope((request.query.get('ids') ?? '').split('-').map((id) => liveFixture(90, Number(id), 'FT'))), headers: QUOTA };
      return { body: afEnvelope(stage === 'live' ? ids.map((id) => liveFixture(80, id, '2H')) : []), headers: QUOTA };
    });
    const client = await TestClient.open(svc.wsUrl);
    client.send({ action: 'subscribe_all' });
    await client.nextOfType('SUBSCRIBED');
    stage = 'live';
    for (let i = 0; i < ids.length; i += 1) await client.nextOfType('MATCH_STARTED', 20_000);
    stage = 'over';
    for (let i = 0; i < ids.length; i += 1) await client.nextOfType('MATCH_ENDED', 20_000);
    const lookups = stand.requests.filter((r) => r.query.has('ids') || r.query.has('id'));
    expect(lookups.map((r) => r.query.get('ids')?.split('-').length)).toEqual([6]);
    client.close();
  });
});

describe('API-Football errors are failed polls', () => {
  it('a refused key after a match was live: no MATCH_ENDED, /health unhealthy naming APIFOOTBALL_API_KEY, one log line, no key anywhere', async () => {
    let stage: 'nothing' | 'live' | 'refused' = 'nothing';
    const { standIn: stand, service: svc } = await start(() =>
      stage === 'refused'
        ? { body: afErrors({ token: 'Error/Missing application key.' }), headers: QUOTA }
        : { body: afEnvelope(stage === 'live' ? [liveFixture(10)] : []), headers: QUOTA },
    );
    const client = await TestClient.open(svc.wsUrl);
    client.send({ action: 'subscribe_all' });
    await client.nextOfType('SUBSCRIBED');
    stage = 'live';
    await client.nextOfType('MATCH_STARTED', 20_000);
    const healthy = (await (await fetch(`${svc.url}/health`)).json()) as { upstream: Record<string, unknown> };
    expect(healthy.upstream['source']).toBe('api-football');
    expect(healthy.upstream['quota']).toEqual({ day_remaining: 999000, day_limit: 1000000, minute_remaining: 299 });

    stage = 'refused';
    const before = stand.count('live');
    // Many more refused polls than MISSING_POLLS_BEFORE_END: an empty list read as "nothing live" would have ended the match.
    await stand.waitFor('live', before + 10);
    await svc.app.poller.nextPoll();
    const health = await fetch(`${svc.url}/health`);
    const body = (await health.json()) as { status: string; upstream: Record<string, unknown> };
    expect(health.status).toBe(503);
    expect(body.status).toBe('unhealthy');
    expect(body.upstream['last_failure_kind']).toBe('auth');
    expect(String(body.upstream['last_failure_message'])).toMatch(/^APIFOOTBALL_API_KEY was refused by API-Football/);
    expect(client.received.some((m) => m.type === 'MATCH_ENDED')).toBe(false);
    expect(stand.count('ids') + stand.count('id')).toBe(0);
    const refusals = svc.logs.filter((line) => line.includes('APIFOOTBALL_API_KEY was refused') && line.includes('"level":40'));
    expect(refusals).toHaveLength(1);
    expect(svc.logs.join('\n')).not.toContain('af-test-key-123');
    client.close();
  });

  it('the day\'s quota used up: the polls stop until the reset instead of hammering the provider', async () => {
    const { standIn: stand, service: svc } = await start(() => ({ body: afErrors({ requests: 'You have reached the request limit for the day, Go to https://dashboard.api-football.com to upgrade your plan.' }) }));
    const outcome = await svc.app.poller.nextPoll();
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.kind).toBe('quota');
    const afterRefusal = stand.count('live');
    // The next poll is due at 00:00 UTC; a round trip to /health shows the service is alive meanwhile.
    const body = (await (await fetch(`${svc.url}/health`)).json()) as { upstream: Record<string, unknown> };
    expect(body.upstream['last_failure_kind']).toBe('quota');
    expect((body.upstream['quota'] as Record<string, unknown>)['day_remaining']).toBe(0);
    expect(stand.count('live')).toBe(afterRefusal);
  });
});
