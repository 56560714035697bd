/**
 * Issue 16 item 2: many matches vanishing from the live list at once are looked up a few at a
 * time, within a budget per poll, the rest carried over to the next polls. A stand-in provider
 * records how many `met=Fixtures` requests it is answering at once (each held 25 ms). Before the
 * fix every vanished match was looked up at once on every poll (300 in flight here; 1,402 of
 * 2,000 on the matchday that burnt a key). A match not looked up on a poll is not counted absent,
 * so a budget never ends a match that is still live; every finished match still ends exactly once.
 */
import { afterEach, expect, it } from 'vitest';
import { DEFAULT_LOOKUPS_PER_POLL, DEFAULT_LOOKUP_CONCURRENCY } from '../../src/engine/polling-source.js';
import { startWithStandIn, type ServiceOnStandIn } from '../helpers/service.js';
import type { CannedReply, RecordedRequest, StandIn } from '../helpers/stand-in.js';
import { until } from '../helpers/waits.js';
import { wireEnvelope, wireGoal, wireMatch } from '../helpers/wire.js';
import { TestClient, subscribe } from '../helpers/ws-client.js';

const LOOKUP_DELAY_MS = 25;

let rig: ServiceOnStandIn | undefined;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await rig?.service.stop();
  await rig?.standIn.close();
  rig = undefined;
});

const keys = (count: number): number[] => Array.from({ length: count }, (_, i) => 700_000 + i);
const goal = wireGoal('home', '12', 'A. Striker', '1 - 0');
const liveObject = (key: number) => wireMatch({ key, status: '70', goals: [goal] });
const finishedObject = (key: number) => wireMatch({ key, status: 'Finished', ft: '1 - 0', halftime: '1 - 0', goals: [goal] });

/** Fixtures requests of each poll: those that arrived between one Livescore request and the next. */
function lookupsPerPoll(standIn: StandIn, fromRequest: number): number[] {
  const perPoll: number[] = [];
  for (const request of standIn.requests.slice(fromRequest)) {
    const met = request.query.get('met');
    if (met === 'Livescore') perPoll.push(0);
    else if (met === 'Fixtures' && perPoll.length > 0) perPoll[perPoll.length - 1] = (perPoll[perPoll.length - 1] ?? 0) + 1;
  }
  return perPoll;
}

