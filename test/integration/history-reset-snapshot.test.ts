/**
 * A SNAPSHOT is of the history its SUBSCRIBED names. When Redis loses its data, the store begins a
 * new history at once, but a node notices only at its bus's next read (up to `blockMs`, 5 s) and
 * then closes its clients. A client that subscribes in between is told the new epoch; its SNAPSHOT
 * must not be cut from the node's book of the lost history: that would carry the old seq into the
 * new epoch, the new history's first events would be skipped as already sent, and a later resume
 * from that seq would be accepted with them missing (CI caught it as `expected 2 to be 6` in
 * test/e2e/redis-outage.test.ts). Real Redis on a free port (the test flushes it), real sockets.
 */
import { afterEach, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { LiveFeed } from '../helpers/live-feed.js';
import { startRedisServer, testPrefix, type PrivateRedis } from '../helpers/redis-server.js';
import { logLines, startService, type TestService } from '../helpers/service.js';
import { standInEnv, startStandIn, type StandIn } from '../helpers/stand-in.js';
import { reach, subscribe, TestClient } from '../helpers/ws-client.js';

let redis: PrivateRedis | undefined;
let admin: Redis | undefined;
let standIn: StandIn | undefined;
let service: TestService | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await service?.stop();
  admin?.disconnect();
  await standIn?.close();
  await redis?.stop();
});

/** A node on a private Redis following one live match with a goal; a client has seen it. */
async function nodeWithHistory() {
  redis = await startRedisServer();
  admin = new Redis(redis.url, { maxRetriesPerRequest: 0 });
  standIn = await startStandIn();
  const feed = new LiveFeed(standIn).add({ key: 801, status: '20' });
  // A long lease: the node keeps believing it writes the lost history until its bus notices.
  service = await startService(standInEnv(standIn, { REDIS_URL: redis.url, REDIS_PREFIX: testPrefix('resetsnap'), LEADER_LEASE_SECS: '30' }));
  const watcher = await TestClient.open(service.wsUrl);
  clients.push(watcher);
  const first = await subscribe(watcher, { action: 'subscribe_all' });
  await watcher.nextOfType('MATCH_STARTED', 15_000);
  feed.goal(801, 'home', '21', 'Scorer');
  await watcher.nextOfType('GOAL_SCORED', 15_000);
  await reach(watcher, 2);
  return { service, oldEpoch: String(first['epoch']) };
}

it('a client subscribing with a SNAPSHOT right after Redis lost its data gets the new history, never the old seq under the new epoch', async () => {
  const { service, oldEpoch } = await nodeWithHistory();
  await admin?.flushdb();
  const client = await TestClient.open(service.wsUrl);
  clients.push(client);
  const subscribed = await subscribe(client, { action: 'subscribe_all', snapshot: true });
  // The store named a new history on the first read after the flush: the client is told so.
  expect(subscribed['epoch']).not.toBe(oldEpoch);
  expect(subscribed['seq']).toBe(0);
  const snapshot = await client.nextOfType('SNAPSHOT');
  // The new history's start: nothing in it yet, so no match, at seq 0 (the node's book still held the
  // lost history's goal at seq >= 2).
  expect(snapshot['seq']).toBe(0);
  expect(snapshot['matches']).toEqual([]);
});

it('a SNAPSHOT asked mid-stream from a node that has not noticed the new history closes the client to resume (1001), never serves the old one', async () => {
  const { service, oldEpoch } = await nodeWithHistory();
  await admin?.flushdb();
  const client = await TestClient.open(service.wsUrl);
  clients.push(client);
  const subscribed = await subscribe(client, { action: 'subscribe_all' });
  expect(subscribed['epoch']).not.toBe(oldEpoch);
  client.send({ action: 'snapshot' });
  const closed = await client.closed;
  expect(closed.code).toBe(1001);
  expect(logLines(service, 'closing client connection').map((line) => line['reason'])).toContain('history_reset');
  expect(client.received.filter((message) => message.type === 'SNAPSHOT')).toEqual([]);
});
