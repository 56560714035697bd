/**
 * The declared shutdown order (`SHUTDOWN_ORDER`, src/app/parts.ts), as fastify tests its close
 * order: a real instance (SQLite in a temporary DATA_DIR, or Redis) on a free port is stopped, and
 * as each part reports closed the test looks at what is still open: the writer's sources stop
 * first, clients are closed (1001) while the store still answers, the port closes before the bus
 * and the store, the lease is given back before clients go, and the store closes before Redis.
 */
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { SHUTDOWN_ORDER, startApp, type PartName, type RunningApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { deleteKeys, TEST_REDIS_URL, testPrefix, waitFor } from '../helpers/redis-server.js';
import { lockDataDir } from '../../src/store/data-dir-lock.js';
import { tempDataDir } from '../helpers/service.js';
import { TestClient } from '../helpers/ws-client.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** What was still true as each part reported closed; checks that need I/O settle afterwards. */
interface Observation {
  readonly part: PartName;
  readonly role: 'writer' | 'follower';
  readonly connections: number;
  readonly storeAnswers: Promise<boolean>;
  readonly httpAnswers: Promise<boolean>;
  readonly leaseHeld: Promise<boolean> | undefined;
}

const answers = (promise: Promise<unknown>): Promise<boolean> =>
  promise.then(
    () => true,
    () => false,
  );

async function start(env: Record<string, string>, observe: (part: PartName) => void, dataDir = tempDataDir()): Promise<RunningApp> {
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = loadConfig({ BIND_ADDRESS: '127.0.0.1:0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env });
  return startApp({ config, logger: createLogger(config, []), onPartClosed: observe });
}

function observer(app: () => RunningApp, leaseKey?: { redis: Redis; key: string }): { seen: Observation[]; observe: (part: PartName) => void } {
  const seen: Observation[] = [];
  const observe = (part: PartName) => {
    const running = app();
    seen.push({
      part,
      role: running.role(),
      connections: running.hub.connectionCount,
      storeAnswers: answers(running.store.bounds()),
      httpAnswers: answers(fetch(`${running.url}/livez`)),
      leaseHeld: leaseKey === undefined ? undefined : leaseKey.redis.exists(leaseKey.key).then((n) => n === 1),
    });
  };
  return { seen, observe };
}

it('SQLite: sources, clients, http, bus, upstream, store — each closed only after the one before', async () => {
  const holder: { app?: RunningApp } = {};
  const { seen, observe } = observer(() => holder.app as RunningApp);
  const app = (holder.app = await start({}, observe));
  expect(app.role()).toBe('writer');
  const client = await TestClient.open(`${app.url.replace('http', 'ws')}/ws`);
  cleanup.push(() => void client.close());
  client.send({ action: 'subscribe_all' });
  await client.nextOfType('SUBSCRIBED');

  await app.stop();

  expect(seen.map((o) => o.part)).toEqual(['sources', 'clients', 'http', 'bus', 'upstream', 'store']);
  expect(seen.map((o) => o.part)).toEqual(SHUTDOWN_ORDER.filter((part) => part !== 'lease' && part !== 'redis'));
  const at = (part: PartName) => seen.find((o) => o.part === part) as Observation;
  // The writer stopped polling while its client was still connected.
  expect(at('sources').role).toBe('follower');
  expect(at('sources').connections).toBe(1);
  // Clients were closed with 1001 while the store still answered.
  expect((await client.closed).code).toBe(1001);
  expect(at('clients').connections).toBe(0);
  expect(await at('clients').storeAnswers).toBe(true);
  expect(await at('bus').storeAnswers).toBe(true);
  expect(await at('upstream').storeAnswers).toBe(true);
  // The port was closed before the bus and the store; the store is closed last.
  expect(await at('http').httpAnswers).toBe(false);
  expect(await at('store').storeAnswers).toBe(false);
});

it('Redis: the lease is given back after the sources stop and before clients go; Redis closes after the store', async () => {
  const prefix = testPrefix('shutdown-order');
  const redis = new Redis(TEST_REDIS_URL);
  cleanup.push(async () => {
    await deleteKeys(redis, prefix);
    await redis.quit();
  });
  const holder: { app?: RunningApp } = {};
  const { seen, observe } = observer(() => holder.app as RunningApp, { redis, key: `${prefix}leader` });
  const app = (holder.app = await start({ REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, LEADER_LEASE_SECS: '5' }, observe));
  await waitFor(() => app.role() === 'writer', 'this node to take the lease');
  expect(await redis.exists(`${prefix}leader`)).toBe(1);

  await app.stop();

  expect(seen.map((o) => o.part)).toEqual([...SHUTDOWN_ORDER]);
  expect(seen.map((o) => o.part)).toEqual(['sources', 'lease', 'clients', 'http', 'bus', 'upstream', 'store', 'redis']);
  const at = (part: PartName) => seen.find((o) => o.part === part) as Observation;
  expect(at('sources').role).toBe('follower');
  expect(await at('lease').leaseHeld).toBe(false);
  expect(await at('http').httpAnswers).toBe(false);
  expect(await at('upstream').storeAnswers).toBe(true);
  expect(await at('redis').storeAnswers).toBe(false);
});

it('a failed start-up closes what it had opened in the same order, and lets go of the DATA_DIR', async () => {
  const first = await start({}, () => undefined);
  cleanup.push(() => first.stop());
  const closed: PartName[] = [];
  const dataDir = tempDataDir();
  // The port is taken: the second instance fails after opening its store, provider, bus and server.
  await expect(start({ BIND_ADDRESS: `127.0.0.1:${first.port}` }, (part) => closed.push(part), dataDir)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  expect(closed).toEqual(['clients', 'http', 'bus', 'upstream', 'store']);
  // The store part let go of the DATA_DIR lock: another instance may take it.
  lockDataDir(dataDir).release();
});
