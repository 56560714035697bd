/**
 * Issue 9 "Proof", Redis outage: Redis is stopped for a while and restarted, first with its data,
 * then without. Nodes survive and keep their clients through the outage; `/health` says `degraded`
 * with `redis.connected: false`; nothing is sent while nothing can be committed, and the change that
 * happened during the outage is announced once when Redis is back. Back empty, it is a new history:
 * every node closes its clients, which resume and get `resumed: false`, a new epoch and a SNAPSHOT.
 */
import { afterEach, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { killAll } from '../helpers/process.js';
import { LiveFeed } from '../helpers/live-feed.js';
import { clientsOn, expectFullReplay, healthOf, leaderOf, pollers, startNodes, type NodeHealth, type RedisNode } from '../helpers/redis-nodes.js';
import { startRedisServer, testPrefix, waitFor, type PrivateRedis } from '../helpers/redis-server.js';
import type { ResumingClient } from '../helpers/resuming-client.js';
import { startStandIn, type StandIn } from '../helpers/stand-in.js';

let redis: PrivateRedis | undefined;
let admin: Redis | undefined;
let standIn: StandIn | undefined;
let nodes: RedisNode[] = [];
const clients: ResumingClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await killAll(nodes);
  nodes = [];
  admin?.disconnect();
  await standIn?.close();
  await redis?.stop();
});

/** Waits until every node's /health passes `check`. */
async function everyHealth(check: (health: NodeHealth) => boolean, what: string): Promise<void> {
  let last: Array<NodeHealth | undefined> = [];
  try {
    await waitFor(
      async () => {
        last = await Promise.all(nodes.map(healthOf));
        return last.every((health) => health !== undefined && check(health));
      },
      what,
      15_000,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last /health: ${JSON.stringify(last)}`, { cause: error });
  }
}

it('Redis stopped and restarted, with its data and then without: nodes survive, clients stay, nothing uncommitted is sent', async () => {
  redis = await startRedisServer();
  admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  admin.on('error', () => undefined);
  await admin.connect();
  standIn = await startStandIn();
  const feed = new LiveFeed(standIn).add({ key: 901, status: '10' });
  nodes = await startNodes(2, standIn, { redisUrl: redis.url, prefix: testPrefix('outage'), leaseSecs: 1 });
  await leaderOf(nodes);
  const opened = await clientsOn(nodes, 2);
  clients.push(...opened.map((entry) => entry.client));
  feed.goal(901, 'home', '11', 'Before');
  await Promise.all(clients.map((client) => client.reach(3)));
  const firstEpoch = clients[0]?.epoch;

  // Outage 1, data kept: a goal is scored while Redis is away.
  await redis.save(admin);
  await redis.kill();
  feed.goal(901, 'away', '12', 'During the outage');
  await everyHealth((health) => health.status === 'degraded' && !health.redis.connected && health.redis.latency_ms === null, 'degraded /health');
  // The leader loses its lease while Redis is away (it cannot renew): nobody polls until Redis is back.
  await everyHealth((health) => health.role === 'follower', 'no leader during the outage');
  const pollsDuringOutage = pollers(standIn).length;
  // Nothing could be committed, so nothing was sent; the clients are still connected.
  for (const client of clients) {
    expect(client.lastSeq).toBe(3);
    expect(client.reconnects).toBe(0);
  }
  await redis.restart({ keepData: true });
  // Announced once Redis is back, exactly once, in the same history; nobody had to reconnect.
  await Promise.all(clients.map((client) => client.reach(5, 15_000)));
  expect(pollers(standIn).length).toBeGreaterThan(pollsDuringOutage);
  await everyHealth((health) => health.status === 'healthy' && health.redis.connected && typeof health.redis.latency_ms === 'number', 'healthy /health');
  const replay = await expectFullReplay(nodes[0] as RedisNode, clients, 5);
  expect(replay.filter((event) => event.type === 'GOAL_SCORED')).toHaveLength(2);
  for (const client of clients) {
    expect(client.reconnects).toBe(0);
    expect(client.epoch).toBe(firstEpoch);
  }

  // Outage 2, data lost: Redis comes back empty, a new history begins.
  await redis.kill();
  await everyHealth((health) => !health.redis.connected, 'Redis seen as down');
  await redis.restart({ keepData: false });
  // Every node closes its clients; they resume on their list, are refused (the epoch is gone) and get a SNAPSHOT.
  await waitFor(() => clients.every((client) => client.epochs.length === 2 && client.snapshots.length >= 1), 'clients moved to the new epoch', 15_000);
  for (const client of clients) {
    expect(client.epoch).not.toBe(firstEpoch);
    expect(client.resumes).toContain(false);
  }
  const newEpoch = clients[0]?.epoch;
  expect(clients.every((client) => client.epoch === newEpoch)).toBe(true);
  // The matchday goes on in the new history, from what the provider shows now.
  feed.goal(901, 'home', '13', 'After');
  await everyHealth((health) => health.store.epoch === newEpoch && (health.store.latest_seq ?? 0) > 0, 'the new history has events');
  await waitFor(() => clients.every((client) => JSON.stringify(client.eventsOfEpoch()).includes('After')), 'the new goal delivered', 15_000);
  // Read once every client has the newest goal: the history holds at least that much.
  const latest = (await healthOf(nodes[0] as RedisNode))?.store.latest_seq ?? 0;
  await Promise.all(clients.map((client) => client.reach(latest)));
  const second = await expectFullReplay(nodes[1] as RedisNode, clients, latest);
  expect(second.filter((event) => event.type === 'MATCH_STARTED')).toHaveLength(1);
  for (const client of clients) {
    // The new history picks up right after the first SNAPSHOT it was given (the client had none
    // before): nothing before it missing, nothing twice; never the old history's seq carried over.
    expect(Number(client.eventsOfEpoch()[0]?.['seq'])).toBe(Number(client.snapshots[0]?.['seq']) + 1);
  }
}, 60_000);
