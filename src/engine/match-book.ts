/**
 * The followed matches' states and the `seq` they reflect: what snapshots, `/matches` and the
 * detector read. In the writer process the `Ingestor` is its only writer; in a process that does
 * not write (a follower node, a worker that does not poll) it is a copy refreshed from the store.
 */
import type { Routing } from '../domain/event-filter.js';
import type { MatchState } from '../domain/match.js';
import { isLive, matchView, type MatchView } from '../domain/views.js';
import type { Metrics } from '../metrics.js';
import type { MatchBookSnapshot } from '../store/types.js';

/**
 * What the hub (as its `SnapshotSource`, src/hub/replay.ts) and the REST routes read: live matches,
 * one match, and the history they are of.
 */
export class MatchBook {
  private readonly states = new Map<string, MatchState>();
  /** Serialised form of each state as last saved, to write only states that changed. */
  private readonly saved = new Map<string, string>();
  /** When each ended match ended (ms), so it is forgotten after the retention period. */
  private readonly endedAt = new Map<string, number>();
  /** Newest `seq` the states reflect. */
  seq = 0;
  /**
   * The history `seq` counts in, as the store said when the book was loaded (`undefined`: the store
   * does not say, or names none yet: an empty book). A process reading a shared store may serve
   * clients of a new history before it has noticed the change: its book is then of another history,
   * and no SNAPSHOT may be cut from it.
   */
  epoch: string | undefined = undefined;

  constructor(private readonly metrics?: Metrics) {}

  /** Replaces the whole book with what the store holds (start-up, promotion, a follower's refresh). */
  load(book: MatchBookSnapshot, now = Date.now()): void {
    const endedBefore = new Map(this.endedAt);
    this.states.clear();
    this.saved.clear();
    this.endedAt.clear();
    for (const state of book.states) {
      this.states.set(state.matchId, state);
      this.saved.set(state.matchId, JSON.stringify(state));
      if (state.ended) this.endedAt.set(state.matchId, endedBefore.get(state.matchId) ?? now);
    }
    this.seq = book.seq;
    this.epoch = book.epoch ?? undefined;
    this.updateGauge();
  }

  get(matchId: string): MatchState | undefined {
    return this.states.get(matchId);
  }

  values(): IterableIterator<MatchState> {
    return this.states.values();
  }

  /** The state serialised as last saved, or undefined: the ingestor writes only what changed. */
  savedJson(matchId: string): string | undefined {
    return this.saved.get(matchId);
  }

  /** Applies a commit that the store accepted. */
  apply(states: ReadonlyArray<{ state: MatchState; json: string }>, forget: readonly string[], seq: number, now = Date.now()): void {
    for (const { state, json } of states) {
      if (state.ended && !this.endedAt.has(state.matchId)) this.endedAt.set(state.matchId, now);
      this.states.set(state.matchId, state);
      this.saved.set(state.matchId, json);
    }
    for (const matchId of forget) this.forget(matchId);
    this.seq = Math.max(this.seq, seq);
    this.updateGauge();
  }

  forget(matchId: string): void {
    this.states.delete(matchId);
    this.saved.delete(matchId);
    this.endedAt.delete(matchId);
  }

  /** Forgets matches that ended more than `retentionMs` ago. */
  forgetEndedBefore(retentionMs: number, now = Date.now()): void {
    for (const [matchId, endedAt] of this.endedAt) {
      if (now - endedAt > retentionMs) this.forget(matchId);
    }
  }

  get liveCount(): number {
    let live = 0;
    for (const state of this.states.values()) if (isLive(state)) live += 1;
    return live;
  }

  /** A listed match has not kicked off yet: poll at the live cadence so its start is seen on time. */
  get kickOffPending(): boolean {
    for (const state of this.states.values()) if (!state.started && !state.ended) return true;
    return false;
  }

  /** Live matches that pass `accepts`, the newest `seq` their state reflects and the history it is of. */
  snapshot(accepts: (match: Routing) => boolean): { epoch: string | undefined; seq: number; matches: MatchView[] } {
    const matches: MatchView[] = [];
    for (const state of this.states.values()) {
      if (isLive(state) && accepts(state)) matches.push(matchView(state));
    }
    matches.sort((a, b) => a.start_time.localeCompare(b.start_time) || a.match_id.localeCompare(b.match_id));
    return { epoch: this.epoch, seq: this.seq, matches };
  }

  match(matchId: string): MatchState | undefined {
    return this.states.get(matchId);
  }

  private updateGauge(): void {
    this.metrics?.liveMatches.set(this.liveCount);
  }
}
