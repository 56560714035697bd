/**
 * A live match that vanishes from the live list is confirmed with `met=Fixtures&matchId=` before it
 * is ended (issue "event fidelity"): finished → ended at once with its final result; still live → a
 * glitch, kept silently (no second MATCH_STARTED when it returns); look-up failing → ended only
 * after MISSING_POLLS_BEFORE_END successful polls without it. The look-up is one request per
 * poll, never retried, so a failing look-up does not stall polling.
 */
import { afterEach, expect, it } from 'vitest';
import { startWithStandIn, type ServiceOnStandIn } from '../helpers/service.js';
import { TestClient, roundTrip, subscribe } from '../helpers/ws-client.js';
import { wireEnvelope, wireGoal, wireMatch } from '../helpers/wire.js';

const KEY = 4242;
const live = wireMatch({ key: KEY, status: '70', goals: [wireGoal('home', '12', 'A. Striker', '1 - 0')] });
const finished = wireMatch({ key: KEY, status: 'Finished', ft: '2 - 0', halftime: '1 - 0', goals: [wireGoal('home', '12', 'A. Striker', '1 - 0'), wireGoal('home', '88', 'B. Winger', '2 - 0')] });

let rig: ServiceOnStandIn | undefined;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await rig?.service.stop();
  await rig?.standIn.close();
  rig = undefined;
});

/** Starts the service on a feed showing the match live, with a client that has seen it start. */
async function liveMatch(env: Record<string, string> = {}) {
  rig = await startWithStandIn(env);
  const client = await TestClient.open(rig.service.wsUrl);
  clients.push(client);
  await subscribe(client, { action: 'subscribe_all' });
  rig.standIn.livescore({ body: wireEnvelope(live) });
  await client.nextOfType('MATCH_STARTED');
  return { ...rig, client };
}

const typesFor = (client: TestClient) => client.received.filter((m) => m['match_id'] === String(KEY)).map((m) => m.type);

it('ends a vanished match at once when the look-up says it finished, with the final result', async () => {
  const { standIn, client } = await liveMatch();
  standIn.fixtures((request) => ({ body: wireEnvelope(...(request.query.get('matchId') === String(KEY) ? [finished] : [])) }));
  standIn.livescore({ body: wireEnvelope() });
  const ended = await client.nextOfType('MATCH_ENDED');
  expect(ended).toMatchObject({ match_id: String(KEY), final_score: '2-0', halftime_score: '1-0', status: 'Finished', winner: 'home' });
  expect(standIn.requests.some((r) => r.query.get('met') === 'Fixtures' && r.query.get('matchId') === String(KEY))).toBe(true);
  // The goal the live list never showed is announced before the end.
  expect(typesFor(client)).toEqual(['MATCH_STARTED', 'GOAL_SCORED', 'SCORE_UPDATE', 'STATUS_CHANGED', 'MATCH_ENDED']);
});

it('keeps a vanished match silently when the look-up says it is still live, and never re-announces it', async () => {
  const { standIn, service, client } = await liveMatch();
  standIn.fixtures({ body: wireEnvelope(live) });
  standIn.livescore({ body: wireEnvelope() });
  const lookups = standIn.count('Fixtures');
  // Absent for well over MISSING_POLLS_BEFORE_END polls, confirmed live each time.
  await standIn.waitForRequests('Fixtures', lookups + 5);
  standIn.livescore({ body: wireEnvelope(live) });
  await service.app.poller.nextPoll();
  await service.app.poller.nextPoll();
  await roundTrip(client);
  expect(typesFor(client)).toEqual(['MATCH_STARTED']);
  expect(service.app.book.match(String(KEY))).toMatchObject({ started: true, ended: false, absentPolls: 0 });
});

it('ends a vanished match after MISSING_POLLS_BEFORE_END polls when the look-up fails, without retrying the look-up', async () => {
  const { standIn, service, client } = await liveMatch({ MISSING_POLLS_BEFORE_END: '3' });
  standIn.fixtures({ status: 500, body: 'upstream exploded' });
  const livescoreBefore = standIn.count('Livescore');
  const fixturesBefore = standIn.count('Fixtures');
  standIn.livescore({ body: wireEnvelope() });
  const ended = await client.nextOfType('MATCH_ENDED');
  expect(ended).toMatchObject({ match_id: String(KEY), final_score: '1-0', winner: 'home' });
  const absentPolls = standIn.count('Livescore') - livescoreBefore;
  const lookups = standIn.count('Fixtures') - fixturesBefore;
  // Ended on the third absent poll (a poll may be in flight when we read the counter).
  expect(absentPolls).toBeGreaterThanOrEqual(3);
  expect(absentPolls).toBeLessThanOrEqual(4);
  // One look-up per absent poll, none retried.
  expect(lookups).toBe(3);
  expect(service.app.book.match(String(KEY))).toMatchObject({ ended: true });
  await roundTrip(client);
  expect(typesFor(client)).toEqual(['MATCH_STARTED', 'MATCH_ENDED']);
});
