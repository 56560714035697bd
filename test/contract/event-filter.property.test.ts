/**
 * The one filter predicate (`eventFilter`, src/domain/event-filter.ts) against its other forms:
 * the SQL the SQLite store generates from the same table (and the in-memory store's read) must
 * select exactly what the predicate selects, for random filters (any and all modes, overlapping lists, ids that match nothing) over
 * a history whose events share ids across matches, leagues and home/away teams. And the hub's
 * subscription index (one id index per list, looked up by the list's fields) must deliver to each
 * subscriber exactly the events the predicate selects for its filter.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventFilter, type EventFilter } from '../../src/domain/event-filter.js';
import type { GoalScoredEvent, StoredEvent } from '../../src/domain/events.js';
import type { Filter } from '../../src/domain/protocol.js';
import type { Connection, OutboundFrame } from '../../src/hub/connection.js';
import { Hub } from '../../src/hub/hub.js';
import type { Logger } from '../../src/log.js';
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

/** A connection that keeps what it is sent (the hub's `Connection`, in memory). */
class KeepingConnection implements Connection {
  readonly frames: OutboundFrame[] = [];
  bufferedAmount = 0;
  readonly draining = false;
  send(frame: OutboundFrame): number {
    this.frames.push(frame);
    return frame.text.length;
  }
  onceDrained(): void {
    return;
  }
  close(): void {
    return;
  }
  terminate(): void {
    return;
  }
}

const SUBSCRIPTION = fc.oneof(
  fc.constant<Filter>({ kind: 'all' }),
  fc
    .record({ matchIds: fc.array(ID, { maxLength: 3 }), leagueIds: fc.array(ID, { maxLength: 3 }), teamIds: fc.array(ID, { maxLength: 3 }) })
    .filter((f) => f.matchIds.length + f.leagueIds.length + f.teamIds.length > 0)
    .map((f): Filter => ({ kind: 'filtered', ...f })),
);

describe("the hub's subscription index delivers what eventFilter selects", () => {
  it('for random subscriptions (any mode) and random batches of events', async () => {
    const silent = { child: () => silent, debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;
    await fc.assert(
      fc.asyncProperty(fc.array(SUBSCRIPTION, { minLength: 1, maxLength: 12 }), fc.array(fc.array(ROUTING, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), async (filters, batches) => {
        const store = new MemoryEventStore();
        const hub = new Hub({
          store,
          snapshots: { snapshot: () => ({ seq: 0, matches: [] }) },
          logger: silent,
          limits: { clientRatePerSec: 1_000, clientRateBurst: 1_000, slowConsumerBytes: 1 << 30, maxBadMessages: 10 },
        });
        const clients = filters.map((filter) => ({ filter, connection: new KeepingConnection() }));
        for (const { filter, connection } of clients) await hub.opened(connection).subscribe({ filter, since: undefined, epoch: undefined, snapshot: false });
        const published: StoredEvent[] = [];
        for (const batch of batches) {
          const events = await store.commit({ events: batch.map((routing, i) => pending(routing, published.length + i + 1)), states: [], forget: [] });
          published.push(...events);
          hub.publish(events);
        }
        while (hub.fanningOut) await new Promise((resolve) => setImmediate(resolve));
        for (const { filter, connection } of clients) {
          const selects = filter.kind === 'all' ? () => true : eventFilter(filter);
          const received = connection.frames.filter((frame) => frame.type === 'GOAL_SCORED').map((frame) => frame.offset);
          expect(received).toEqual(published.filter(selects).map((event) => event.seq));
        }
      }),
      { numRuns: 150 },
    );
  });
});
