/**
 * The store contract on Redis: the test run's Redis (TEST_REDIS_URL: a redis-server the run started, or REDIS_TEST_URL), a unique key
 * prefix per location, every key of it deleted afterwards. Plus what is specific to Redis: the stream
 * layout, an emptied Redis being a new epoch, fail-fast commits while disconnected, fencing against
 * the lease key, and resent commits being applied once.
 */
import { Redis } from 'ioredis';
import { REDIS_CLIENT_OPTIONS } from '../../src/cluster/redis-client.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { recordEvent, type GoalScoredEvent } from '../../src/domain/events.js';
import { RedisEventStore, StoreUnavailableError, type InvalidEntry } from '../../src/store/redis-event-store.js';
import { FencedError, type PendingEvent } from '../../src/store/types.js';
import { isCorruption, StoreCorruptError } from '../../src/store/validate.js';
import { deleteKeys, startRedisServer, testPrefix, TEST_REDIS_URL, type PrivateRedis } from '../helpers/redis-server.js';
import { storeContract } from './store.contract.js';

const redis = new Redis(TEST_REDIS_URL, REDIS_CLIENT_OPTIONS);

beforeAll(async () => {
  await redis.connect();
});
afterAll(async () => {
  await redis.quit();
});

storeContract('RedisEventStore', {
  newLocation: () => Promise.resolve(testPrefix('store')),
  open: (prefix) => Promise.resolve(new RedisEventStore({ redis, prefix })),
  dispose: (prefix) => deleteKeys(redis, prefix),
  pruneChunk: 2000,
  writeRawState: async (prefix, key, raw) => {
    await redis.hset(`${prefix}states`, key, raw);
  },
  damagePrunedCounter: async (prefix) => {
    await redis.hset(`${prefix}head`, 'pruned', 'abc');
  },
});

function goal(n: number, timestamp = new Date().toISOString()): PendingEvent {
  const event: GoalScoredEvent = {
    type: 'GOAL_SCORED',
    match_id: '77',
    minute: String(n),
    scorer: `Scorer ${n}`,
    team: 'home',
    score: `${n}-0`,
    home_team: 'Home',
    away_team: 'Away',
    league_id: '152',
    assist: null,
    penalty: false,
    own_goal: false,
    event_id: `77:goal:${n}`,
  };
  return { event, timestamp, homeTeamKey: '1', awayTeamKey: '2' };
}

describe('RedisEventStore specifics', () => {
  const prefixes: string[] = [];
  const fresh = () => {
    const prefix = testPrefix('store-x');
    prefixes.push(prefix);
    return { prefix, store: new RedisEventStore({ redis, prefix }) };
  };
  afterEach(async () => {
    for (const prefix of prefixes.splice(0)) await deleteKeys(redis, prefix);
  });

  it('keeps each event in a stream entry with id <seq>-0 holding the exact recordEvent JSON', async () => {
    const { store, prefix } = fresh();
    const timestamp = '2025-05-17T15:12:34.567Z';
    const [stored] = await store.commit({ events: [goal(1, timestamp)], states: [], forget: [] });
    const entries = await redis.xrange(`${prefix}events`, '-', '+');
    expect(entries.map(([id]) => id)).toEqual(['1-0']);
    const json = entries[0]?.[1][entries[0][1].indexOf('j') + 1];
    const expected = recordEvent(goal(1).event, 1, timestamp, { homeTeamKey: '1', awayTeamKey: '2' });
    expect(json).toBe(expected.json);
    expect(stored).toEqual(expected);
  });

  it('a Redis that comes back empty is a new epoch, also for an instance that already read the old one', async () => {
    const { store, prefix } = fresh();
    await store.commit({ events: [goal(1), goal(2)], states: [], forget: [] });
    const before = await store.bounds();
    expect((await store.loadBook()).epoch).toBe(before.epoch);
    await deleteKeys(redis, prefix); // what a restarted, empty Redis looks like to this deployment
    // The book says which history it is of: none yet (an empty book fits any new history).
    expect(await store.loadBook()).toEqual({ states: [], seq: 0, epoch: null });
    const after = await store.bounds();
    expect(after.epoch).not.toBe(before.epoch);
    expect(after).toMatchObject({ latestSeq: 0, prunedThrough: 0 });
    // A commit on the empty Redis numbers from 1 again, under the new epoch (not a third one).
    const [first] = await store.commit({ events: [goal(3)], states: [], forget: [] });
    expect(first?.seq).toBe(1);
    expect((await store.bounds()).epoch).toBe(after.epoch);
    expect((await store.loadBook()).epoch).toBe(after.epoch);
  });

  it('a fenced commit is checked against the leader key, and refused once that key is gone', async () => {
    const { store, prefix } = fresh();
    await redis.set(`${prefix}leader`, 'node-a:1', 'PX', 60_000);
    expect(await store.commit({ events: [goal(1)], states: [], forget: [], fence: 'node-a:1' })).toHaveLength(1);
    await redis.del(`${prefix}leader`);
    await expect(store.commit({ events: [goal(2)], states: [], forget: [], fence: 'node-a:1' })).rejects.toBeInstanceOf(FencedError);
    expect((await store.bounds()).latestSeq).toBe(1);
  });

  it('claimWriter keeps the lease expiry of the leader key', async () => {
    const { store, prefix } = fresh();
    await redis.set(`${prefix}leader`, 'node-a:1', 'PX', 60_000);
    await store.claimWriter('node-a:1');
    expect(await redis.pttl(`${prefix}leader`)).toBeGreaterThan(0);
  });

  it('refuses a commit at once while the connection is down, instead of queueing it', async () => {
    const prefix = testPrefix('store-down');
    prefixes.push(prefix);
    const offline = new Redis(TEST_REDIS_URL, { lazyConnect: true });
    const store = new RedisEventStore({ redis: offline, prefix });
    await expect(store.commit({ events: [goal(1)], states: [], forget: [] })).rejects.toBeInstanceOf(StoreUnavailableError);
    offline.disconnect();
    expect(await redis.exists(`${prefix}events`)).toBe(0);
  });

  it('marks commits that changed match states with a marker entry after their events', async () => {
    const { store, prefix } = fresh();
    await store.commit({ events: [goal(1)], states: [], forget: [] });
    await store.commit({ events: [], states: [], forget: ['77'] });
    await store.commit({ events: [goal(2)], states: [], forget: ['77'] });
    const ids = (await redis.xrange(`${prefix}events`, '-', '+')).map(([id]) => id);
    expect(ids).toEqual(['1-0', '1-1', '2-0', '2-1']);
    expect((await store.readAfter({ since: 0, limit: 10 })) as unknown[]).toHaveLength(2);
  });
});

