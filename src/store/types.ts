/**
 * The durable store: an append-only event log with sequence numbers, and the last known state of
 * every followed match. Small on purpose, so a Redis implementation writes the same few methods;
 * `test/contract/store.contract.ts` holds the suite every implementation must pass.
 */
import type { EventFilter } from '../domain/event-filter.js';
import type { MatchEvent, StoredEvent } from '../domain/events.js';
import type { MatchState } from '../domain/match.js';
import type { SkippedState } from './validate.js';

export type { SkippedState } from './validate.js';

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
  /**
   * Fencing token of the writer: when given, the commit is applied only if it is still the store's
   * current writer token (see `claimWriter`), atomically with the write; otherwise it rejects with
   * `FencedError` and changes nothing. A writer that was paused or cut off can never write again.
   */
  readonly fence?: string;
}

/** Defined in the error catalogue (src/errors.ts). */
export { FencedError } from '../errors.js';

/** Match states and the newest `seq` they reflect, read in one consistent step. */
export interface MatchBookSnapshot {
  readonly states: readonly MatchState[];
  readonly seq: number;
  /**
   * The history these states and `seq` belong to, read with them (a store that can change history
   * under a running process, Redis, says; `null`: none named yet, an empty book). Absent: the store
   * does not say, and the book is taken as the current history's.
   */
  readonly epoch?: string | null;
  /**
   * Stored states that are not well-formed match states, left out of `states` (absent: none). The
   * reader reports them; the writer's next poll sees those matches afresh and saves them again.
   */
  readonly skipped?: readonly SkippedState[];
}

/** Which events to read: those after `since` that pass the filter (`eventFilter`, src/domain/event-filter.ts). */
export interface EventQuery extends EventFilter {
  /** Events with `seq` strictly greater than this. */
  readonly since: number;
  readonly limit: number;
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
  /**
   * The history's identity and extent. A read: it writes nothing once the history exists (Redis at
   * `maxmemory` refuses writes, and reads must go on). A damaged counter rejects with `StoreCorruptError`.
   */
  bounds(): Promise<HistoryBounds>;
  /** Appends the events (assigning consecutive `seq`s) and saves the states in one atomic step. */
  commit(commit: Commit): Promise<StoredEvent[]>;
  /** Events after `query.since` in order, or `'too-old'` when some of them were pruned. */
  readAfter(query: EventQuery): Promise<StoredEvent[] | 'too-old'>;
  /** The saved state of every followed match, sorted by match id; malformed ones are left out (see `loadBook`). */
  loadStates(): Promise<MatchState[]>;
  /**
   * The saved states and the newest `seq`, read atomically (a follower's copy of the match book).
   * A malformed state is left out and listed in `skipped`, never fatal; a damaged counter rejects
   * with `StoreCorruptError`.
   */
  loadBook(): Promise<MatchBookSnapshot>;
  /**
   * Makes `fence` the current writer token: commits carrying any other token are refused from now
   * on (commits without a token are not checked). On Redis the token is the leader lease's value,
   * so taking the lease claims the writer too.
   */
  claimWriter(fence: string): Promise<void>;
  /** A small named value kept with the history (which upstream the states came from, the simulator's clock). */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /** Deletes events older than `before` and states of matches ended before it; returns events deleted. */
  prune(before: Date): Promise<number>;
  close(): Promise<void>;
}
