/**
 * The REST API over real HTTP, in-process against a stand-in provider: `/matches` agrees with the
 * WebSocket SNAPSHOT, `/matches/:id` with the events a subscriber received for that match, and
 * `/events` paged to the end with the full WebSocket stream; both narrowed by `match_id`, `league_id`
 * and `team_id`. Bad or unknown parameters get a 400 that names them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LiveFeed } from '../helpers/live-feed.js';
import { startService, type TestService } from '../helpers/service.js';
import { standInEnv, startStandIn, type StandIn } from '../helpers/stand-in.js';
import { settle } from '../helpers/waits.js';
import { eventsOf, reach, seqOf, subscribe, TestClient, type Message } from '../helpers/ws-client.js';

const A = { key: 5001, leagueKey: 152, league: 'Premier League', homeKey: 51, awayKey: 52 };
const B = { key: 5002, leagueKey: 207, league: 'Serie A', homeKey: 53, awayKey: 54 };
/** Finishes during the test: no longer live, still retained. */
const D = { key: 5004, leagueKey: 152, league: 'Premier League', homeKey: 57, awayKey: 58 };

interface EventsPage {
  epoch: string;
  events: Message[];
  next_since: number;
  has_more: boolean;
  latest_seq: number;
  oldest_available_seq: number;
  truncated: boolean;
}

let standIn: StandIn;
let feed: LiveFeed;
let service: TestService;
let reference: TestClient;

beforeEach(async () => {
  standIn = await startStandIn();
  feed = new LiveFeed(standIn);
  for (const match of [A, B, D]) feed.add({ ...match, status: '10' });
  service = await startService(standInEnv(standIn));
  reference = await TestClient.open(service.wsUrl);
  const { epoch } = await service.app.store.bounds();
  expect(await subscribe(reference, { action: 'subscribe_all', since: 0, epoch })).toMatchObject({ resumed: true });
});

afterEach(async () => {
  await reference.close();
  await service.stop();
  await standIn.close();
});

async function get(path: string): Promise<{ status: number; type: string; body: Record<string, unknown> }> {
  const response = await fetch(`${service.url}${path}`);
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: (await response.json()) as Record<string, unknown> };
}

/** A matchday in progress: goals, cards and a substitution in A and B, D played to the end. */
async function play(): Promise<number> {
  await settle(service);
  feed
    .goal(A.key, 'home', '12', 'A. Striker')
    .card(A.key, 'away', '15', 'A. Hacker')
    .goal(B.key, 'away', '17', 'B. Scorer')
    .goal(D.key, 'home', '20', 'D. Only')
    .sub(B.key, 'home', '21', 'B. Fresh', 'B. Tired');
  await settle(service);
  feed.status(D.key, 'Finished').goal(A.key, 'away', '33', 'A. Leveller').status(B.key, 'Half Time');
  const latest = await settle(service);
  await reach(reference, latest);
  return latest;
}

/** Follows next_since until has_more is false. */
async function pageThrough(query: string, limit: number): Promise<{ events: Message[]; pages: EventsPage[] }> {
  const events: Message[] = [];
  const pages: EventsPage[] = [];
  for (let since = 0; ; ) {
    const { status, body } = await get(`/events?since=${since}&limit=${limit}${query}`);
    expect(status).toBe(200);
    const page = body as unknown as EventsPage;
    pages.push(page);
    events.push(...page.events);
    expect(page.events.length).toBeLessThanOrEqual(limit);
    if (!page.has_more) break;
    expect(page.events).toHaveLength(limit);
    expect(page.next_since).toBe(seqOf(page.events.at(-1) as Message));
    since = page.next_since;
    if (pages.length > 200) throw new Error('paging does not end');
  }
  return { events, pages };
}

describe('GET /matches', () => {
  it('lists the live matches exactly as a SNAPSHOT does', async () => {
    const latest = await play();
    const { status, type, body } = await get('/matches');
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/json/);
    reference.send({ action: 'snapshot' });
    const snapshot = await reference.nextOfType('SNAPSHOT');
    expect(body).toEqual({ seq: latest, matches: snapshot['matches'] });
    const matches = body['matches'] as Message[];
    expect(matches.map((m) => m['match_id'])).toEqual(['5001', '5002']);
    expect(matches[0]).toMatchObject({ league: 'Premier League', league_id: '152', score: '1-1', phase: 'first_half', live: true });
    expect((matches[0]?.['goals'] as Message[]).map((g) => g['scorer'])).toEqual(['A. Striker', 'A. Leveller']);
    expect((matches[1]?.['substitutions'] as Message[]).map((s) => s['player_in'])).toEqual(['B. Fresh']);
  });
});

