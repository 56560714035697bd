/**
 * The contract every `EventBus` transport must pass (local, ipc, redis), as a function: a transport's
 * test file calls `busContract(name, harness)` with a harness that opens one writer and one or more
 * buses over one history. Nothing here knows the transport.
 *
 * What the fan-out relies on, and so what is checked: every committed event reaches every subscriber
 * of every bus once, in `seq` order, with no gap, from the position it subscribed from (what was
 * committed before it is caught up on at once); a commit that
 * changed only match states reaches every subscriber as a batch with `statesChanged`; several
 * subscribers are independent; an unsubscribed one gets nothing more.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CommittedBatch, EventBus } from '../../src/bus/types.js';
import type { GoalScoredEvent, StoredEvent } from '../../src/domain/events.js';
import type { MatchState } from '../../src/domain/match.js';
import type { Commit, EventStore, PendingEvent } from '../../src/store/types.js';

export interface BusFixture {
  /** The buses under test (one per process or node), all over the same history; at least one. */
  readonly buses: readonly EventBus[];
  /** The epoch of that history (subscriptions start from positions in it). */
  readonly epoch: string;
  /** What the writer does: commits to its store and publishes the batch on its bus. */
  commit(commit: Commit): Promise<CommittedBatch>;
  /** Closes every bus and store and removes what the fixture made. */
  close(): Promise<void>;
}

export interface BusHarness {
  open(): Promise<BusFixture>;
}

/** How long a subscriber may take to see a committed event (a bound, not a speed expectation). */
const DELIVERY_TIMEOUT_MS = 10_000;

let goalNumber = 0;
/** `count` goals of one match, numbered on from the last ones made. */
export function goals(count: number, matchId = '501'): PendingEvent[] {
  return Array.from({ length: count }, () => {
    goalNumber += 1;
    const event: GoalScoredEvent = {
      type: 'GOAL_SCORED',
      match_id: matchId,
      minute: String(goalNumber % 90),
      scorer: `Scorer ${goalNumber}`,
      team: 'home',
      score: `${goalNumber}-0`,
      home_team: 'Home',
      away_team: 'Away',
      league_id: '152',
      assist: null,
      penalty: false,
      own_goal: false,
      event_id: `${matchId}:goal:${goalNumber}`,
    };
    return { event, timestamp: new Date().toISOString(), homeTeamKey: '10', awayTeamKey: '20' };
  });
}

function state(matchId: string, status: string): MatchState {
  return {
    matchId,
    homeTeam: 'Home',
    awayTeam: 'Away',
    homeTeamKey: '10',
    awayTeamKey: '20',
    leagueId: '152',
    league: 'League',
    country: 'England',
    startTime: '2025-05-17 15:00',
    status,
    phase: 'first_half',
    started: true,
    ended: false,
    score: { home: 0, away: 0 },
    halftimeScore: null,
    penaltyScore: null,
    goals: [],
    cards: [],
    substitutions: [],
    absentPolls: 0,
    scoreRevision: 0,
    phaseHistory: ['first_half'],
    retiredEventIds: [],
  };
}

/** What the writer does: commit, then publish the batch. */
export async function commitAndPublish(store: EventStore, publish: (batch: CommittedBatch) => void, commit: Commit): Promise<CommittedBatch> {
  const events = await store.commit(commit);
  const seq = events.at(-1)?.seq ?? (await store.bounds()).latestSeq;
  const batch = { events, seq, statesChanged: commit.states.length + commit.forget.length > 0 };
  publish(batch);
  return batch;
}

const commitOf = (events: PendingEvent[], states: MatchState[] = []): Commit => ({ events, states, forget: [] });

/** A subscriber that records what it is given and waits, with a deadline, for a seq. */
export class Recorder {
  readonly batches: CommittedBatch[] = [];
  private readonly waiters = new Set<() => void>();
  readonly onBatch = (batch: CommittedBatch): void => {
    this.batches.push(batch);
    for (const wake of this.waiters) wake();
  };

  get events(): StoredEvent[] {
    return this.batches.flatMap((b) => [...b.events]);
  }

  get seqs(): number[] {
    return this.events.map((e) => e.seq);
  }

