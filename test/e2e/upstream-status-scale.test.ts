/**
 * `UPSTREAM_STATUS` with several processes (issue 18 §2): with `WORKERS=2` and with two Redis nodes,
 * only the writer polls, yet every worker and every node tells its clients what the writer sees —
 * `down` with the same `since` and reason when the stand-in provider refuses the key, `ok` when it
 * takes it again. Real processes (`dist/main.js`), a real Redis of the test's own.
 */
import { afterEach, expect, it } from 'vitest';
import { killAll, startServiceProcess, type ListeningService, type ServiceProcess } from '../helpers/process.js';
import { startNodes } from '../helpers/redis-nodes.js';
import { startRedisServer, testPrefix, type PrivateRedis } from '../helpers/redis-server.js';
import { envelope, standInEnv, startStandIn, type CannedReply, type StandIn } from '../helpers/stand-in.js';
import { subscribe, TestClient, type Message } from '../helpers/ws-client.js';

const WRONG_LOGIN: CannedReply = { body: { error: '1', result: [{ param: null, msg: 'Wrong login credentials', cod: 1004 }] } };
const WAIT_MS = 30_000;

let standIn: StandIn | undefined;
let redis: PrivateRedis | undefined;
const processes: ServiceProcess[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await killAll(processes.splice(0));
  await standIn?.close();
  await redis?.stop();
  standIn = undefined;
  redis = undefined;
});

const isStatus = (state: string) => (m: Message) => m.type === 'UPSTREAM_STATUS' && m['state'] === state;

async function subscribed(wsUrl: string): Promise<TestClient> {
  const client = await TestClient.open(wsUrl);
  clients.push(client);
  await subscribe(client, { action: 'subscribe_all' });
  await client.nextOfType('UPSTREAM_STATUS', WAIT_MS);
  return client;
}

/**
 * The first status frame of `state` that `client` received after `after` (a frame it received). A
 * follower that starts before it has read the writer's record announces its own `ok`, then the
 * writer's (another `since`): frames before the change are not the ones looked for.
 */
function statusAfter(client: TestClient, state: string, after?: Message): Promise<Message> {
  const from = after === undefined ? -1 : client.received.indexOf(after);
  return client.next((m) => isStatus(state)(m) && client.received.indexOf(m) > from, WAIT_MS);
}

/** Every client hears `down` (the same frame), then `ok` (the same frame). */
async function expectDownThenOk(all: readonly TestClient[]): Promise<void> {
  standIn?.livescore(WRONG_LOGIN);
  const downs = await Promise.all(all.map((client) => statusAfter(client, 'down')));
  expect(downs[0]).toMatchObject({ state: 'down', reason: 'the provider refuses the API key' });
  for (const down of downs) expect(down).toEqual(downs[0]);
  standIn?.livescore({ body: envelope([]) });
  const oks = await Promise.all(all.map((client, i) => statusAfter(client, 'ok', downs[i])));
  for (const ok of oks) expect(ok).toEqual(oks[0]);
  expect(Date.parse(String(oks[0]?.['since']))).toBeGreaterThanOrEqual(Date.parse(String(downs[0]?.['since'])));
}

it('WORKERS=2: clients of every worker hear the writer\'s view of the provider', async () => {
  standIn = await startStandIn();
  const service: ListeningService = await startServiceProcess({ ...standInEnv(standIn), WORKERS: '2', UPSTREAM_BREAKER_THRESHOLD: '1000' });
  processes.push(service);
  await service.waitForLog((line) => line['msg'] === 'all 2 workers are listening', 60_000);
  // New connections alternate between the workers: four clients, two on each.
  const all: TestClient[] = [];
  for (let i = 0; i < 4; i += 1) all.push(await subscribed(service.wsUrl));
  const from = service.output().length;
  await expectDownThenOk(all);
  // Both workers announced the change to their clients: the writer from its polls, the other from the writer's record.
  const announced = service
    .output()
    .slice(from)
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    })
    .filter((line) => line['msg'] === 'upstream status changed' && line['state'] === 'down');
  expect(new Set(announced.map((line) => line['worker'])).size).toBe(2);
}, 120_000);

it('Redis nodes: clients of the follower node hear the leader\'s view of the provider', async () => {
  redis = await startRedisServer();
  standIn = await startStandIn();
  const nodes = await startNodes(2, standIn, { redisUrl: redis.url, prefix: testPrefix('upstream-status'), leaseSecs: 2, extra: { UPSTREAM_BREAKER_THRESHOLD: '1000' } });
  processes.push(...nodes);
  const all = await Promise.all(nodes.map((node) => subscribed(node.wsUrl)));
  await expectDownThenOk(all);
}, 120_000);