describe('RedisEventStore: what Redis hands back is checked', () => {
  const prefixes: string[] = [];
  afterEach(async () => {
    for (const prefix of prefixes.splice(0)) await deleteKeys(redis, prefix);
  });
  const fresh = (onInvalidEntry?: (entry: InvalidEntry) => void) => {
    const prefix = testPrefix('store-checked');
    prefixes.push(prefix);
    return { prefix, store: new RedisEventStore({ redis, prefix, ...(onInvalidEntry ? { onInvalidEntry } : {}) }) };
  };

  it('a non-numeric sequence counter fails reads with StoreCorruptError and commits with a CORRUPT error, never NaN', async () => {
    const { store, prefix } = fresh();
    await store.commit({ events: [goal(1)], states: [], forget: [] });
    await redis.hset(`${prefix}head`, 'seq', 'abc');
    await expect(store.bounds()).rejects.toBeInstanceOf(StoreCorruptError);
    await expect(store.loadBook()).rejects.toBeInstanceOf(StoreCorruptError);
    await expect(store.readAfter({ since: 0, limit: 10 })).rejects.toBeInstanceOf(StoreCorruptError);
    const refused = await store.commit({ events: [goal(2)], states: [], forget: [] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isCorruption(refused)).toBe(true);
    expect(String((refused as Error).message)).toContain('sequence counter');
    expect(await redis.xlen(`${prefix}events`)).toBe(1);
  });

  it('entries the commit script did not write are left out of reads and reported; commits are refused while one is ahead of the counter', async () => {
    const invalid: InvalidEntry[] = [];
    const { store, prefix } = fresh((entry) => invalid.push(entry));
    const [first] = await store.commit({ events: [goal(1)], states: [], forget: [] });
    // An entry at the counter with damaged JSON, then one far ahead of the counter (issue 16 item 13).
    await redis.hset(`${prefix}head`, 'seq', '2');
    await redis.xadd(`${prefix}events`, '2-0', 'e', 'x', 'y', 'GOAL_SCORED', 'm', '77', 'l', '1', 'h', '1', 'a', '2', 't', 't', 'j', '{"broken');
    await redis.xadd(`${prefix}events`, '99999999-0', 'e', '77:goal:9', 'y', 'GOAL_SCORED', 'm', '77', 'l', '1', 'h', '1', 'a', '2', 't', 't', 'j', '{"type":"GOAL_SCORED","seq":99999999}');
    expect(await store.readAfter({ since: 0, limit: 10 })).toEqual([first]);
    expect(invalid.map((entry) => entry.id)).toEqual(['2-0', '99999999-0']);
    expect(invalid[1]?.reason).toContain('ahead of the sequence counter');
    const refused = await store.commit({ events: [goal(2)], states: [], forget: [] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isCorruption(refused)).toBe(true);
  });
});

describe('RedisEventStore at maxmemory (a private redis-server)', () => {
  let server: PrivateRedis | undefined;
  let client: Redis | undefined;
  afterEach(async () => {
    client?.disconnect();
    await server?.stop();
  });

  it('reads go on (bounds, readAfter, loadBook write nothing); commits and meta writes are refused', async () => {
    server = await startRedisServer();
    client = new Redis(server.url, REDIS_CLIENT_OPTIONS);
    await client.connect();
    const store = new RedisEventStore({ redis: client, prefix: 'fsc:' });
    const written = await store.commit({ events: [goal(1), goal(2)], states: [], forget: [] });
    const before = await store.bounds();
    // Every write is over the limit from now on (noeviction: Redis refuses them, it evicts nothing).
    await client.config('SET', 'maxmemory-policy', 'noeviction');
    await client.config('SET', 'maxmemory', '1');
    await expect(client.set('fsc:probe', '1')).rejects.toThrow(/OOM/);

    expect(await store.bounds()).toEqual(before);
    expect(await store.readAfter({ since: 0, limit: 10 })).toEqual(written);
    expect(await store.loadBook()).toEqual({ states: [], seq: 2, epoch: before.epoch });
    expect(await store.getMeta('feed')).toBeUndefined();
    await expect(store.commit({ events: [goal(3)], states: [], forget: [] })).rejects.toThrow(/OOM/);
    await expect(store.setMeta('feed', 'x')).rejects.toThrow(/OOM/);
    expect((await store.bounds()).latestSeq).toBe(2);
  });
});
