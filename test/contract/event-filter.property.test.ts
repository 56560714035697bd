/**
 * The one filter predicate (`eventFilter`, src/domain/event-filter.ts) against its other forms:
 * the SQL the SQLite store generates from the same table (and the in-memory store's read) must
 * select exactly what the predicate selects, for random filters (any and all modes, overlapping lists, ids that match nothing) over
 * a history whose events share ids across matches, leagues and home/away teams.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventFilter, type EventFilter } from '../../src/domain/event-filter.js';
import type { GoalScoredEvent, StoredEvent } from '../../src/domain/events.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { SqliteEventStore } from '../../src/store/sqlite-event-store.js';
import type { EventStore, PendingEvent } from '../../src/store/types.js';

/** Few ids, so lists overlap with the events often; '9' is never used by an event. */
const ID = fc.constantFrom('1', '2', '3', '4', '9');
const ROUTING = fc.record({ matchId: ID, leagueId: ID, homeTeamKey: ID, awayTeamKey: ID });
const LIST = fc.option(fc.array(ID, { maxLength: 3 }), { nil: undefined });
const FILTER: fc.Arbitrary<EventFilter> = fc.record({
  matchIds: LIST,
  leagueIds: LIST,
  teamIds: LIST,
  mode: fc.option(fc.constantFrom('any' as const, 'all' as const), { nil: undefined }),
});

function pending(routing: { matchId: string; leagueId: string; homeTeamKey: string; awayTeamKey: string }, n: number): PendingEvent {
  const event: GoalScoredEvent = {
    type: 'GOAL_SCORED',
    match_id: routing.matchId,
    minute: '1',
    scorer: `S${n}`,
    team: 'home',
    score: `${n}-0`,
    home_team: 'H',
    away_team: 'A',
    league_id: routing.leagueId,
    assist: null,
    penalty: false,
    own_goal: false,
    event_id: `${routing.matchId}:goal:${n}`,
  };
  return { event, timestamp: new Date().toISOString(), homeTeamKey: routing.homeTeamKey, awayTeamKey: routing.awayTeamKey };
}

/** The stores whose reads must agree with the predicate, each over the same history. */
const stores: Array<[string, () => EventStore]> = [
  [
    'SqliteEventStore',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'fsc-filter-'));
      const store = new SqliteEventStore({ dataDir: dir });
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      return store;
    },
  ],
  ['MemoryEventStore', () => new MemoryEventStore()],
];
const cleanups: Array<() => void> = [];

describe.each(stores)('eventFilter and the reads of %s select the same events', (_name, open) => {
  let store: EventStore;
  let history: StoredEvent[];

  beforeAll(async () => {
    store = open();
    const routings = fc.sample(ROUTING, { numRuns: 150, seed: 17 });
    history = await store.commit({ events: routings.map((routing, i) => pending(routing, i + 1)), states: [], forget: [] });
  });
  afterAll(async () => {
    await store.close();
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('for random filters in both modes', async () => {
    await fc.assert(
      fc.asyncProperty(FILTER, fc.integer({ min: 0, max: 150 }), async (filter, since) => {
        const read = await store.readAfter({ ...filter, since, limit: 1_000 });
        const expected = history.filter((event) => event.seq > since).filter(eventFilter(filter));
        expect(read === 'too-old' ? read : read.map((event) => event.seq)).toEqual(expected.map((event) => event.seq));
      }),
      { numRuns: 300 },
    );
  });
});