describe('GET /matches filters (18 §5)', () => {
  it('honours match_id, league_id and team_id as /events does (each given parameter must match)', async () => {
    await play();
    const all = (await get('/matches')).body['matches'] as Message[];
    expect(all.map((m) => m['match_id'])).toEqual(['5001', '5002']);
    const ids = async (query: string) => {
      const { status, body } = await get(`/matches?${query}`);
      expect(status, query).toBe(200);
      expect(body['seq'], query).toBe((await get('/matches')).body['seq']);
      return (body['matches'] as Message[]).map((m) => m['match_id']);
    };
    expect(await ids('league_id=152')).toEqual(['5001']);
    expect(await ids('league_id=207,152')).toEqual(['5001', '5002']);
    expect(await ids('team_id=54')).toEqual(['5002']);
    expect(await ids('team_id=51&team_id=53')).toEqual(['5001', '5002']);
    expect(await ids('match_id=5001,5002&league_id=207')).toEqual(['5002']);
    expect(await ids('match_id=5001&team_id=53')).toEqual([]);
    // A finished match is not live: not listed, whatever the filter.
    expect(await ids('match_id=5004')).toEqual([]);
    // The matches are those of the unfiltered list, unchanged.
    expect((await get('/matches?team_id=52')).body['matches']).toEqual([all[0]]);
  });

  it('rejects unknown parameters and bad ids with a 400 naming them, like /events', async () => {
    const cases: Array<[query: string, parameter: string]> = [
      ['foo=1', 'foo'],
      ['since=3', 'since'],
      ['league_id=x', 'league_id'],
      ['team_id=51,', 'team_id'],
      ['match_id=1a', 'match_id'],
      [`match_id=${'1'.repeat(21)}`, 'match_id'],
      ['league_id=152&leage_id=1', 'leage_id'],
    ];
    for (const [query, parameter] of cases) {
      const { status, type, body } = await get(`/matches?${query}`);
      expect(status, query).toBe(400);
      expect(type, query).toMatch(/^application\/json/);
      expect(body, query).toMatchObject({ error: 'INVALID_PARAMETER', parameter });
      expect(String(body['message']), query).toContain(parameter);
    }
  });
});

describe('GET /matches/:id', () => {
  it('returns one match with its events in seq order, as subscribers received them', async () => {
    await play();
    for (const id of ['5001', '5002', '5004']) {
      const { status, type, body } = await get(`/matches/${id}`);
      expect(status).toBe(200);
      expect(type).toMatch(/^application\/json/);
      expect(body['match_id']).toBe(id);
      const events = body['events'] as Message[];
      expect(events).toEqual(eventsOf(reference).filter((e) => e['match_id'] === id));
      expect(events.length).toBeGreaterThan(1);
    }
    const ended = await get('/matches/5004');
    expect(ended.body).toMatchObject({ live: false, phase: 'finished', score: '1-0', home_team_key: '57', league_id: '152' });
    expect((ended.body['events'] as Message[]).map((e) => e.type)).toEqual(['MATCH_STARTED', 'GOAL_SCORED', 'SCORE_UPDATE', 'STATUS_CHANGED', 'MATCH_ENDED']);

    // The match part has the same shape as in /matches.
    const live = await get('/matches');
    const { events: _events, ...view } = (await get('/matches/5001')).body;
    expect(view).toEqual((live.body['matches'] as Message[])[0]);
  });

  it('answers an unknown id with a 404 JSON error, and a malformed id with a 400 naming it', async () => {
    await settle(service);
    const unknown = await get('/matches/999999');
    expect(unknown.status).toBe(404);
    expect(unknown.type).toMatch(/^application\/json/);
    expect(unknown.body).toMatchObject({ error: 'NOT_FOUND' });
    expect(typeof unknown.body['message']).toBe('string');

    const malformed = await get('/matches/abc');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: 'INVALID_PARAMETER', parameter: 'id' });
  });

  it('still lists the retained events of a match after older history was pruned', async () => {
    await play();
    const pruned = (await service.app.store.bounds()).latestSeq;
    await service.app.store.prune(new Date(Date.now() + 1000));
    expect((await service.app.store.bounds()).prunedThrough).toBe(pruned);
    feed.goal(A.key, 'home', '40', 'A. Again');
    const latest = await settle(service);
    await reach(reference, latest);

    const { status, body } = await get(`/matches/${A.key}`);
    expect(status).toBe(200);
    const retained = eventsOf(reference).filter((e) => e['match_id'] === '5001' && seqOf(e) > pruned);
    expect(retained.map((e) => e.type)).toEqual(['GOAL_SCORED', 'SCORE_UPDATE']);
    expect(body['events']).toEqual(retained);
  });
});

