/**
 * The bus contract over Redis Streams (two RedisBus "nodes" reading one history on the machine's
 * Redis, a unique prefix each), then what only Redis can do to a bus: connections that drop,
 * a Redis that restarts with its data and one that comes back empty (a private redis-server).
 */
import { Redis } from 'ioredis';
import { REDIS_CLIENT_OPTIONS } from '../../src/cluster/redis-client.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisBus, type BusReset } from '../../src/bus/redis-bus.js';
import type { CommittedBatch } from '../../src/bus/types.js';
import type { GoalScoredEvent } from '../../src/domain/events.js';
import { RedisEventStore, type InvalidEntry } from '../../src/store/redis-event-store.js';
import type { Commit, EventStore, PendingEvent } from '../../src/store/types.js';
import { deleteKeys, startRedisServer, testPrefix, TEST_REDIS_URL, waitFor, type PrivateRedis } from '../helpers/redis-server.js';
import { busContract, Recorder } from './bus.contract.js';

const shared = new Redis(TEST_REDIS_URL, REDIS_CLIENT_OPTIONS);
beforeAll(async () => {
  await shared.connect();
});
afterAll(async () => {
  await shared.quit();
});

/** What the writer does on Redis: the commit is the publication. */
async function commitAndPublish(store: EventStore, bus: RedisBus, commit: Commit): Promise<CommittedBatch> {
  const events = await store.commit(commit);
  const seq = events.at(-1)?.seq ?? (await store.bounds()).latestSeq;
  const batch = { events, seq, statesChanged: commit.states.length + commit.forget.length > 0 };
  bus.publish(batch);
  return batch;
}

busContract('RedisBus', {
  async open() {
    const prefix = testPrefix('bus');
    const store = new RedisEventStore({ redis: shared, prefix });
    const buses = [new RedisBus({ redis: shared, prefix, blockMs: 1_000 }), new RedisBus({ redis: shared, prefix, blockMs: 1_000 })];
    const { epoch } = await store.bounds();
    return {
      buses,
      epoch,
      commit: (commit: Commit) => commitAndPublish(store, buses[0] as RedisBus, commit),
      async close() {
        for (const bus of buses) await bus.close();
        await store.close();
        await deleteKeys(shared, prefix);
      },
    };
  },
});

let n = 0;
function goals(count: number): PendingEvent[] {
  return Array.from({ length: count }, () => {
    n += 1;
    const event: GoalScoredEvent = {
      type: 'GOAL_SCORED',
      match_id: '900',
      minute: '1',
      scorer: `S${n}`,
      team: 'away',
      score: `0-${n}`,
      home_team: 'H',
      away_team: 'A',
      league_id: '3',
      assist: null,
      penalty: false,
      own_goal: false,
      event_id: `900:goal:${n}`,
    };
    return { event, timestamp: new Date().toISOString(), homeTeamKey: '1', awayTeamKey: '2' };
  });
}

