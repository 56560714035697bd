/**
 * Resume, in-process: the real service polls a stand-in provider over HTTP while WebSocket clients
 * subscribe, drop and resume. A reference client that never disconnects is the truth every resumed
 * stream is compared with: same event ids, same order, no duplicate, no gap — also when hundreds of
 * events arrive while the resumed client is being replayed. A resume the history cannot serve (wrong
 * epoch, pruned history) answers `resumed:false` and a SNAPSHOT instead.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LiveFeed } from '../helpers/live-feed.js';
import { startService, type TestService } from '../helpers/service.js';
import { standInEnv, startStandIn, type StandIn } from '../helpers/stand-in.js';
import { settle } from '../helpers/waits.js';
import { eventsOf, reach, roundTrip, seqOf, subscribe, TestClient, type Message } from '../helpers/ws-client.js';

let standIn: StandIn;
let feed: LiveFeed;
let service: TestService | undefined;
const clients: TestClient[] = [];

beforeEach(async () => {
  standIn = await startStandIn();
  feed = new LiveFeed(standIn);
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await service?.stop();
  service = undefined;
  await standIn.close();
});

async function start(): Promise<TestService> {
  service = await startService(standInEnv(standIn));
  return service;
}

async function connect(svc: TestService): Promise<TestClient> {
  const client = await TestClient.open(svc.wsUrl);
  clients.push(client);
  return client;
}

const idsOf = (messages: readonly Message[]): string[] => messages.map((m) => String(m['event_id']));

function expectStrictlyIncreasingIntegers(events: readonly Message[]): void {
  for (const [i, event] of events.entries()) {
    expect(Number.isSafeInteger(event['seq']), `seq of ${JSON.stringify(event)}`).toBe(true);
    if (i > 0) expect(seqOf(event)).toBeGreaterThan(seqOf(events[i - 1] as Message));
  }
}

function expectNoDuplicates(events: readonly Message[]): void {
  const seqs = events.map(seqOf);
  expect(new Set(seqs).size, `duplicate seqs in ${JSON.stringify(seqs)}`).toBe(seqs.length);
  const ids = idsOf(events);
  expect(new Set(ids).size).toBe(ids.length);
}

describe('sequence numbers and SUBSCRIBED', () => {
  it('stamps every event with an integer seq, strictly increasing; SUBSCRIBED carries the epoch and newest seq', async () => {
    feed.add({ key: 1001, status: '10' });
    const svc = await start();
    const latest = await settle(svc);
    expect(latest).toBe(1); // MATCH_STARTED
    const bounds = await svc.app.store.bounds();

    const client = await connect(svc);
    const subscribed = await subscribe(client, { action: 'subscribe_all' });
    expect(subscribed).toMatchObject({ type: 'SUBSCRIBED', subscription: 'all_matches', epoch: bounds.epoch, seq: latest });
    expect(typeof subscribed['epoch']).toBe('string');
    expect(subscribed['resumed']).toBeUndefined();
    const health = (await (await fetch(`${svc.url}/health`)).json()) as { store: { epoch: string; latest_seq: number } };
    expect(health.store).toEqual({ epoch: bounds.epoch, latest_seq: latest });

    feed.goal(1001, 'home', '12', 'A. Striker');
    await settle(svc);
    feed.card(1001, 'away', '20', 'B. Hacker').goal(1001, 'away', '22', 'C. Leveller');
    await settle(svc);
    feed.status(1001, 'Half Time');
    const newest = await settle(svc);
    await reach(client, newest);

    const events = eventsOf(client);
    expect(events.map((e) => e.type)).toEqual([
      'GOAL_SCORED',
      'SCORE_UPDATE',
      'CARD_ISSUED',
      'GOAL_SCORED',
      'SCORE_UPDATE',
      'STATUS_CHANGED',
    ]);
    expectStrictlyIncreasingIntegers(events);
    // One match, one unfiltered subscriber: nothing is skipped either.
    expect(events.map(seqOf)).toEqual([2, 3, 4, 5, 6, 7]);
    expect((await svc.app.store.bounds()).latestSeq).toBe(7);
  });
});

describe('resume after a disconnect', () => {
  it('replays exactly the missed events in order, then goes live, matching a client that never left', async () => {
    feed.add({ key: 1001, status: '10' });
    const svc = await start();
    const reference = await connect(svc);
    const first = await subscribe(reference, { action: 'subscribe_all' });
    const dropper = await connect(svc);
    await subscribe(dropper, { action: 'subscribe_all' });

    feed.goal(1001, 'home', '12', 'A. Striker');
    const beforeDrop = await settle(svc);
    await reach(reference, beforeDrop);
    await reach(dropper, beforeDrop);
    const lastSeen = seqOf(eventsOf(dropper).at(-1) as Message);
    expect(lastSeen).toBe(beforeDrop);
    await dropper.close();

    // Missed while away: a card, a goal, its score update, half time.
    feed.card(1001, 'away', '20', 'B. Hacker').goal(1001, 'away', '31', 'C. Leveller');
    await settle(svc);
    feed.status(1001, 'Half Time');
    const whileAway = await settle(svc);
    await reach(reference, whileAway);
    const missed = eventsOf(reference).filter((e) => seqOf(e) > lastSeen);
    expect(missed.map((e) => e.type)).toEqual(['CARD_ISSUED', 'GOAL_SCORED', 'SCORE_UPDATE', 'STATUS_CHANGED']);

    const back = await connect(svc);
    const resumed = await subscribe(back, { action: 'subscribe_all', since: lastSeen, epoch: first['epoch'] });
    expect(resumed).toMatchObject({ type: 'SUBSCRIBED', subscription: 'all_matches', resumed: true, epoch: first['epoch'], seq: whileAway });
    await reach(back, whileAway);
    // SUBSCRIBED first (with the provider's status), then exactly the missed events, in order, and nothing else.
    const frames = back.received.map((m) => m.type);
    expect(frames.slice(0, 2), frames.join(',')).toEqual(['SUBSCRIBED', 'UPSTREAM_STATUS']);
    // A later UPSTREAM_STATUS may come between the events (a poll slowed down by a loaded machine
    // changes how the service sees the provider); nothing else may.
    expect(frames.slice(2).filter((type) => type !== 'UPSTREAM_STATUS'), frames.join(',')).toEqual(missed.map((e) => e.type));
    expect(eventsOf(back)).toEqual(missed);

    // Then live events reach both.
    feed.status(1001, '46').goal(1001, 'home', '50', 'D. Winner');
    const live = await settle(svc);
    await reach(reference, live);
    await reach(back, live);
    const union = [...eventsOf(dropper), ...eventsOf(back)];
    expectNoDuplicates(union);
    expect(idsOf(union)).toEqual(idsOf(eventsOf(reference)));
    expect(union).toEqual(eventsOf(reference));
    expect(back.all((m) => m.type === 'SNAPSHOT')).toEqual([]);
  });

  it('has no gap and no duplicate at the seam while many events keep arriving during the replay', async () => {
    const keys = [2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008];
    for (const key of keys) feed.add({ key, status: '10', leagueKey: 150 + (key % 3) });
    let minute = 0;
    let growing = true;
    // Every poll brings a goal (+ score update) and a card in each of 8 matches: 24 events a poll.
    feed.onPoll = () => {
      if (!growing || minute >= 88) return;
      minute += 1;
      for (const key of keys) {
        feed.goal(key, 'home', String(minute), `Scorer ${key}-${minute}`);
        feed.card(key, 'away', String(minute), `Player ${key}-${minute}`);
      }
    };
    const svc = await start();
    const reference = await connect(svc);
    const first = await subscribe(reference, { action: 'subscribe_all', since: 0, epoch: (await svc.app.store.bounds()).epoch });
    expect(first['resumed']).toBe(true);
    const dropper = await connect(svc);
    await subscribe(dropper, { action: 'subscribe_all', since: 0, epoch: first['epoch'] });

    await reach(dropper, 100);
    await dropper.close();
    const lastSeen = Math.max(...eventsOf(dropper).map(seqOf));
    // Away long enough to miss more than one replay page (500) — and the feed keeps going.
    await reach(reference, lastSeen + 700, 20_000);
    const back = await connect(svc);
    const resumed = await subscribe(back, { action: 'subscribe_all', since: lastSeen, epoch: first['epoch'] });
    expect(resumed['resumed']).toBe(true);
    expect(resumed['seq'] as number).toBeGreaterThanOrEqual(lastSeen + 700);
    // Let at least 100 more events arrive live after the resume, then stop the feed.
    await reach(back, (resumed['seq'] as number) + 100, 20_000);
    growing = false;
    const final = await settle(svc);
    await reach(reference, final);
    await reach(back, final);

    const everything = eventsOf(reference);
    expectStrictlyIncreasingIntegers(everything);
    expect(everything.map(seqOf)).toEqual(Array.from({ length: final }, (_, i) => i + 1));
    const resumedStream = eventsOf(back);
    expectNoDuplicates(resumedStream);
    expect(resumedStream).toEqual(everything.filter((e) => seqOf(e) > lastSeen));
    const union = [...eventsOf(dropper), ...resumedStream];
    expectNoDuplicates(union);
    expect(idsOf(union)).toEqual(idsOf(everything));
  });
});

describe('resume that history cannot serve', () => {
  it('answers a wrong epoch with resumed:false and a SNAPSHOT, then live events after the snapshot', async () => {
    feed.add({ key: 1001, status: '10' });
    const svc = await start();
    const reference = await connect(svc);
    const first = await subscribe(reference, { action: 'subscribe_all' });
    feed.goal(1001, 'home', '12', 'A. Striker');
    const latest = await settle(svc);

    const client = await connect(svc);
    const subscribed = await subscribe(client, { action: 'subscribe_all', since: 1, epoch: 'not-this-history' });
    expect(subscribed).toMatchObject({ resumed: false, epoch: first['epoch'], seq: latest });
    const snapshot = await client.nextOfType('SNAPSHOT');
    expect(client.received.map((m) => m.type)).toEqual(['SUBSCRIBED', 'UPSTREAM_STATUS', 'SNAPSHOT']);
    expect(snapshot['seq']).toBe(latest);
    expect(snapshot['matches']).toMatchObject([{ match_id: '1001', score: '1-0', goals: [{ scorer: 'A. Striker', minute: '12' }] }]);

    // Nothing from before the snapshot is replayed; what follows it arrives live, without a gap.
    feed.card(1001, 'away', '20', 'B. Hacker');
    const after = await settle(svc);
    await reach(client, after);
    await reach(reference, after);
    expect(eventsOf(client)).toEqual(eventsOf(reference).filter((e) => seqOf(e) > latest));
    expect(eventsOf(client).map(seqOf)).toEqual([latest + 1]);
  });

  it('answers a since older than retained history with resumed:false and a SNAPSHOT', async () => {
    feed.add({ key: 1001, status: '10' });
    const svc = await start();
    await settle(svc);
    feed.goal(1001, 'home', '12', 'A. Striker').card(1001, 'away', '15', 'B. Hacker');
    const latest = await settle(svc);
    const { epoch } = await svc.app.store.bounds();
    expect(await svc.app.store.prune(new Date(Date.now() + 1000))).toBe(latest);

    const ancient = await connect(svc);
    const refused = await subscribe(ancient, { action: 'subscribe_all', since: 1, epoch });
    expect(refused).toMatchObject({ resumed: false, epoch, seq: latest });
    const snapshot = await ancient.nextOfType('SNAPSHOT');
    expect(snapshot).toMatchObject({ seq: latest, matches: [{ match_id: '1001', score: '1-0', cards: [{ player: 'B. Hacker' }] }] });

    // since 0 is just as lost once anything was pruned.
    const zero = await connect(svc);
    expect(await subscribe(zero, { action: 'subscribe_all', since: 0, epoch })).toMatchObject({ resumed: false });
    await zero.nextOfType('SNAPSHOT');

    // A client that had seen everything that was pruned has lost nothing: it resumes.
    const upToDate = await connect(svc);
    expect(await subscribe(upToDate, { action: 'subscribe_all', since: latest, epoch })).toMatchObject({ resumed: true });

    feed.goal(1001, 'away', '30', 'C. Leveller');
    const live = await settle(svc);
    for (const client of [ancient, zero, upToDate]) {
      await reach(client, live);
      expect(eventsOf(client).map((e) => e.type)).toEqual(['GOAL_SCORED', 'SCORE_UPDATE']);
      expect(eventsOf(client).map(seqOf)).toEqual([latest + 1, latest + 2]);
    }
    expect(upToDate.all((m) => m.type === 'SNAPSHOT')).toEqual([]);
  });
});

describe('snapshots', () => {
  it('{"action":"snapshot"} lists each live match with teams, league, score, status, phase, goals, cards and substitutions', async () => {
    feed
      .add({ key: 3001, status: '10', league: 'Premier League', leagueKey: 152, home: 'Rovers', away: 'United' })
      .add({ key: 3002, status: '10', league: 'Serie A', leagueKey: 207 })
      .add({ key: 3003, status: '' })
      .add({ key: 3004, status: '10' });
    const svc = await start();
    const reference = await connect(svc);
    await subscribe(reference, { action: 'subscribe_all', since: 0, epoch: (await svc.app.store.bounds()).epoch });
    await settle(svc);
    feed
      .goal(3001, 'home', '12', 'A. Striker')
      .card(3001, 'away', '18', 'B. Hacker')
      .goal(3001, 'away', '25', 'C. Leveller')
      .sub(3001, 'home', '28', 'D. Fresh', 'E. Tired')
      .status(3001, '30')
      .status(3002, 'Half Time')
      .status(3004, 'Finished');
    const latest = await settle(svc);
    await reach(reference, latest);

    const client = await connect(svc);
    client.send({ action: 'snapshot' });
    const snapshot = await client.nextOfType('SNAPSHOT');
    expect(snapshot['seq']).toBe(latest);
    const matches = snapshot['matches'] as Array<Record<string, unknown>>;
    // Live only: not the one yet to kick off, not the finished one.
    expect(matches.map((m) => m['match_id'])).toEqual(['3001', '3002']);

    const idOf = (type: string, field: string, value: string) =>
      eventsOf(reference).find((e) => e.type === type && e[field] === value)?.['event_id'];
    expect(matches[0]).toMatchObject({
      match_id: '3001',
      home_team: 'Rovers',
      away_team: 'United',
      home_team_key: '30011',
      away_team_key: '30012',
      league: 'Premier League',
      league_id: '152',
      score: '1-1',
      status: '30',
      phase: 'first_half',
      live: true,
    });
    expect(matches[0]?.['goals']).toEqual([
      { event_id: idOf('GOAL_SCORED', 'scorer', 'A. Striker'), minute: '12', scorer: 'A. Striker', team: 'home', assist: null, penalty: false, own_goal: false },
      { event_id: idOf('GOAL_SCORED', 'scorer', 'C. Leveller'), minute: '25', scorer: 'C. Leveller', team: 'away', assist: null, penalty: false, own_goal: false },
    ]);
    expect(matches[0]?.['cards']).toEqual([
      {
        event_id: idOf('CARD_ISSUED', 'player', 'B. Hacker'),
        minute: '18',
        player: 'B. Hacker',
        team: 'away',
        card_type: 'yellow card',
        color: 'yellow',
        second_yellow: false,
        coach: false,
      },
    ]);
    expect(matches[0]?.['substitutions']).toEqual([
      { event_id: idOf('SUBSTITUTION', 'player_in', 'D. Fresh'), minute: '28', player_in: 'D. Fresh', player_out: 'E. Tired', team: 'home' },
    ]);
    expect(matches[1]).toMatchObject({
      match_id: '3002',
      league: 'Serie A',
      league_id: '207',
      score: '0-0',
      status: 'Half Time',
      phase: 'half_time',
      goals: [],
      cards: [],
      substitutions: [],
    });
    // A snapshot request does not subscribe.
    feed.goal(3002, 'home', '47', 'F. Late').status(3002, '47');
    const later = await settle(svc);
    await reach(reference, later);
    await roundTrip(client);
    expect(eventsOf(client)).toEqual([]);
  });

  it('"snapshot":true on subscribe sends one right after SUBSCRIBED, and live events follow it without a gap', async () => {
    feed.add({ key: 1001, status: '10' });
    const svc = await start();
    const reference = await connect(svc);
    await subscribe(reference, { action: 'subscribe_all' });
    feed.goal(1001, 'home', '12', 'A. Striker');
    const latest = await settle(svc);

    const client = await connect(svc);
    const subscribed = await subscribe(client, { action: 'subscribe_all', snapshot: true });
    expect(subscribed['seq']).toBe(latest);
    const snapshot = await client.nextOfType('SNAPSHOT');
    expect(client.received.map((m) => m.type)).toEqual(['SUBSCRIBED', 'UPSTREAM_STATUS', 'SNAPSHOT']);
    expect(snapshot).toMatchObject({ seq: latest, matches: [{ match_id: '1001', score: '1-0' }] });

    feed.goal(1001, 'away', '20', 'C. Leveller');
    const live = await settle(svc);
    await reach(client, live);
    await reach(reference, live);
    expect(eventsOf(client)).toEqual(eventsOf(reference).filter((e) => seqOf(e) > latest));
    expect(eventsOf(client)[0]?.['seq']).toBe(latest + 1);
  });

  it('a resume with "snapshot":true gets SUBSCRIBED, the SNAPSHOT, then the missed events', async () => {
    feed.add({ key: 1001, status: '10' });
    const svc = await start();
    const reference = await connect(svc);
    const first = await subscribe(reference, { action: 'subscribe_all' });
    const since = await settle(svc);
    feed.goal(1001, 'home', '12', 'A. Striker');
    const latest = await settle(svc);
    await reach(reference, latest);

    const client = await connect(svc);
    const subscribed = await subscribe(client, { action: 'subscribe_all', since, epoch: first['epoch'], snapshot: true });
    expect(subscribed).toMatchObject({ resumed: true });
    await reach(client, latest);
    expect(client.received.map((m) => m.type)).toEqual(['SUBSCRIBED', 'UPSTREAM_STATUS', 'SNAPSHOT', 'GOAL_SCORED', 'SCORE_UPDATE']);
    expect(eventsOf(client)).toEqual(eventsOf(reference).filter((e) => seqOf(e) > since));
  });
});
