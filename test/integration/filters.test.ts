/**
 * Filtered subscriptions, in-process against a stand-in provider: three live matches in three
 * leagues, clients subscribed by match, league, team and unions of them, and an unfiltered
 * reference client. Absence is proven, not assumed: once the reference has every event, a
 * filtered client's ping must come back as PONG with nothing it should not have before it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LiveFeed } from '../helpers/live-feed.js';
import { startService, type TestService } from '../helpers/service.js';
import { standInEnv, startStandIn, type StandIn } from '../helpers/stand-in.js';
import { settle } from '../helpers/waits.js';
import { eventsOf, reach, roundTrip, seqOf, subscribe, TestClient, type Message } from '../helpers/ws-client.js';

// Match 4001: league 152, teams 41 v 42; match 4002: league 207, teams 43 v 44; match 4003: league 300, teams 45 v 46.
const A = { key: 4001, leagueKey: 152, league: 'Premier League', homeKey: 41, awayKey: 42 };
const B = { key: 4002, leagueKey: 207, league: 'Serie A', homeKey: 43, awayKey: 44 };
const C = { key: 4003, leagueKey: 300, league: 'Ligue 1', homeKey: 45, awayKey: 46 };

let standIn: StandIn;
let feed: LiveFeed;
let service: TestService;
const clients: TestClient[] = [];

beforeEach(async () => {
  standIn = await startStandIn();
  feed = new LiveFeed(standIn);
  for (const match of [A, B, C]) feed.add({ ...match, status: '10' });
  service = await startService(standInEnv(standIn));
  // The three MATCH_STARTED are recorded before any test subscribes: every test starts quiet.
  expect(await settle(service)).toBe(3);
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await service.stop();
  await standIn.close();
});

async function connect(): Promise<TestClient> {
  const client = await TestClient.open(service.wsUrl);
  clients.push(client);
  return client;
}

/** Goals and cards in all three matches, and a status change in one. */
async function playSomeFootball(round: number): Promise<number> {
  feed
    .goal(A.key, 'home', String(10 + round), `A scorer ${round}`)
    .card(B.key, 'away', String(11 + round), `B player ${round}`)
    .goal(B.key, 'home', String(12 + round), `B scorer ${round}`)
    .goal(C.key, 'away', String(13 + round), `C scorer ${round}`)
    .card(A.key, 'away', String(14 + round), `A player ${round}`);
  if (round === 2) feed.status(C.key, 'Half Time');
  return settle(service);
}

/** The reference's events for these matches: what a filtered client must have received, exactly. */
const expectedFor = (reference: TestClient, matchIds: readonly string[], after = 0): Message[] =>
  eventsOf(reference).filter((e) => matchIds.includes(String(e['match_id'])) && seqOf(e) > after);

