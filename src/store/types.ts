/**
 * The durable store: an append-only event log with sequence numbers, and the last known state of
 * every followed match. Small on purpose, so a Redis implementation writes the same few methods;
 * `test/contract/store.contract.ts` holds the suite every implementation must pass.
 */
import type { MatchEvent, StoredEvent } from '../domain/events.js';
import type { MatchState } from '../domain/match.js';

/** An event detected in this poll, before it has a sequence number. */
export interface PendingEvent {
  readonly event: MatchEvent;
  /** ISO 8601 UTC. */
  readonly timestamp: string;
  readonly homeTeamKey: string;
  readonly awayTeamKey: string;
}

/** One poll's changes, applied atomically: events appended, states saved, matches forgotten. */
export interface Commit {
  readonly events: readonly PendingEvent[];
  readonly states: readonly MatchState[];
  readonly forget: readonly string[];
}

/** Which events to read. Ids within a list are alternatives. */
export interface EventQuery {
  /** Events with `seq` strictly greater than this. */
  readonly since: number;
  readonly limit: number;
  readonly matchIds?: readonly string[];
  readonly leagueIds?: readonly string[];
  readonly teamIds?: readonly string[];
  /** `any`: an event matching any list is returned (subscriptions); `all`: it must match every given list (REST). @default 'any' */
  readonly mode?: 'any' | 'all';
}

export interface HistoryBounds {
  /** Identifies this history; a new store (or a reset one) has a new epoch. */
  readonly epoch: string;
  /** Newest sequence number (0 when nothing was ever recorded). */
  readonly latestSeq: number;
  /** Every event with a `seq` above this is still retained. */
  readonly prunedThrough: number;
}

export interface EventStore {
  bounds(): Promise<HistoryBounds>;
  /** Appends the events (assigning consecutive `seq`s) and saves the states in one atomic step. */
  commit(commit: Commit): Promise<StoredEvent[]>;
  /** Events after `query.since` in order, or `'too-old'` when some of them were pruned. */
  readAfter(query: EventQuery): Promise<StoredEvent[] | 'too-old'>;
  /** The saved state of every followed match. */
  loadStates(): Promise<MatchState[]>;
  /** A small named value kept with the history (which upstream the states came from, the simulator's clock). */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /** Deletes events older than `before` and states of matches ended before it; returns events deleted. */
  prune(before: Date): Promise<number>;
  close(): Promise<void>;
}
