/**
 * What a DATA_DIR remembers belongs to the feed it came from. The same upstream after a restart:
 * known matches stay known (no re-announcement). Another upstream (a new stand-in, a proxy): the
 * same match ids are other matches, followed afresh. The built-in simulated matchday runs on the
 * wall clock from its first start in a DATA_DIR, so after a restart it goes on where it was instead
 * of replaying from kick-off under the same match ids.
 */
import { rmSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { startService, tempDataDir, type TestService } from '../helpers/service.js';
import { startStandIn, standInEnv, type StandIn } from '../helpers/stand-in.js';
import { TestClient, roundTrip, subscribe } from '../helpers/ws-client.js';
import { settle } from '../helpers/waits.js';
import { wireEnvelope, wireGoal, wireMatch } from '../helpers/wire.js';

const services: TestService[] = [];
const standIns: StandIn[] = [];
const clients: TestClient[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const service of services.splice(0)) await service.stop();
  for (const standIn of standIns.splice(0)) await standIn.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function serve(env: Record<string, string>, dataDir: string): Promise<TestService> {
  const service = await startService(env, { dataDir });
  services.push(service);
  return service;
}

async function listen(service: TestService, resume: Record<string, unknown> = {}): Promise<TestClient> {
  const client = await TestClient.open(service.wsUrl);
  clients.push(client);
  await subscribe(client, { action: 'subscribe_all', ...resume });
  return client;
}

const match = wireEnvelope(wireMatch({ key: 12345, status: '30', goals: [wireGoal('home', '10', 'A. Striker', '1 - 0')] }));

it('keeps known matches across a restart on the same upstream, and forgets them on another upstream', async () => {
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  const first = await startStandIn();
  standIns.push(first);
  first.livescore({ body: match });
  const a = await serve(standInEnv(first), dataDir);
  await settle(a);
  expect(a.app.book.match('12345')).toMatchObject({ started: true });
  await a.stop();

  // Same upstream, same DATA_DIR: nothing is announced again.
  const b = await serve(standInEnv(first), dataDir);
  const onSame = await listen(b);
  await settle(b);
  await roundTrip(onSame);
  expect(onSame.received.filter((m) => m.type === 'MATCH_STARTED')).toEqual([]);
  const { epoch, latestSeq } = await b.app.store.bounds();
  await b.stop();

  // Another upstream with the same match id: a different match, announced afresh.
  const second = await startStandIn();
  standIns.push(second);
  second.livescore({ body: match });
  const c = await serve(standInEnv(second), dataDir);
  // Resume from before this start, so the announcement cannot slip past before the client subscribes.
  const onOther = await listen(c, { since: latestSeq, epoch });
  const started = await onOther.nextOfType('MATCH_STARTED');
  expect(started).toMatchObject({ match_id: '12345', score: '1-0' });
  expect(c.logs.some((line) => line.includes('recorded from another upstream'))).toBe(true);
});

it('the built-in simulated matchday goes on across a restart instead of starting over', async () => {
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  const env = { SIM_SPEED: '600', POLL_INTERVAL_SECS: '0.05' };
  const a = await serve(env, dataDir);
  const before = await listen(a);
  // At 600x the first match kicks off 0.2 s in and scores its first goal about a second later.
  const goal = await before.nextOfType('GOAL_SCORED', 10_000);
  await a.stop();

  const b = await serve(env, dataDir);
  const after = await listen(b);
  await settle(b);
  await settle(b);
  await roundTrip(after);
  const forFirstMatch = after.received.filter((m) => m['match_id'] === goal['match_id']);
  // Not started again, and its goal not cancelled by a matchday replayed from kick-off.
  expect(forFirstMatch.map((m) => m.type)).not.toContain('MATCH_STARTED');
  expect(forFirstMatch.map((m) => m.type)).not.toContain('GOAL_CANCELLED');
  expect(b.app.book.match(String(goal['match_id']))?.goals.length ?? 0).toBeGreaterThanOrEqual(1);
});
