/**
 * Issue 9 "Proof", split brain: the leader is paused (SIGSTOP) past its lease with a poll in flight,
 * a new leader takes over and announces what happened meanwhile, then the old one is resumed
 * (SIGCONT) and gets its poll's answer. That answer holds a goal nobody else ever sees (the
 * provider disallowed it right after), so the old leader is sure to detect something only it knows:
 * its commit is refused by the fencing token, and the goal reaches no client and no history; every
 * client's stream is the full replay (no duplicate, no gap).
 */
import { afterEach, expect, it } from 'vitest';
import { killAll } from '../helpers/process.js';
import { LiveFeed } from '../helpers/live-feed.js';
import { clientsOn, expectFullReplay, firstPollBy, leaderOf, logLines, pollers, startNodes, type RedisNode } from '../helpers/redis-nodes.js';
import { startRedisServer, testPrefix, waitFor, type PrivateRedis } from '../helpers/redis-server.js';
import type { ResumingClient } from '../helpers/resuming-client.js';
import { startStandIn, type StandIn } from '../helpers/stand-in.js';

const LEASE_SECS = 1;
/** The held answer outlasts the lease, so it reaches the old leader after it lost the lease. */
const HOLD_MS = 2_500;

let redis: PrivateRedis | undefined;
let standIn: StandIn | undefined;
let nodes: RedisNode[] = [];
const clients: ResumingClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await killAll(nodes);
  nodes = [];
  await standIn?.close();
  await redis?.stop();
});

it('a paused leader resumed after its lease was taken commits and sends nothing', async () => {
  redis = await startRedisServer();
  standIn = await startStandIn();
  const feed = new LiveFeed(standIn).add({ key: 801, status: '10' });
  nodes = await startNodes(3, standIn, { redisUrl: redis.url, prefix: testPrefix('split'), leaseSecs: LEASE_SECS });
  const old = await leaderOf(nodes);
  const opened = await clientsOn(nodes, 2);
  clients.push(...opened.map((entry) => entry.client));
  feed.goal(801, 'home', '11', 'Before');
  await Promise.all(clients.map((client) => client.reach(3)));

  // The leader's next poll is answered late, with a goal that is disallowed at once; it is paused meanwhile.
  let armed = true;
  feed.replyDelay = (request) => {
    if (!armed || request.query.get('APIkey') !== old.key) return undefined;
    armed = false;
    return HOLD_MS;
  };
  feed.goal(801, 'away', '12', 'Phantom');
  const from = pollers(standIn).length;
  await firstPollBy(standIn, (key) => key === old.key, 5_000, from);
  const pausedAt = old.output().length;
  old.child.kill('SIGSTOP');
  feed.disallowLastGoal(801);
  feed.goal(801, 'away', '14', 'During the pause');
  try {
    // A new leader takes over and announces the goal (once).
    const takeover = await firstPollBy(standIn, (key) => key !== old.key, 10_000, from);
    const others = nodes.filter((node) => node !== old);
    const successor = others.find((node) => node.key === pollers(standIn as StandIn)[takeover]) as RedisNode;
    const othersClients = opened.filter((entry) => entry.node !== old).map((entry) => entry.client);
    await Promise.all(othersClients.map((client) => client.reach(5)));
    expect(successor).toBeDefined();
  } finally {
    old.child.kill('SIGCONT');
  }
  // Resumed, the old leader gets the held answer, detects the goal again and is refused by the fence.
  await old.waitForLog((line) => line['msg'] === 'commit refused: this process is no longer the writer; nothing was published', 10_000);
  // The matchday goes on under the new leader; the old one is a follower that fans it out.
  feed.goal(801, 'home', '15', 'After');
  await Promise.all(clients.map((client) => client.reach(7, 15_000)));
  const replay = await expectFullReplay(nodes[0] as RedisNode, clients, 7);
  expect(replay.filter((event) => event.type === 'GOAL_SCORED')).toHaveLength(3);
  expect(JSON.stringify(replay)).not.toContain('Phantom');
  for (const client of clients) expect(JSON.stringify(client.events)).not.toContain('Phantom');
  expect(replay.filter((event) => event.type === 'MATCH_STARTED')).toHaveLength(1);
  // Nothing the old leader detected after its pause was committed by it.
  expect(logLines(old, pausedAt).filter((line) => line['msg'] === 'event')).toEqual([]);
  // Its clients stayed connected to it through the pause and were served by it after it.
  for (const { client, node } of opened) if (node === old) expect(client.reconnects).toBe(0);
  expect((await leaderOf(nodes)).key).not.toBe(old.key);
  await waitFor(() => !armed, 'the held poll');
}, 45_000);
