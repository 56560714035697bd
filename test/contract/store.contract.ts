/**
 * The contract every `EventStore` implementation must pass, as a function: an implementation's test
 * file calls `storeContract(name, harness)` with a harness that knows how to make an empty place for
 * a store (a directory, a key prefix) and how to open a store there. Nothing here knows SQLite.
 *
 * What the rest of the service relies on, and so what is checked: one history per place (its epoch),
 * consecutive sequence numbers that are never handed out twice (not after pruning, not after a
 * reopen, not after a crash), the exact wire JSON stored with its `seq` and `timestamp`, atomic
 * commits of events and match states, ordered and filtered reads, `'too-old'` once history is gone,
 * and pruning that takes only what is older than the cutoff and yields while it works. And what is
 * read back is checked: a malformed match state is left out and reported, never fatal; a damaged
 * counter fails the read with `StoreCorruptError`, never a NaN that crashes whoever serialises it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GoalScoredEvent, MatchEvent, MatchStartedEvent, StoredEvent } from '../../src/domain/events.js';
import type { MatchState } from '../../src/domain/match.js';
import { FencedError, type EventStore, type PendingEvent } from '../../src/store/types.js';
import { StoreCorruptError } from '../../src/store/validate.js';

export interface StoreHarness {
  /** A new, empty place for a store (a directory, a key prefix, …). */
  newLocation(): Promise<string>;
  /** Opens a store at a location; opening the same location again must see the same history. */
  open(location: string): Promise<EventStore>;
  /** Removes what `newLocation` made, once every store on it is closed. */
  dispose(location: string): Promise<void>;
  /** Rows deleted per pruning step, if the implementation prunes in chunks of a known size. @default 2000 */
  readonly pruneChunk?: number;
  /** Stores `raw` as the match state under `key`, past the store (as a hand edit or a damaged write would). */
  writeRawState(location: string, key: string, raw: string): Promise<void>;
  /** Overwrites the store's own record of what was pruned with something that is not a number. */
  damagePrunedCounter(location: string): Promise<void>;
}

/** A match of the fixtures below: ids as the provider gives them, as strings. */
interface Fixture {
  readonly matchId: string;
  readonly leagueId: string;
  readonly homeTeamKey: string;
  readonly awayTeamKey: string;
}

// Three matches, two leagues; team 44 plays away in M2 and at home in M3.
const M1: Fixture = { matchId: '1001', leagueId: '152', homeTeamKey: '11', awayTeamKey: '22' };
const M2: Fixture = { matchId: '1002', leagueId: '207', homeTeamKey: '33', awayTeamKey: '44' };
const M3: Fixture = { matchId: '1003', leagueId: '152', homeTeamKey: '44', awayTeamKey: '55' };

const HOUR_MS = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

function goalEvent(match: Fixture, n: number): GoalScoredEvent {
  return {
    type: 'GOAL_SCORED',
    match_id: match.matchId,
    minute: String(n),
    scorer: `Player ${n} "Ünïcødé" ⚽`,
    team: n % 2 === 0 ? 'home' : 'away',
    score: `${n}-0`,
    home_team: `Home ${match.homeTeamKey}`,
    away_team: `Away ${match.awayTeamKey}`,
    league_id: match.leagueId,
    assist: n % 3 === 0 ? null : `Assist ${n}`,
    penalty: false,
    own_goal: false,
    event_id: `${match.matchId}:goal:${n}`,
  };
}

function startedEvent(match: Fixture): MatchStartedEvent {
  return {
    type: 'MATCH_STARTED',
    match_id: match.matchId,
    home_team: `Home ${match.homeTeamKey}`,
    away_team: `Away ${match.awayTeamKey}`,
    league: `League ${match.leagueId}`,
    league_id: match.leagueId,
    start_time: '2025-05-17 15:00',
    home_team_key: match.homeTeamKey,
    away_team_key: match.awayTeamKey,
    country: 'England',
    score: '1-0',
    status: '12',
    phase: 'first_half',
    goals: [{ event_id: `${match.matchId}:goal:pre`, minute: '3', scorer: 'Early', team: 'home', assist: null, penalty: false, own_goal: false }],
    cards: [],
    substitutions: [],
    event_id: `${match.matchId}:started`,
  };
}

