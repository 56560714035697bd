/**
 * `readAll`, the one routine that pages through the log (hub replay, REST, the buses' gap filler),
 * on a real in-memory store: pages in order without gaps or repeats, `until`, filters, the bounds
 * that come with each page, and a prune under the read that it skips over (and says so) rather
 * than hand its caller a `'too-old'`.
 */
import { describe, expect, it } from 'vitest';
import type { GoalScoredEvent } from '../../src/domain/events.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { readAll, readPage, type LogPage } from '../../src/store/read-all.js';
import type { EventStore, PendingEvent } from '../../src/store/types.js';

const OLD = '2020-01-01T00:00:00.000Z';

function goals(count: number, matchId: string, timestamp = new Date().toISOString()): PendingEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const event: GoalScoredEvent = {
      type: 'GOAL_SCORED',
      match_id: matchId,
      minute: '1',
      scorer: `S${i}`,
      team: 'home',
      score: `${i}-0`,
      home_team: 'H',
      away_team: 'A',
      league_id: '7',
      assist: null,
      penalty: false,
      own_goal: false,
      event_id: `${matchId}:goal:${i}:${Math.random()}`,
    };
    return { event, timestamp, homeTeamKey: '1', awayTeamKey: '2' };
  });
}

async function collect(pages: AsyncIterable<LogPage>): Promise<LogPage[]> {
  const all: LogPage[] = [];
  for await (const page of pages) all.push(page);
  return all;
}

const seqs = (pages: readonly LogPage[]): number[] => pages.flatMap((page) => page.events.map((event) => event.seq));

describe('readAll', () => {
  it('pages through everything after since, in order, without gaps or repeats, each page with the bounds', async () => {
    const store = new MemoryEventStore();
    await store.commit({ events: goals(10, '1'), states: [], forget: [] });
    const pages = await collect(readAll(store, { since: 2, pageSize: 3 }));
    expect(pages.map((page) => page.events.length)).toEqual([3, 3, 2]);
    expect(seqs(pages)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    for (const page of pages) expect(page.bounds).toEqual(await store.bounds());
    expect(pages.some((page) => page.skipped)).toBe(false);
  });

  it('yields one page even when there is nothing to read, so the caller has the bounds', async () => {
    const store = new MemoryEventStore();
    const pages = await collect(readAll(store, { since: 0, pageSize: 5 }));
    expect(pages).toEqual([{ events: [], bounds: await store.bounds(), skipped: false }]);
  });

  it('stops after until, and applies the filter', async () => {
    const store = new MemoryEventStore();
    await store.commit({ events: [...goals(4, '1'), ...goals(4, '2'), ...goals(4, '1')], states: [], forget: [] });
    expect(seqs(await collect(readAll(store, { since: 1, until: 6, pageSize: 2 })))).toEqual([2, 3, 4, 5, 6]);
    expect(seqs(await collect(readAll(store, { since: 0, pageSize: 3, matchIds: ['2'] })))).toEqual([5, 6, 7, 8]);
  });

  it('a read from before the retained history starts after it and says it skipped', async () => {
    const store = new MemoryEventStore();
    await store.commit({ events: goals(3, '1', OLD), states: [], forget: [] });
    await store.commit({ events: goals(2, '1'), states: [], forget: [] });
    await store.prune(new Date(Date.now() - 60_000));
    const pages = await collect(readAll(store, { since: 1, pageSize: 10 }));
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ skipped: true, bounds: { prunedThrough: 3, latestSeq: 5 } });
    expect(seqs(pages)).toEqual([4, 5]);
  });

  it('a prune under a running read: the read goes on from the new start, the next page says it skipped', async () => {
    const store = new MemoryEventStore();
    await store.commit({ events: goals(6, '1', OLD), states: [], forget: [] });
    await store.commit({ events: goals(3, '1'), states: [], forget: [] });
    const pages: LogPage[] = [];
    for await (const page of readAll(store, { since: 0, pageSize: 2 })) {
      pages.push(page);
      if (pages.length === 1) await store.prune(new Date(Date.now() - 60_000));
    }
    expect(pages[0]).toMatchObject({ skipped: false, bounds: { prunedThrough: 0 } });
    expect(pages[1]).toMatchObject({ skipped: true, bounds: { prunedThrough: 6 } });
    expect(seqs(pages)).toEqual([1, 2, 7, 8, 9]);
  });

  it('a store that keeps answering too-old without moving its start fails the read rather than spin', async () => {
    const inner = new MemoryEventStore();
    await inner.commit({ events: goals(2, '1'), states: [], forget: [] });
    const liar: EventStore = Object.assign(Object.create(inner) as EventStore, { readAfter: () => Promise.resolve('too-old' as const) });
    await expect(collect(readAll(liar, { since: 0, pageSize: 5 }))).rejects.toThrow(/too-old/);
  });

  it('readPage is the first page', async () => {
    const store = new MemoryEventStore();
    await store.commit({ events: goals(5, '1'), states: [], forget: [] });
    const page = await readPage(store, { since: 1, pageSize: 2 });
    expect(page.events.map((event) => event.seq)).toEqual([2, 3]);
    expect(page.bounds.latestSeq).toBe(5);
  });
});