describe('RedisBus through Redis blips (a private redis-server)', () => {
  let server: PrivateRedis;
  let writer: Redis;
  let store: RedisEventStore;
  const cleanups: Array<() => void | Promise<void>> = [];

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server.stop();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const setUp = async () => {
    await server.restart({ keepData: false });
    writer = new Redis(server.url, REDIS_CLIENT_OPTIONS);
    cleanups.push(() => writer.disconnect());
    await writer.connect();
    store = new RedisEventStore({ redis: writer, prefix: 'fsc:' });
    await waitFor(() => writer.status === 'ready', 'the writer connects');
  };

  const subscribers = async (count: number, fromSeq = 0) => {
    const { epoch } = await store.bounds();
    const resets: BusReset[][] = [];
    const errors: Error[] = [];
    const recorders = Array.from({ length: count }, (_, i) => {
      const bus = new RedisBus({ redis: writer, prefix: 'fsc:', blockMs: 500, onError: (e) => errors.push(e) });
      cleanups.push(() => bus.close());
      const recorder = new Recorder();
      const mine: BusReset[] = [];
      resets[i] = mine;
      bus.subscribe({ epoch, seq: fromSeq }, recorder.onBatch, { onReset: (reset) => mine.push(reset) });
      return recorder;
    });
    return { recorders, resets, errors };
  };

  /** Commits `count` events one commit at a time, waiting through outages (a commit refused while down is retried). */
  const commitEvents = async (count: number) => {
    for (let i = 0; i < count; i += 1) {
      await waitFor(() => writer.status === 'ready', 'the writer reconnects', 15_000);
      await store.commit({ events: goals(1), states: [], forget: [] });
    }
  };

  it('connections killed mid-stream: every subscriber delivers every event once, in order', async () => {
    await setUp();
    const { recorders, resets } = await subscribers(3);
    await commitEvents(10);
    await recorders[0]?.untilSeq(5);
    // Kill every client connection (the subscribers' blocked reads included); ioredis reconnects.
    await writer.call('CLIENT', 'KILL', 'TYPE', 'normal');
    await commitEvents(10);
    await writer.call('CLIENT', 'KILL', 'TYPE', 'normal');
    await commitEvents(10);
    for (const recorder of recorders) {
      await recorder.untilSeq(30);
      expect(recorder.seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    }
    expect(resets.flat()).toEqual([]);
  });

  it('Redis killed and restarted with its data: nothing lost, nothing twice, no reset', async () => {
    await setUp();
    const { recorders, resets } = await subscribers(2);
    const epoch = (await store.bounds()).epoch;
    await commitEvents(15);
    await server.save(writer);
    await server.restart({ keepData: true });
    await commitEvents(15);
    expect((await store.bounds()).epoch).toBe(epoch);
    for (const recorder of recorders) {
      await recorder.untilSeq(30);
      expect(recorder.seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    }
    expect(resets.flat()).toEqual([]);
  });

  it('Redis back empty: subscribers report the new epoch, then deliver the new history from its start', async () => {
    await setUp();
    const { recorders, resets } = await subscribers(2);
    const before = (await store.bounds()).epoch;
    await commitEvents(12);
    for (const recorder of recorders) await recorder.untilSeq(12);
    await server.restart({ keepData: false });
    await waitFor(() => writer.status === 'ready', 'the writer reconnects', 15_000);
    const after = (await store.bounds()).epoch;
    expect(after).not.toBe(before);
    await commitEvents(4);
    for (const [i, recorder] of recorders.entries()) {
      await waitFor(() => recorder.seqs.length === 16, `subscriber ${i} delivers the new history`, 15_000);
      expect(recorder.seqs).toEqual([...Array.from({ length: 12 }, (_, k) => k + 1), 1, 2, 3, 4]);
      expect(resets[i]).toEqual([{ reason: 'epoch-changed', epoch: after, seq: 0 }]);
    }
  });

  it('an entry the commit script did not write never reaches a subscriber, is reported, and the history goes on below it after a repair', async () => {
    await setUp();
    const invalid: InvalidEntry[] = [];
    const bus = new RedisBus({ redis: writer, prefix: 'fsc:', blockMs: 200, onInvalidEntry: (entry) => invalid.push(entry) });
    cleanups.push(() => bus.close());
    const recorder = new Recorder();
    bus.subscribe({ epoch: (await store.bounds()).epoch, seq: 0 }, recorder.onBatch, { onReset: () => undefined });
    await commitEvents(2);
    await recorder.untilSeq(2);
    // Issue 16 item 13: an entry far ahead of the sequence counter, JSON and all.
    await writer.xadd('fsc:events', '99999999-0', 'e', '900:goal:x', 'y', 'GOAL_SCORED', 'm', '900', 'l', '3', 'h', '1', 'a', '2', 't', 't', 'j', '{"type":"GOAL_SCORED","match_id":"900","seq":99999999}');
    await waitFor(() => invalid.length > 0, 'the invalid entry reported');
    expect(invalid[0]).toMatchObject({ id: '99999999-0' });
    expect(invalid[0]?.reason).toContain('ahead of the sequence counter');
    await expect(store.commit({ events: goals(1), states: [], forget: [] })).rejects.toThrow(/CORRUPT/);
    // Repaired as an operator would: the entry deleted and the stream's last id set back.
    await writer.xdel('fsc:events', '99999999-0');
    await writer.call('XSETID', 'fsc:events', '2-0');
    await commitEvents(1);
    await recorder.untilSeq(3);
    expect(recorder.seqs).toEqual([1, 2, 3]);
    expect(invalid.map((entry) => entry.id)).toEqual(['99999999-0']);
  });

  it('a subscriber behind the retained history is told (too-old) and continues after the pruned part', async () => {
    await setUp();
    await store.commit({ events: goals(5).map((e) => ({ ...e, timestamp: '2020-01-01T00:00:00.000Z' })), states: [], forget: [] });
    await commitEvents(3);
    expect(await store.prune(new Date(Date.now() - 3_600_000))).toBe(5);
    const { recorders, resets } = await subscribers(1, 2);
    await recorders[0]?.untilSeq(8);
    expect(resets[0]).toEqual([{ reason: 'too-old', epoch: (await store.bounds()).epoch, seq: 5 }]);
    expect(recorders[0]?.seqs).toEqual([6, 7, 8]);
  });
});

describe('RedisBus on the shared Redis', () => {
  it('a history deleted under a connected subscriber (FLUSHDB, no reconnect) is reported as a new epoch', async () => {
    const prefix = testPrefix('bus-flush');
    const store = new RedisEventStore({ redis: shared, prefix });
    const resets: BusReset[] = [];
    const bus = new RedisBus({ redis: shared, prefix, blockMs: 200, onReset: (reset) => resets.push(reset) });
    try {
      await store.commit({ events: goals(3), states: [], forget: [] });
      const recorder = new Recorder();
      bus.subscribe({ epoch: (await store.bounds()).epoch, seq: 0 }, recorder.onBatch);
      await recorder.untilSeq(3);
      await deleteKeys(shared, prefix);
      const epoch = (await store.bounds()).epoch;
      await waitFor(() => resets.length > 0, 'the reset');
      await store.commit({ events: goals(2), states: [], forget: [] });
      await waitFor(() => recorder.seqs.length === 5, 'the new history');
      // Seen before or after bounds() created the new epoch: null (no history yet) or the new one.
      expect(resets).toHaveLength(1);
      expect(resets[0]).toMatchObject({ reason: 'epoch-changed', seq: 0 });
      expect([null, epoch]).toContain(resets[0]?.epoch);
      expect(recorder.seqs).toEqual([1, 2, 3, 1, 2]);
    } finally {
      await bus.close();
      await deleteKeys(shared, prefix);
    }
  });
});
