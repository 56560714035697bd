/**
 * Issue 9: `WORKERS=2` combined with `REDIS_URL` on one node (a smoke test). Every worker is a node
 * of the Redis deployment: both serve (two node ids behind one port), exactly one of them leads and
 * polls, clients spread over both get the same stream, and one scrape shows one writer.
 */
import { afterEach, expect, it } from 'vitest';
import { killAll, startServiceProcess, type ListeningService } from '../helpers/process.js';
import { LiveFeed } from '../helpers/live-feed.js';
import { expectFullReplay, healthOf, pollers } from '../helpers/redis-nodes.js';
import { startRedisServer, testPrefix, waitFor, type PrivateRedis } from '../helpers/redis-server.js';
import { ResumingClient } from '../helpers/resuming-client.js';
import { standInEnv, startStandIn, type StandIn } from '../helpers/stand-in.js';

let redis: PrivateRedis | undefined;
let standIn: StandIn | undefined;
let service: ListeningService | undefined;
const clients: ResumingClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  if (service) await killAll([service]);
  await standIn?.close();
  await redis?.stop();
});

it('WORKERS=2 on Redis: both workers serve, one of them leads', async () => {
  redis = await startRedisServer();
  standIn = await startStandIn();
  const feed = new LiveFeed(standIn).add({ key: 601, status: '10' });
  service = await startServiceProcess({
    ...standInEnv(standIn),
    WORKERS: '2',
    REDIS_URL: redis.url,
    REDIS_PREFIX: testPrefix('workers'),
    LEADER_LEASE_SECS: '2',
  });
  await service.waitForLog((line) => line['msg'] === 'all 2 workers are listening');

  // New connections alternate between the workers: both answer, as two nodes, one the leader.
  const roles = new Map<string, string>();
  await waitFor(
    async () => {
      const health = await healthOf(service as ListeningService);
      if (health !== undefined) roles.set(health.node_id, health.role);
      return roles.size === 2 && [...roles.values()].filter((role) => role === 'leader').length === 1;
    },
    'two workers answering, one of them the leader',
    15_000,
  );
  expect((await healthOf(service))?.status).toBe('healthy');

  for (let i = 0; i < 4; i += 1) clients.push(await ResumingClient.open([service.wsUrl]));
  expect(/^fsc_connections 4$/m.test(await (await fetch(`${service.url}/metrics`)).text())).toBe(true);
  // A goal is GOAL_SCORED + SCORE_UPDATE; the match started at seq 1.
  feed.goal(601, 'home', '21', 'First');
  await Promise.all(clients.map((client) => client.reach(3)));
  feed.goal(601, 'away', '22', 'Second');
  await Promise.all(clients.map((client) => client.reach(5)));
  await expectFullReplay(service, clients, 5);
  // One scrape of the instance: one writer in all.
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  expect(metrics).toMatch(/^fsc_leader 1$/m);
  expect(metrics).toMatch(/^fsc_events_total\{type="MATCH_STARTED"\} 1$/m);
  expect(pollers(standIn).length).toBeGreaterThan(0);
}, 40_000);
