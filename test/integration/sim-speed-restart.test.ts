/**
 * The built-in simulated matchday restarted on the same DATA_DIR with another SIM_SPEED goes on
 * from the simulated time it had reached (at the new speed) instead of being replayed from kick-off
 * under the same match ids, which re-announced matches and cancelled every goal already announced.
 */
import { rmSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { startService, tempDataDir, type TestService } from '../helpers/service.js';
import { TestClient, roundTrip, subscribe } from '../helpers/ws-client.js';
import { settle } from '../helpers/waits.js';

const services: TestService[] = [];
const clients: TestClient[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const service of services.splice(0)) await service.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface SimClock {
  simSecs: number;
  atMs: number;
  speed: number;
}

const simClock = async (service: TestService): Promise<SimClock> =>
  JSON.parse((await service.app.store.getMeta('sim_clock')) ?? 'null') as SimClock;

it.each([
  ['slower', '600', '150'],
  ['faster', '150', '600'],
])('a restart with a %s SIM_SPEED keeps the simulated time: nothing re-announced, nothing cancelled', async (_label, firstSpeed, secondSpeed) => {
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  const a = await startService({ SIM_SPEED: firstSpeed, POLL_INTERVAL_SECS: '0.05' }, { dataDir });
  services.push(a);
  const before = await TestClient.open(a.wsUrl);
  clients.push(before);
  await subscribe(before, { action: 'subscribe_all' });
  // The first match kicks off 2 simulated minutes in and scores soon after.
  const goal = await before.nextOfType('GOAL_SCORED', 20_000);
  const started = new Set(before.received.filter((m) => m.type === 'MATCH_STARTED').map((m) => String(m['match_id'])));
  const firstClock = await simClock(a);
  const { latestSeq, epoch } = await a.app.store.bounds();
  await a.stop();
  const stoppedAt = Date.now();

  const b = await startService({ SIM_SPEED: secondSpeed, POLL_INTERVAL_SECS: '0.05' }, { dataDir });
  services.push(b);
  // Re-anchored where the first run had got to (at its speed), now running at the new speed.
  const secondClock = await simClock(b);
  expect(secondClock.speed).toBe(Number(secondSpeed));
  expect(secondClock.simSecs).toBeGreaterThanOrEqual(((stoppedAt - firstClock.atMs) / 1000) * Number(firstSpeed) - 1);

  const after = await TestClient.open(b.wsUrl);
  clients.push(after);
  await subscribe(after, { action: 'subscribe_all', since: latestSeq, epoch });
  await settle(b);
  await settle(b);
  await roundTrip(after);
  const since = after.received.filter((m) => typeof m['seq'] === 'number' && (m['seq'] as number) > latestSeq);
  // No match that had started is announced again, and nothing announced before is cancelled.
  expect(since.filter((m) => m.type === 'MATCH_STARTED' && started.has(String(m['match_id'])))).toEqual([]);
  const forFirstMatch = since.filter((m) => m['match_id'] === goal['match_id']);
  expect(forFirstMatch.map((m) => m.type).filter((type) => String(type).endsWith('_CANCELLED'))).toEqual([]);
  expect(b.app.book.match(String(goal['match_id']))?.goals.length ?? 0).toBeGreaterThanOrEqual(1);
});