  /** Resolves once a batch satisfying `predicate` arrived; rejects after the deadline. */
  until(predicate: (batch: CommittedBatch) => boolean, what: string, timeoutMs = DELIVERY_TIMEOUT_MS): Promise<void> {
    if (this.batches.some(predicate)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = () => {
        if (!this.batches.some(predicate)) return;
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`timed out waiting for ${what}; got seqs [${this.seqs.join(',')}]`));
      }, timeoutMs);
      this.waiters.add(wake);
    });
  }

  untilSeq(seq: number): Promise<void> {
    return this.until((b) => b.events.some((e) => e.seq >= seq), `seq ${seq}`);
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export function busContract(name: string, harness: BusHarness): void {
  describe(`EventBus contract: ${name}`, () => {
    const fixtures: BusFixture[] = [];
    const unsubscribes: Array<() => void> = [];
    const open = async () => {
      const fixture = await harness.open();
      fixtures.push(fixture);
      epoch = fixture.epoch;
      return fixture;
    };
    let epoch = '';
    const subscribe = (bus: EventBus, fromSeq: number): Recorder => {
      const recorder = new Recorder();
      unsubscribes.push(bus.subscribe({ epoch, seq: fromSeq }, recorder.onBatch));
      return recorder;
    };
    afterEach(async () => {
      for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
      for (const fixture of fixtures.splice(0)) await fixture.close();
    });

    it('delivers every committed event to every bus once, in seq order, with the exact stored JSON', async () => {
      const fixture = await open();
      const recorders = fixture.buses.map((bus) => subscribe(bus, 0));
      const committed: StoredEvent[] = [];
      for (const size of [1, 3, 5, 2, 7]) committed.push(...(await fixture.commit(commitOf(goals(size)))).events);
      expect(committed.map((e) => e.seq)).toEqual(range(1, 18));
      for (const recorder of recorders) {
        await recorder.untilSeq(18);
        expect(recorder.seqs).toEqual(range(1, 18));
        expect(recorder.events.map((e) => e.json)).toEqual(committed.map((e) => e.json));
        // A batch's seq is the newest seq it brings.
        for (const batch of recorder.batches) if (batch.events.length > 0) expect(batch.seq).toBe(batch.events.at(-1)?.seq);
      }
    });

    it('subscribing from a seq delivers exactly the events after it, then the live ones', async () => {
      const fixture = await open();
      await fixture.commit(commitOf(goals(4)));
      await fixture.commit(commitOf(goals(2)));
      const recorders = fixture.buses.map((bus) => subscribe(bus, 4));
      await fixture.commit(commitOf(goals(3)));
      for (const recorder of recorders) {
        await recorder.untilSeq(9);
        expect(recorder.seqs).toEqual(range(5, 9));
      }
    });

    it('subscribing from behind catches up on what was committed before, without waiting for the next commit', async () => {
      const fixture = await open();
      await fixture.commit(commitOf(goals(5)));
      await fixture.commit(commitOf(goals(3)));
      const recorders = fixture.buses.map((bus) => subscribe(bus, 2));
      for (const recorder of recorders) {
        await recorder.untilSeq(8);
        expect(recorder.seqs).toEqual(range(3, 8));
      }
    });

    it('several subscribers on each bus get identical, independent streams', async () => {
      const fixture = await open();
      const recorders = fixture.buses.flatMap((bus) => [subscribe(bus, 0), subscribe(bus, 0), subscribe(bus, 0)]);
      for (let i = 0; i < 10; i += 1) await fixture.commit(commitOf(goals(1 + (i % 3))));
      for (const recorder of recorders) await recorder.untilSeq(19);
      for (const recorder of recorders) expect(recorder.seqs).toEqual(range(1, 19));
    });

    it('a commit of match states only reaches every subscriber as a batch with statesChanged at its seq', async () => {
      const fixture = await open();
      const recorders = fixture.buses.map((bus) => subscribe(bus, 0));
      await fixture.commit(commitOf(goals(2)));
      const statesOnly = await fixture.commit(commitOf([], [state('501', '31')]));
      expect(statesOnly).toMatchObject({ events: [], seq: 2, statesChanged: true });
      await fixture.commit(commitOf(goals(1)));
      for (const recorder of recorders) {
        await recorder.untilSeq(3);
        expect(recorder.seqs).toEqual([1, 2, 3]);
        expect(recorder.batches.some((b) => b.statesChanged && b.seq === 2)).toBe(true);
        // The later commit changed no state: the batch bringing its event says so.
        expect(recorder.batches.find((b) => b.events.some((e) => e.seq === 3))?.statesChanged).toBe(false);
      }
    });

    it('an unsubscribed subscriber gets nothing more; the others carry on', async () => {
      const fixture = await open();
      const bus = fixture.buses[0];
      if (bus === undefined) throw new Error('the harness opened no bus');
      const quitter = new Recorder();
      let unsubscribe: () => void = () => undefined;
      unsubscribe = bus.subscribe({ epoch: fixture.epoch, seq: 0 }, (batch) => {
        quitter.onBatch(batch);
        if (batch.events.some((e) => e.seq >= 2)) unsubscribe();
      });
      const stayer = subscribe(bus, 0);
      await fixture.commit(commitOf(goals(2)));
      await quitter.untilSeq(2);
      const received = quitter.seqs.length;
      for (let i = 0; i < 5; i += 1) await fixture.commit(commitOf(goals(2)));
      await stayer.untilSeq(12);
      expect(stayer.seqs).toEqual(range(1, 12));
      expect(quitter.seqs).toHaveLength(received);
      expect(Math.max(...quitter.seqs)).toBeLessThanOrEqual(2);
      unsubscribe(); // twice is harmless
    });
  });
}