function pending(match: Fixture, event: MatchEvent, timestamp = iso(Date.now())): PendingEvent {
  return { event, timestamp, homeTeamKey: match.homeTeamKey, awayTeamKey: match.awayTeamKey };
}

/** `count` goals of `match`, numbered from `from`. */
function goals(match: Fixture, count: number, from = 1, timestamp?: string): PendingEvent[] {
  return Array.from({ length: count }, (_, i) => pending(match, goalEvent(match, from + i), timestamp));
}

function matchState(match: Fixture, overrides: Partial<MatchState> = {}): MatchState {
  return {
    matchId: match.matchId,
    homeTeam: `Home ${match.homeTeamKey}`,
    awayTeam: `Away ${match.awayTeamKey}`,
    homeTeamKey: match.homeTeamKey,
    awayTeamKey: match.awayTeamKey,
    leagueId: match.leagueId,
    league: `League ${match.leagueId}`,
    country: 'England',
    startTime: '2025-05-17 15:00',
    status: '30',
    phase: 'first_half',
    started: true,
    ended: false,
    score: { home: 1, away: 0 },
    halftimeScore: null,
    penaltyScore: null,
    goals: [
      {
        eventId: `${match.matchId}:goal:1`,
        side: 'home',
        minute: '12',
        scorer: 'A. Striker',
        scorerId: '',
        assist: '',
        assistId: '',
        penalty: false,
        ownGoal: false,
        revision: 0,
      },
    ],
    cards: [],
    substitutions: [],
    absentPolls: 0,
    scoreRevision: 1,
    phaseHistory: ['first_half'],
    retiredEventIds: [],
    ...overrides,
  };
}

const seqs = (events: readonly StoredEvent[] | 'too-old'): number[] | 'too-old' =>
  events === 'too-old' ? events : events.map((e) => e.seq);

const matchIdsOf = (events: readonly StoredEvent[] | 'too-old'): string[] | 'too-old' =>
  events === 'too-old' ? events : events.map((e) => e.matchId);

const byMatchId = (a: MatchState, b: MatchState) => a.matchId.localeCompare(b.matchId);