describe('GET /events', () => {
  it('pages through every event after since, in order, equal to the WebSocket stream', async () => {
    const latest = await play();
    const { epoch } = await service.app.store.bounds();
    const stream = eventsOf(reference);
    expect(stream.map(seqOf)).toEqual(Array.from({ length: latest }, (_, i) => i + 1));

    const { events, pages } = await pageThrough('', 4);
    expect(events).toEqual(stream);
    // has_more is exact (the API reads one more than it returns): no trailing empty page.
    expect(pages.length).toBe(Math.ceil(latest / 4));
    for (const page of pages) {
      expect(page).toMatchObject({ epoch, latest_seq: latest, oldest_available_seq: 1, truncated: false });
    }
    expect(pages.at(-1)?.next_since).toBe(latest);

    // After a given seq, with the default limit.
    const after = await get('/events?since=5');
    expect(after.body['events']).toEqual(stream.filter((e) => seqOf(e) > 5));
    expect(after.body['has_more']).toBe(false);
    // Nothing newer: an empty page that says where to continue from.
    const none = await get(`/events?since=${latest}`);
    expect(none.body).toMatchObject({ events: [], has_more: false, next_since: latest });
  });

  it('filters by match_id and league_id (every given parameter must match)', async () => {
    await play();
    const stream = eventsOf(reference);
    const only = (pred: (e: Message) => boolean) => stream.filter(pred);

    expect((await pageThrough('&match_id=5001', 2)).events).toEqual(only((e) => e['match_id'] === '5001'));
    expect((await pageThrough('&match_id=5001,5002', 3)).events).toEqual(only((e) => e['match_id'] !== '5004'));
    expect((await pageThrough('&league_id=152', 3)).events).toEqual(only((e) => e['league_id'] === '152'));
    expect((await pageThrough('&match_id=5002&league_id=207', 3)).events).toEqual(only((e) => e['match_id'] === '5002'));
    expect((await pageThrough('&match_id=5001&league_id=207', 3)).events).toEqual([]);
    // team_id, as the streams take it (18 §5): the home or the away team.
    expect((await pageThrough('&team_id=53', 3)).events).toEqual(only((e) => e['match_id'] === '5002'));
    expect((await pageThrough('&team_id=52,58', 3)).events).toEqual(only((e) => e['match_id'] !== '5002'));
    expect((await pageThrough('&team_id=51&league_id=207', 3)).events).toEqual([]);
    expect((await get('/events?match_id=5001&match_id=5004&limit=1000')).body['events']).toEqual(
      only((e) => e['match_id'] === '5001' || e['match_id'] === '5004'),
    );
  });

  it('says when history before since was pruned and serves what is retained', async () => {
    const pruned = await play();
    await service.app.store.prune(new Date(Date.now() + 1000));
    feed.goal(B.key, 'home', '50', 'B. After').status(B.key, '50');
    const latest = await settle(service);
    await reach(reference, latest);
    const { body } = await get('/events?since=0');
    expect(body).toMatchObject({ truncated: true, oldest_available_seq: pruned + 1, latest_seq: latest });
    expect(body['events']).toEqual(eventsOf(reference).filter((e) => seqOf(e) > pruned));
  });

  it('rejects bad query parameters with a 400 JSON error naming the parameter', async () => {
    const cases: Array<[query: string, parameter: string]> = [
      ['since=-1', 'since'],
      ['since=abc', 'since'],
      ['since=1.5', 'since'],
      ['since=', 'since'],
      ['limit=0', 'limit'],
      ['limit=100000', 'limit'],
      ['limit=ten', 'limit'],
      ['match_id=abc', 'match_id'],
      ['match_id=5001,', 'match_id'],
      ['league_id=x', 'league_id'],
      ['team=5', 'team'],
      // Integers are decimal digits, as they always were (the OpenAPI document says integer).
      ['since=1e3', 'since'],
      ['since=%2012', 'since'],
      ['since=0x10', 'since'],
      ['since=1&since=2', 'since'],
      ['limit=', 'limit'],
      ['team_id=abc', 'team_id'],
      [`match_id=${'1'.repeat(21)}`, 'match_id'],
      ['since=1&sinse=2', 'sinse'],
    ];
    for (const [query, parameter] of cases) {
      const { status, type, body } = await get(`/events?${query}`);
      expect(status, query).toBe(400);
      expect(type, query).toMatch(/^application\/json/);
      expect(body, query).toMatchObject({ error: 'INVALID_PARAMETER', parameter });
      expect(String(body['message']), query).toContain(parameter);
    }
  });
});