async function metricValue(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** Starts the service on `count` live matches with a client that has seen every one start. */
async function liveMatches(count: number, env: Record<string, string>) {
  rig = await startWithStandIn(env);
  const { standIn, service } = rig;
  const client = await TestClient.open(service.wsUrl);
  clients.push(client);
  await subscribe(client, { action: 'subscribe_all' });
  let listed = true;
  const liveBody = JSON.stringify(wireEnvelope(...keys(count).map(liveObject)));
  standIn.livescore(() => ({ body: listed ? liveBody : wireEnvelope() }));
  await until(() => service.app.book.liveCount === count, `${count} live matches`, 20_000);
  return {
    standIn,
    service,
    client,
    unlistAll: () => {
      listed = false;
    },
  };
}

const lookedUp = (standIn: StandIn, fromRequest: number): Set<string> =>
  new Set(standIn.requests.slice(fromRequest).filter((r) => r.query.get('met') === 'Fixtures').map((r) => r.query.get('matchId') ?? ''));

it('300 vanished matches: at most 4 look-ups in flight and 20 per poll, none ended while still live, each ended once when finished', async () => {
  const COUNT = 300;
  // Two unconfirmed absences would end a match: a poll that counted the matches it did not look up
  // as absent would end most of these live matches within a few polls.
  const { standIn, service, client, unlistAll } = await liveMatches(COUNT, { MISSING_POLLS_BEFORE_END: '2', POLL_INTERVAL_SECS: '0.2', POLL_INTERVAL_IDLE_SECS: '0.2' });
  let finished = false;
  standIn.fixtures((request: RecordedRequest): CannedReply => {
    const key = Number(request.query.get('matchId'));
    return { delayMs: LOOKUP_DELAY_MS, body: wireEnvelope(finished ? finishedObject(key) : liveObject(key)) };
  });
  const start = standIn.requests.length;
  standIn.resetPeak('Fixtures');
  unlistAll();

  // Still live at the provider: every match is looked up in turn (twice, so the queue wraps round),
  // and none may end meanwhile.
  const noneEnded = () => {
    const ended = client.all((m) => m.type === 'MATCH_ENDED');
    if (ended.length > 0) throw new Error(`${ended.length} live matches ended while waiting for their look-up`);
  };
  await until(() => (noneEnded(), lookedUp(standIn, start).size === COUNT), 'every vanished match looked up once', 60_000);
  const firstRound = standIn.requests.length;
  await until(() => (noneEnded(), lookedUp(standIn, firstRound).size === COUNT), 'every vanished match looked up again', 60_000);
  expect(standIn.peakInFlight('Fixtures')).toBeLessThanOrEqual(DEFAULT_LOOKUP_CONCURRENCY);
  expect(Math.max(...lookupsPerPoll(standIn, start))).toBeLessThanOrEqual(DEFAULT_LOOKUPS_PER_POLL);
  expect(client.all((m) => m.type === 'MATCH_ENDED')).toEqual([]);
  expect(service.app.book.liveCount).toBe(COUNT);

  // Finished: each ends once, with its final result, the look-ups still bounded.
  finished = true;
  const finishing = standIn.requests.length;
  await until(() => client.all((m) => m.type === 'MATCH_ENDED').length === COUNT, `${COUNT} MATCH_ENDED`, 60_000);
  const ended = client.all((m) => m.type === 'MATCH_ENDED');
  expect(new Set(ended.map((m) => m['match_id'])).size).toBe(COUNT);
  expect(ended.every((m) => m['final_score'] === '1-0' && m['status'] === 'Finished')).toBe(true);
  expect(standIn.peakInFlight('Fixtures')).toBeLessThanOrEqual(DEFAULT_LOOKUP_CONCURRENCY);
  expect(Math.max(...lookupsPerPoll(standIn, finishing))).toBeLessThanOrEqual(DEFAULT_LOOKUPS_PER_POLL);

  // Nothing left to look up: no more look-ups, and the metrics say what was done.
  await service.app.poller.nextPoll();
  const settled = standIn.count('Fixtures');
  await service.app.poller.nextPoll();
  await service.app.poller.nextPoll();
  expect(standIn.count('Fixtures')).toBe(settled);
  expect(await metricValue(service.url, 'fsc_vanished_lookups_total')).toBe(settled);
  expect(await metricValue(service.url, 'fsc_vanished_lookups_in_flight')).toBe(0);
  expect(await metricValue(service.url, 'fsc_vanished_lookups_carried_over')).toBe(0);
}, 180_000);

it('the budget and the concurrency are configurable; carried-over look-ups are reported while they wait', async () => {
  const COUNT = 40;
  const { standIn, service, unlistAll } = await liveMatches(COUNT, {
    VANISHED_LOOKUP_CONCURRENCY: '2',
    VANISHED_LOOKUPS_PER_POLL: '5',
    POLL_INTERVAL_SECS: '0.2',
    POLL_INTERVAL_IDLE_SECS: '0.2',
  });
  standIn.fixtures((request: RecordedRequest): CannedReply => ({ delayMs: LOOKUP_DELAY_MS, body: wireEnvelope(liveObject(Number(request.query.get('matchId')))) }));
  const start = standIn.requests.length;
  standIn.resetPeak('Fixtures');
  unlistAll();
  await until(() => lookedUp(standIn, start).size === COUNT, 'every vanished match looked up', 60_000);
  const carriedOver = await metricValue(service.url, 'fsc_vanished_lookups_carried_over');
  expect(standIn.peakInFlight('Fixtures')).toBeLessThanOrEqual(2);
  expect(Math.max(...lookupsPerPoll(standIn, start))).toBeLessThanOrEqual(5);
  // 40 vanished, at most 5 looked up per poll: at least 35 wait after any poll.
  expect(carriedOver).toBeGreaterThanOrEqual(COUNT - 5);
  expect(service.app.book.liveCount).toBe(COUNT);
}, 90_000);

it('a rate-limited look-up stops the poll from starting more; every match still ends once the look-ups keep failing', async () => {
  const COUNT = 24;
  const { standIn, client, unlistAll } = await liveMatches(COUNT, { MISSING_POLLS_BEFORE_END: '2' });
  standIn.fixtures({ status: 429, body: { success: 0, error: 'Too many requests' } });
  const start = standIn.requests.length;
  unlistAll();
  // Each match needs two failed look-ups before it ends unconfirmed; none is lost.
  await until(() => client.all((m) => m.type === 'MATCH_ENDED').length === COUNT, `${COUNT} MATCH_ENDED`, 60_000);
  expect(new Set(client.all((m) => m.type === 'MATCH_ENDED').map((m) => m['match_id'])).size).toBe(COUNT);
  // A 429 ends the poll's look-ups: only the ones already started (at most the concurrency) are made.
  expect(Math.max(...lookupsPerPoll(standIn, start))).toBeLessThanOrEqual(DEFAULT_LOOKUP_CONCURRENCY);
}, 90_000);