export function storeContract(name: string, harness: StoreHarness): void {
  describe(`EventStore contract: ${name}`, () => {
    const opened: EventStore[] = [];
    const locations: string[] = [];

    const location = async (): Promise<string> => {
      const where = await harness.newLocation();
      locations.push(where);
      return where;
    };
    const open = async (where: string): Promise<EventStore> => {
      const store = await harness.open(where);
      opened.push(store);
      return store;
    };
    const fresh = async (): Promise<{ store: EventStore; where: string }> => {
      const where = await location();
      return { store: await open(where), where };
    };

    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
      for (const where of locations.splice(0)) await harness.dispose(where);
    });

    describe('epoch and bounds', () => {
      it('starts empty: latestSeq 0, prunedThrough 0, a non-empty epoch', async () => {
        const { store } = await fresh();
        const bounds = await store.bounds();
        expect(bounds.latestSeq).toBe(0);
        expect(bounds.prunedThrough).toBe(0);
        expect(typeof bounds.epoch).toBe('string');
        expect(bounds.epoch.length).toBeGreaterThan(0);
        expect(await store.readAfter({ since: 0, limit: 10 })).toEqual([]);
        expect(await store.loadStates()).toEqual([]);
      });

      it('keeps its epoch across a reopen of the same place; a new place has a new epoch', async () => {
        const where = await location();
        const first = await open(where);
        const epoch = (await first.bounds()).epoch;
        await first.commit({ events: goals(M1, 2), states: [], forget: [] });
        await first.close();

        const again = await open(where);
        expect((await again.bounds()).epoch).toBe(epoch);

        const { store: other } = await fresh();
        expect((await other.bounds()).epoch).not.toBe(epoch);
      });

      it('bounds() reports the newest seq after every commit', async () => {
        const { store } = await fresh();
        await store.commit({ events: goals(M1, 3), states: [], forget: [] });
        expect((await store.bounds()).latestSeq).toBe(3);
        await store.commit({ events: goals(M2, 1), states: [], forget: [] });
        expect(await store.bounds()).toMatchObject({ latestSeq: 4, prunedThrough: 0 });
      });
    });

    describe('commit', () => {
      it('assigns strictly increasing, consecutive seqs across commits, starting at 1', async () => {
        const { store } = await fresh();
        const a = await store.commit({ events: goals(M1, 3), states: [], forget: [] });
        const b = await store.commit({ events: [...goals(M2, 1), ...goals(M3, 1)], states: [], forget: [] });
        expect(a.map((e) => e.seq)).toEqual([1, 2, 3]);
        expect(b.map((e) => e.seq)).toEqual([4, 5]);
      });

      it('a commit without events assigns no seq', async () => {
        const { store } = await fresh();
        await store.commit({ events: goals(M1, 2), states: [], forget: [] });
        expect(await store.commit({ events: [], states: [matchState(M1)], forget: [] })).toEqual([]);
        expect((await store.bounds()).latestSeq).toBe(2);
        const [next] = await store.commit({ events: goals(M1, 1, 3), states: [], forget: [] });
        expect(next?.seq).toBe(3);
      });

      it('stores the exact wire JSON, with timestamp and seq appended, and the routing fields', async () => {
        const { store } = await fresh();
        const timestamp = '2025-05-17T15:12:34.567Z';
        const events = [pending(M2, startedEvent(M2), timestamp), pending(M2, goalEvent(M2, 7), timestamp)];
        const stored = await store.commit({ events, states: [], forget: [] });
        expect(stored).toHaveLength(2);
        for (const [i, record] of stored.entries()) {
          const event = events[i]?.event as MatchEvent;
          // Exact text: the detector's fields in their order, then timestamp, then seq.
          expect(record.json).toBe(JSON.stringify({ ...event, timestamp, seq: record.seq }));
          expect(record).toMatchObject({
            eventId: event.event_id,
            type: event.type,
            matchId: M2.matchId,
            leagueId: M2.leagueId,
            homeTeamKey: M2.homeTeamKey,
            awayTeamKey: M2.awayTeamKey,
            timestamp,
          });
        }
        // What comes back out is what went in, byte for byte.
        expect(await store.readAfter({ since: 0, limit: 10 })).toEqual(stored);
      });

      it('saves, replaces and forgets match states', async () => {
        const { store } = await fresh();
        await store.commit({ events: [], states: [matchState(M1), matchState(M2)], forget: [] });
        expect((await store.loadStates()).sort(byMatchId)).toEqual([matchState(M1), matchState(M2)]);

        const later = matchState(M1, { status: '55', phase: 'second_half', score: { home: 2, away: 1 }, scoreRevision: 3 });
        await store.commit({ events: goals(M1, 1), states: [later], forget: [M2.matchId, 'never-saved'] });
        expect(await store.loadStates()).toEqual([later]);
      });

      it('is atomic: a commit that fails part-way leaves no event and no state behind', async () => {
        const { store } = await fresh();
        await store.commit({ events: goals(M1, 2), states: [matchState(M1)], forget: [] });
        const before = await store.bounds();
        // The second event cannot be serialised (a BigInt): the commit must fail as a whole.
        const poisoned = { ...goalEvent(M1, 9), minute: 10n } as unknown as MatchEvent;
        const failing = {
          events: [...goals(M1, 1, 3), pending(M1, poisoned)],
          states: [matchState(M2)],
          forget: [M1.matchId],
        };
        await expect((async () => store.commit(failing))()).rejects.toThrow();
        expect((await store.bounds()).latestSeq).toBe(before.latestSeq);
        expect(seqs(await store.readAfter({ since: 0, limit: 10 }))).toEqual([1, 2]);
        expect(await store.loadStates()).toEqual([matchState(M1)]);
        // The store still works, and the failed commit left no hole in the sequence.
        const [next] = await store.commit({ events: goals(M1, 1, 3), states: [], forget: [] });
        expect(next?.seq).toBe(before.latestSeq + 1);
      });
    });

    describe('match book and fencing', () => {
      it('loadBook returns the saved states with the seq they reflect, of the current history when it names one', async () => {
        const { store } = await fresh();
        const empty = await store.loadBook();
        expect({ states: empty.states, seq: empty.seq }).toEqual({ states: [], seq: 0 });
        await store.commit({ events: goals(M1, 2), states: [matchState(M1), matchState(M2)], forget: [] });
        await store.commit({ events: [], states: [matchState(M1, { status: '31' })], forget: [M2.matchId] });
        const book = await store.loadBook();
        expect(book.seq).toBe(2);
        expect(book.states).toEqual([matchState(M1, { status: '31' })]);
        // A store that names the book's history names the one its events are in (Redis does; SQLite has one).
        expect([undefined, (await store.bounds()).epoch]).toContain(book.epoch);
      });

      it('a fenced commit is applied only while its token is the current writer token', async () => {
        const { store } = await fresh();
        await store.claimWriter('writer-a');
        const [first] = await store.commit({ events: goals(M1, 1), states: [matchState(M1)], forget: [], fence: 'writer-a' });
        expect(first?.seq).toBe(1);
        await store.claimWriter('writer-b');
        await expect(
          store.commit({ events: goals(M1, 1, 2), states: [matchState(M1, { status: '99' })], forget: [], fence: 'writer-a' }),
        ).rejects.toBeInstanceOf(FencedError);
        // Nothing of the refused commit is visible, and the sequence has no hole.
        expect((await store.bounds()).latestSeq).toBe(1);
        expect((await store.loadStates())[0]?.status).toBe('30');
        const [next] = await store.commit({ events: goals(M1, 1, 2), states: [], forget: [], fence: 'writer-b' });
        expect(next?.seq).toBe(2);
      });
    });

    describe('meta', () => {
      it('keeps named values across a reopen; unknown keys are undefined; the epoch cannot be overwritten', async () => {
        const where = await location();
        const first = await harness.open(where);
        const { epoch } = await first.bounds();
        expect(await first.getMeta('feed')).toBeUndefined();
        await first.setMeta('feed', 'https://example.test/football/');
        await first.setMeta('feed', 'https://other.test/football/');
        await first.setMeta('epoch', 'not-the-epoch');
        await first.close();
        const second = await open(where);
        expect(await second.getMeta('feed')).toBe('https://other.test/football/');
        expect(await second.getMeta('epoch')).toBe('not-the-epoch');
        expect((await second.bounds()).epoch).toBe(epoch);
      });
    });

    describe('readAfter', () => {
      const seed = async (store: EventStore) => {
        // seq 1..9: M1, M2, M3, M1, M2, M3, M1, M2, M3
        for (let round = 1; round <= 3; round += 1) {
          await store.commit({
            events: [M1, M2, M3].map((m) => pending(m, goalEvent(m, round))),
            states: [],
            forget: [],
          });
        }
      };

      it('returns events strictly after since, in seq order, at most limit', async () => {
        const { store } = await fresh();
        await seed(store);
        expect(seqs(await store.readAfter({ since: 0, limit: 100 }))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(seqs(await store.readAfter({ since: 2, limit: 3 }))).toEqual([3, 4, 5]);
        expect(seqs(await store.readAfter({ since: 8, limit: 3 }))).toEqual([9]);
        expect(seqs(await store.readAfter({ since: 9, limit: 3 }))).toEqual([]);
        expect(seqs(await store.readAfter({ since: 50, limit: 3 }))).toEqual([]);
      });

      it('pages through everything without gaps or repeats', async () => {
        const { store } = await fresh();
        await seed(store);
        const all: number[] = [];
        for (let since = 0; ; ) {
          const page = await store.readAfter({ since, limit: 4 });
          if (page === 'too-old') throw new Error('unexpected too-old');
          all.push(...page.map((e) => e.seq));
          if (page.length < 4) break;
          since = page.at(-1)?.seq ?? since;
        }
        expect(all).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      });

      it('filters by match, league and team (home or away), ids within a list being alternatives', async () => {
        const { store } = await fresh();
        await seed(store);
        const read = (q: Parameters<EventStore['readAfter']>[0]) => store.readAfter(q).then(matchIdsOf);
        expect(await read({ since: 0, limit: 100, matchIds: [M2.matchId] })).toEqual(['1002', '1002', '1002']);
        expect(await read({ since: 0, limit: 100, matchIds: [M1.matchId, M3.matchId] })).toEqual(['1001', '1003', '1001', '1003', '1001', '1003']);
        expect(await read({ since: 0, limit: 100, leagueIds: ['207'] })).toEqual(['1002', '1002', '1002']);
        expect(await read({ since: 0, limit: 100, leagueIds: ['152'] })).toEqual(['1001', '1003', '1001', '1003', '1001', '1003']);
        // Team 44 plays away in M2 and at home in M3.
        expect(await read({ since: 0, limit: 100, teamIds: ['44'] })).toEqual(['1002', '1003', '1002', '1003', '1002', '1003']);
        expect(await read({ since: 0, limit: 100, teamIds: ['22'] })).toEqual(['1001', '1001', '1001']);
        expect(await read({ since: 0, limit: 100, teamIds: ['999'] })).toEqual([]);
        expect(await read({ since: 0, limit: 100, matchIds: ['999'] })).toEqual([]);
        // Empty lists are no filter at all.
        expect(await read({ since: 0, limit: 100, matchIds: [], leagueIds: [], teamIds: [] })).toHaveLength(9);
      });

      it("mode 'any' (the default) returns the union of the lists", async () => {
        const { store } = await fresh();
        await seed(store);
        const read = (q: Parameters<EventStore['readAfter']>[0]) => store.readAfter(q).then(matchIdsOf);
        const union = { since: 0, limit: 100, matchIds: [M1.matchId], leagueIds: ['207'] };
        expect(await read(union)).toEqual(['1001', '1002', '1001', '1002', '1001', '1002']);
        expect(await read({ ...union, mode: 'any' })).toEqual(['1001', '1002', '1001', '1002', '1001', '1002']);
        expect(await read({ since: 0, limit: 100, matchIds: [M1.matchId], teamIds: ['55'] })).toEqual(['1001', '1003', '1001', '1003', '1001', '1003']);
      });

      it("mode 'all' returns only events that match every given list", async () => {
        const { store } = await fresh();
        await seed(store);
        const read = (q: Parameters<EventStore['readAfter']>[0]) => store.readAfter(q).then(matchIdsOf);
        expect(await read({ since: 0, limit: 100, mode: 'all', matchIds: [M1.matchId, M3.matchId], leagueIds: ['152'] })).toEqual([
          '1001',
          '1003',
          '1001',
          '1003',
          '1001',
          '1003',
        ]);
        expect(await read({ since: 0, limit: 100, mode: 'all', matchIds: [M1.matchId], leagueIds: ['207'] })).toEqual([]);
        expect(await read({ since: 0, limit: 100, mode: 'all', teamIds: ['44'], leagueIds: ['152'] })).toEqual(['1003', '1003', '1003']);
        expect(await read({ since: 0, limit: 100, mode: 'all', leagueIds: ['207'] })).toEqual(['1002', '1002', '1002']);
      });

      it('applies since and limit after the filter', async () => {
        const { store } = await fresh();
        await seed(store);
        expect(seqs(await store.readAfter({ since: 0, limit: 2, matchIds: [M3.matchId] }))).toEqual([3, 6]);
        expect(seqs(await store.readAfter({ since: 3, limit: 2, matchIds: [M3.matchId] }))).toEqual([6, 9]);
        expect(seqs(await store.readAfter({ since: 6, limit: 5, leagueIds: ['207'], mode: 'all' }))).toEqual([8]);
      });
    });

    describe('reads asked again and again', () => {
      it('answer the same until something is committed, here or by another store on the same place', async () => {
        const where = await location();
        const writer = await open(where);
        const reader = await open(where);
        // Asked many times with nothing committed: the same answers.
        for (let i = 0; i < 3; i += 1) {
          expect(await reader.bounds()).toMatchObject({ latestSeq: 0, prunedThrough: 0 });
          expect(await reader.readAfter({ since: 0, limit: 10 })).toEqual([]);
        }
        // Another store commits: the next reads see it.
        await writer.commit({ events: goals(M1, 2, 1, iso(Date.now() - 3 * HOUR_MS)), states: [], forget: [] });
        expect(await reader.bounds()).toMatchObject({ latestSeq: 2, prunedThrough: 0 });
        expect(seqs(await reader.readAfter({ since: 0, limit: 10 }))).toEqual([1, 2]);
        expect(seqs(await reader.readAfter({ since: 0, limit: 10 }))).toEqual([1, 2]);
        // This store commits: its own next reads see it, and so do the other's.
        await reader.commit({ events: goals(M2, 1), states: [], forget: [] });
        expect(seqs(await reader.readAfter({ since: 0, limit: 10 }))).toEqual([1, 2, 3]);
        expect((await reader.bounds()).latestSeq).toBe(3);
        expect(seqs(await writer.readAfter({ since: 0, limit: 10 }))).toEqual([1, 2, 3]);
        // A prune by the other store moves the reader's bounds and its 'too-old'.
        expect(await writer.prune(new Date(Date.now() - HOUR_MS))).toBe(2);
        expect(await reader.bounds()).toMatchObject({ latestSeq: 3, prunedThrough: 2 });
        expect(await reader.readAfter({ since: 0, limit: 10 })).toBe('too-old');
      });
    });

    describe('prune', () => {
      it("deletes only events older than the cutoff; reads from before them answer 'too-old'", async () => {
        const { store } = await fresh();
        const now = Date.now();
        const cutoff = new Date(now - HOUR_MS);
        await store.commit({ events: goals(M1, 3, 1, iso(now - 3 * HOUR_MS)), states: [], forget: [] }); // 1..3
        await store.commit({ events: goals(M1, 1, 4, iso(cutoff.getTime())), states: [], forget: [] }); // 4: at the cutoff
        await store.commit({ events: goals(M2, 2, 1, iso(now)), states: [], forget: [] }); // 5..6

        expect(await store.prune(cutoff)).toBe(3);
        expect(await store.bounds()).toMatchObject({ latestSeq: 6, prunedThrough: 3 });
        expect(seqs(await store.readAfter({ since: 3, limit: 10 }))).toEqual([4, 5, 6]);
        expect(await store.readAfter({ since: 2, limit: 10 })).toBe('too-old');
        expect(await store.readAfter({ since: 0, limit: 10 })).toBe('too-old');
        expect(await store.readAfter({ since: 0, limit: 10, matchIds: [M2.matchId] })).toBe('too-old');
        expect(seqs(await store.readAfter({ since: 4, limit: 10 }))).toEqual([5, 6]);

        // Nothing older left: a second prune deletes nothing and moves nothing.
        expect(await store.prune(cutoff)).toBe(0);
        expect((await store.bounds()).prunedThrough).toBe(3);
      });

      it('never reuses a seq, even when everything was pruned, and not after a reopen', async () => {
        const where = await location();
        const store = await open(where);
        await store.commit({ events: goals(M1, 4, 1, iso(Date.now() - 2 * HOUR_MS)), states: [], forget: [] });
        expect(await store.prune(new Date(Date.now() + 1000))).toBe(4);
        expect(await store.bounds()).toMatchObject({ latestSeq: 4, prunedThrough: 4 });
        expect(await store.readAfter({ since: 4, limit: 10 })).toEqual([]);
        const [fifth] = await store.commit({ events: goals(M1, 1, 5), states: [], forget: [] });
        expect(fifth?.seq).toBe(5);

        // Prune everything again and reopen: the history is empty, but its numbering goes on.
        await store.prune(new Date(Date.now() + 60_000));
        await store.close();
        const reopened = await open(where);
        expect(await reopened.bounds()).toMatchObject({ latestSeq: 5, prunedThrough: 5 });
        expect(await reopened.readAfter({ since: 0, limit: 10 })).toBe('too-old');
        const [sixth] = await reopened.commit({ events: goals(M1, 1, 6), states: [], forget: [] });
        expect(sixth?.seq).toBe(6);
        expect(seqs(await reopened.readAfter({ since: 5, limit: 10 }))).toEqual([6]);
      });

      it('deletes states of matches that ended before the cutoff, never live ones', async () => {
        const { store } = await fresh();
        const live = matchState(M1);
        const ended = matchState(M2, { ended: true, status: 'Finished', phase: 'finished' });
        const notStarted = matchState(M3, { started: false, status: '', phase: 'not_started', goals: [], score: { home: 0, away: 0 } });
        await store.commit({ events: [], states: [live, ended, notStarted], forget: [] });

        // The match ended just now: a cutoff in the past keeps it.
        await store.prune(new Date(Date.now() - HOUR_MS));
        expect((await store.loadStates()).sort(byMatchId)).toEqual([live, ended, notStarted]);

        // A cutoff after its end removes it; live and not-started matches stay whatever the cutoff.
        await store.prune(new Date(Date.now() + HOUR_MS));
        expect((await store.loadStates()).sort(byMatchId)).toEqual([live, notStarted]);
      });

      it('counts a match as ended from the first commit that ended it', async () => {
        const { store } = await fresh();
        const ended = matchState(M2, { ended: true, status: 'Finished', phase: 'finished' });
        await store.commit({ events: [], states: [ended], forget: [] });
        const cutoff = new Date(Date.now() + 2);
        // Let the wall clock pass the cutoff (a few ms): the later saves below happen after it.
        while (Date.now() <= cutoff.getTime()) continue;
        // Later saves of the ended state (absence counters) must not move its end forward.
        await store.commit({ events: [], states: [{ ...ended, absentPolls: 1 }], forget: [] });
        await store.commit({ events: [], states: [{ ...ended, absentPolls: 2 }], forget: [] });
        await store.prune(cutoff);
        expect(await store.loadStates()).toEqual([]);
      });

      it('prunes a large backlog completely, in chunks that yield to the event loop', async () => {
        const { store } = await fresh();
        const chunk = harness.pruneChunk ?? 2000;
        const old = iso(Date.now() - 5 * HOUR_MS);
        const total = chunk * 2 + 17;
        for (let from = 1; from <= total; from += 1000) {
          await store.commit({ events: goals(M1, Math.min(1000, total - from + 1), from, old), states: [], forget: [] });
        }
        await store.commit({ events: goals(M2, 2, 1), states: [], forget: [] });
        expect((await store.bounds()).latestSeq).toBe(total + 2);

        // A macrotask queued before the prune must get its turn before a multi-chunk prune ends.
        let otherWorkRan = false;
        setImmediate(() => {
          otherWorkRan = true;
        });
        const deleted = await store.prune(new Date(Date.now() - HOUR_MS));
        expect(otherWorkRan).toBe(true);
        expect(deleted).toBe(total);
        expect(await store.bounds()).toMatchObject({ latestSeq: total + 2, prunedThrough: total });
        expect(seqs(await store.readAfter({ since: total, limit: 10 }))).toEqual([total + 1, total + 2]);
      });
    });

    describe('what is read back is checked', () => {
      it('a malformed match state is left out of loadBook and loadStates, listed as skipped, never fatal; saving the match again replaces it', async () => {
        const { store, where } = await fresh();
        await store.commit({ events: goals(M1, 2), states: [matchState(M1), matchState(M2)], forget: [] });
        const good = JSON.stringify(matchState(M3));
        const damaged: Array<[string, string]> = [
          [M2.matchId, 'not json at all'],
          ['4001', '{}'],
          ['4002', '[]'],
          ['4003', 'null'],
          ['4004', JSON.stringify({ ...matchState(M3, { matchId: '4004' }), goals: [null] })],
          ['4005', JSON.stringify({ ...matchState(M3, { matchId: '4005' }), score: { home: 'x', away: 0 } })],
          // A well-formed state stored under another match's id.
          ['4006', good],
        ];
        for (const [key, raw] of damaged) await harness.writeRawState(where, key, raw);

        const book = await store.loadBook();
        expect(book.seq).toBe(2);
        expect(book.states).toEqual([matchState(M1)]);
        expect((book.skipped ?? []).map((entry) => entry.matchId).sort()).toEqual(damaged.map(([key]) => key).sort());
        for (const entry of book.skipped ?? []) expect(entry.reason.length).toBeGreaterThan(0);
        expect(await store.loadStates()).toEqual([matchState(M1)]);

        // The writer sees M2 afresh and saves it: the damaged entry is replaced, no longer skipped.
        await store.commit({ events: [], states: [matchState(M2)], forget: ['4001', '4002', '4003', '4004', '4005', '4006'] });
        const repaired = await store.loadBook();
        expect(repaired.states).toEqual([matchState(M1), matchState(M2)]);
        expect(repaired.skipped ?? []).toEqual([]);
      });

      it('a damaged counter fails bounds() and readAfter with StoreCorruptError, never a NaN', async () => {
        const { store, where } = await fresh();
        await store.commit({ events: goals(M1, 2), states: [], forget: [] });
        await harness.damagePrunedCounter(where);
        await expect(store.bounds()).rejects.toBeInstanceOf(StoreCorruptError);
        await expect(store.readAfter({ since: 0, limit: 10 })).rejects.toBeInstanceOf(StoreCorruptError);
        await expect(store.bounds()).rejects.toThrow(/pruned.*is not a sequence number/);
      });
    });

    describe('durability', () => {
      it('a reopened store has the same events, states, bounds and epoch', async () => {
        const where = await location();
        const store = await open(where);
        await store.commit({ events: goals(M1, 2, 1, iso(Date.now() - 2 * HOUR_MS)), states: [], forget: [] });
        const kept = await store.commit({ events: goals(M2, 3), states: [matchState(M2)], forget: [] });
        await store.prune(new Date(Date.now() - HOUR_MS));
        const bounds = await store.bounds();
        await store.close();
        await store.close(); // closing twice is harmless

        const reopened = await open(where);
        expect(await reopened.bounds()).toEqual(bounds);
        expect(await reopened.readAfter({ since: bounds.prunedThrough, limit: 10 })).toEqual(kept);
        expect(await reopened.loadStates()).toEqual([matchState(M2)]);
      });

      it('a second instance opened on the same place without closing the first (as after kill -9) reads everything', async () => {
        const where = await location();
        const crashed = await open(where);
        const written = [
          ...(await crashed.commit({ events: goals(M1, 3), states: [matchState(M1)], forget: [] })),
          ...(await crashed.commit({ events: [pending(M3, startedEvent(M3))], states: [matchState(M3)], forget: [] })),
        ];
        const crashedBounds = await crashed.bounds();
        // `crashed` is deliberately not closed before the next instance opens.
        const successor = await open(where);
        expect(await successor.bounds()).toEqual(crashedBounds);
        expect(await successor.readAfter({ since: 0, limit: 100 })).toEqual(written);
        expect((await successor.loadStates()).sort(byMatchId)).toEqual([matchState(M1), matchState(M3)]);
        // And it carries on numbering where the crashed instance stopped.
        const [next] = await successor.commit({ events: goals(M2, 1), states: [], forget: [] });
        expect(next?.seq).toBe(crashedBounds.latestSeq + 1);
      });
    });
  });
}