describe('filtered subscriptions', () => {
  it('deliver only the events of the matches, leagues and teams asked for (a union of the lists)', async () => {
    const reference = await connect();
    await subscribe(reference, { action: 'subscribe_all' });
    const cases: Array<{ filter: Record<string, string[]>; matches: string[] }> = [
      { filter: { match_ids: ['4001'] }, matches: ['4001'] },
      { filter: { league_ids: ['207'] }, matches: ['4002'] },
      { filter: { team_ids: ['42'] }, matches: ['4001'] }, // an away team
      { filter: { team_ids: ['43'] }, matches: ['4002'] }, // a home team
      { filter: { match_ids: ['4001'], team_ids: ['44'] }, matches: ['4001', '4002'] },
      { filter: { match_ids: ['4003'], league_ids: ['152', '207'], team_ids: ['46'] }, matches: ['4001', '4002', '4003'] },
      { filter: { match_ids: ['999999'] }, matches: [] },
    ];
    const subscribers: Array<{ client: TestClient; matches: string[] }> = [];
    const { epoch } = await service.app.store.bounds();
    for (const { filter, matches } of cases) {
      const client = await connect();
      const subscribed = await subscribe(client, { action: 'subscribe', ...filter });
      expect(subscribed).toMatchObject({
        type: 'SUBSCRIBED',
        subscription: 'filtered',
        epoch,
        filter: { match_ids: filter['match_ids'] ?? [], league_ids: filter['league_ids'] ?? [], team_ids: filter['team_ids'] ?? [] },
      });
      expect(typeof subscribed['seq']).toBe('number');
      subscribers.push({ client, matches });
    }

    await playSomeFootball(1);
    await playSomeFootball(2);
    const latest = await playSomeFootball(3);
    await reach(reference, latest);
    // Every match produced events the reference saw.
    expect(new Set(eventsOf(reference).map((e) => e['match_id']))).toEqual(new Set(['4001', '4002', '4003']));

    for (const { client, matches } of subscribers) {
      await roundTrip(client);
      const expected = expectedFor(reference, matches);
      expect(eventsOf(client), `filter for ${matches.join(',')}`).toEqual(expected);
      if (matches.length > 0) expect(expected.length).toBeGreaterThan(0);
    }
  });

  it('a filtered resume replays only the matching events it missed, then only matching live events', async () => {
    const reference = await connect();
    const first = await subscribe(reference, { action: 'subscribe_all' });
    const dropper = await connect();
    await subscribe(dropper, { action: 'subscribe', match_ids: ['4001'], team_ids: ['44'] });
    const before = await playSomeFootball(1);
    await reach(reference, before);
    await roundTrip(dropper);
    const lastSeen = seqOf(eventsOf(dropper).at(-1) as Message);
    await dropper.close();

    const whileAway = await playSomeFootball(2);
    await reach(reference, whileAway);
    const back = await connect();
    const resumed = await subscribe(back, {
      action: 'subscribe',
      match_ids: ['4001'],
      team_ids: ['44'],
      since: lastSeen,
      epoch: first['epoch'],
    });
    expect(resumed).toMatchObject({ resumed: true, subscription: 'filtered', seq: whileAway });
    await roundTrip(back);
    const missed = expectedFor(reference, ['4001', '4002'], lastSeen);
    expect(missed.length).toBeGreaterThan(0);
    expect(eventsOf(back)).toEqual(missed);

    const live = await playSomeFootball(3);
    await reach(reference, live);
    await roundTrip(back);
    expect([...eventsOf(dropper), ...eventsOf(back)]).toEqual(expectedFor(reference, ['4001', '4002']));
  });

  it('a filtered snapshot lists only the matching matches', async () => {
    await playSomeFootball(1);
    const latest = await settle(service);

    const byLeague = await connect();
    const subscribed = await subscribe(byLeague, { action: 'subscribe', league_ids: ['207'], snapshot: true });
    expect(subscribed['subscription']).toBe('filtered');
    const snapshot = await byLeague.nextOfType('SNAPSHOT');
    expect(byLeague.received.map((m) => m.type)).toEqual(['SUBSCRIBED', 'UPSTREAM_STATUS', 'SNAPSHOT']);
    expect(snapshot['seq']).toBe(latest);
    expect((snapshot['matches'] as Message[]).map((m) => m['match_id'])).toEqual(['4002']);

    // The snapshot action follows the subscription's filter too.
    const byTeams = await connect();
    await subscribe(byTeams, { action: 'subscribe', team_ids: ['41', '46'] });
    byTeams.send({ action: 'snapshot' });
    const teams = await byTeams.nextOfType('SNAPSHOT');
    expect((teams['matches'] as Message[]).map((m) => m['match_id'])).toEqual(['4001', '4003']);

    // A filtered resume that cannot be served gets a filtered snapshot.
    const lost = await connect();
    const refused = await subscribe(lost, { action: 'subscribe', match_ids: ['4003'], since: 1, epoch: 'another-history' });
    expect(refused).toMatchObject({ resumed: false, subscription: 'filtered' });
    const fallback = await lost.nextOfType('SNAPSHOT');
    expect((fallback['matches'] as Message[]).map((m) => m['match_id'])).toEqual(['4003']);
  });

  it('unsubscribe stops delivery', async () => {
    const reference = await connect();
    await subscribe(reference, { action: 'subscribe_all' });
    const filtered = await connect();
    await subscribe(filtered, { action: 'subscribe', match_ids: ['4001'] });
    const everything = await connect();
    await subscribe(everything, { action: 'subscribe_all' });
    const first = await playSomeFootball(1);
    await reach(reference, first);
    await roundTrip(filtered);
    await reach(everything, first);
    const filteredBefore = eventsOf(filtered).length;
    const everythingBefore = eventsOf(everything).length;
    expect(filteredBefore).toBeGreaterThan(0);

    for (const client of [filtered, everything]) {
      client.send({ action: 'unsubscribe' });
      await client.nextOfType('UNSUBSCRIBED');
    }
    const second = await playSomeFootball(2);
    await reach(reference, second);
    expect(expectedFor(reference, ['4001'], first).length).toBeGreaterThan(0);
    for (const client of [filtered, everything]) await roundTrip(client);
    expect(eventsOf(filtered)).toHaveLength(filteredBefore);
    expect(eventsOf(everything)).toHaveLength(everythingBefore);
  });

  it('answers invalid filters with an INVALID_FILTER error and keeps the connection open', async () => {
    const client = await connect();
    const invalid: Array<Record<string, unknown>> = [
      { action: 'subscribe' },
      { action: 'subscribe', match_ids: [] },
      { action: 'subscribe', match_ids: '4001' },
      { action: 'subscribe', match_ids: [4001] },
      { action: 'subscribe', league_ids: [''] },
      { action: 'subscribe', team_ids: [null] },
      { action: 'subscribe', match_ids: Array.from({ length: 501 }, (_, i) => String(i)) },
    ];
    for (const message of invalid) {
      client.send(message);
      const error = await client.nextOfType('ERROR');
      expect(error['code'], JSON.stringify(message).slice(0, 80)).toBe('INVALID_FILTER');
      expect(typeof error['message']).toBe('string');
    }
    await roundTrip(client);
    expect(client.received.some((m) => m.type === 'SUBSCRIBED')).toBe(false);

    // Still open and usable: a valid subscription works afterwards.
    const subscribed = await subscribe(client, { action: 'subscribe', match_ids: ['4002'] });
    expect(subscribed['subscription']).toBe('filtered');
    const latest = await playSomeFootball(1);
    const reference = await connect();
    await subscribe(reference, { action: 'subscribe_all', since: 0, epoch: subscribed['epoch'] });
    await reach(reference, latest);
    await roundTrip(client);
    expect(eventsOf(client)).toEqual(expectedFor(reference, ['4002'], subscribed['seq'] as number));
    expect(eventsOf(client).length).toBeGreaterThan(0);
  });
});
