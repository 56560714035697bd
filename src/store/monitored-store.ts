/**
 * Makes a store's failures visible. Every call is passed through; failures are counted in
 * `fsc_store_errors_total{operation}` and remembered, so `/health` turns `unhealthy` (with a `store`
 * detail) after consecutive failed commits, other writes or reads — a full disk or a corrupt page
 * must never hide behind a `healthy` answer while events silently stop.
 *
 * Commits are counted on their own: they are what records events, and the writer's other writes
 * (its per-poll meta record) succeeding in between must not reset them. A commit that keeps failing
 * while the meta write succeeds is exactly a history that stopped (an event stream ahead of its
 * counter, say).
 *
 * Match states that a load left out as malformed are reported here too: `fsc_store_skipped_states`
 * and one warning whenever the set of skipped states changes (not at every follower refresh).
 */
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { FencedError, type Commit, type EventQuery, type EventStore, type SkippedState } from './types.js';
import { isCorruption } from './validate.js';

/** Consecutive failures of one kind after which the store counts as failing. */
export const STORE_FAILURES_UNHEALTHY = 3;

/** Skipped states named in one warning (the metric has the count). */
const SKIPPED_LOGGED = 20;

export interface StoreHealth {
  /** Consecutive failed commits, reset only by a successful commit. */
  readonly consecutiveCommitFailures: number;
  /** Consecutive failed other writes (prunes, meta writes, writer claims) and reads, each reset by a success of its kind. */
  readonly consecutiveWriteFailures: number;
  readonly consecutiveReadFailures: number;
  /** Message of the last failure, if any. */
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  /** Some kind failed `STORE_FAILURES_UNHEALTHY` times in a row. */
  readonly failing: boolean;
  /** The last failure says the store's own data is damaged: it fails until an operator repairs it. */
  readonly corrupt: boolean;
  /** Malformed match states left out of the last book load. */
  readonly skippedStates: number;
}

type Kind = 'commit' | 'write' | 'read';

export class MonitoredEventStore implements EventStore {
  private readonly failures: Record<Kind, number> = { commit: 0, write: 0, read: 0 };
  private lastError: string | null = null;
  private lastErrorAt: string | null = null;
  private lastErrorCorrupt = false;
  private skipped: readonly SkippedState[] = [];

  constructor(
    readonly inner: EventStore,
    private readonly metrics?: Metrics,
    private readonly logger?: Logger,
  ) {}

  health(): StoreHealth {
    return {
      consecutiveCommitFailures: this.failures.commit,
      consecutiveWriteFailures: this.failures.write,
      consecutiveReadFailures: this.failures.read,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      failing: Math.max(this.failures.commit, this.failures.write, this.failures.read) >= STORE_FAILURES_UNHEALTHY,
      corrupt: this.lastErrorCorrupt,
      skippedStates: this.skipped.length,
    };
  }

  private async track<T>(kind: Kind, operation: string, run: () => Promise<T>): Promise<T> {
    try {
      const value = await run();
      this.failures[kind] = 0;
      return value;
    } catch (error) {
      // A fenced commit is the store working as designed (a demoted writer), not a failure.
      if (!(error instanceof FencedError)) {
        this.failures[kind] += 1;
        this.lastError = error instanceof Error ? error.message : String(error);
        this.lastErrorAt = new Date().toISOString();
        this.lastErrorCorrupt = isCorruption(error);
        this.metrics?.storeErrors.inc({ operation });
      }
      throw error;
    }
  }

  private noteSkipped(skipped: readonly SkippedState[] | undefined): void {
    const now = skipped ?? [];
    this.metrics?.storeSkippedStates.set(now.length);
    const key = (list: readonly SkippedState[]) => list.map((entry) => entry.matchId).join('\u0000');
    if (key(now) === key(this.skipped)) return;
    this.skipped = now;
    if (now.length === 0) {
      this.logger?.info('no malformed match state left in the store');
      return;
    }
    this.logger?.warn(
      {
        skipped: now.length,
        states: now.slice(0, SKIPPED_LOGGED).map((entry) => ({ match_id: entry.matchId.slice(0, 64), reason: entry.reason })),
      },
      'malformed match states in the store were left out of the match book; the writer sees those matches afresh at its next poll',
    );
  }

  bounds() {
    return this.track('read', 'bounds', () => this.inner.bounds());
  }
  async commit(commit: Commit) {
    const stored = await this.track('commit', 'commit', () => this.inner.commit(commit));
    if (this.skipped.length > 0) {
      // The writer saved (or forgot) a match whose stored state was malformed: that entry is gone.
      const replaced = new Set([...commit.states.map((state) => state.matchId), ...commit.forget]);
      if (this.skipped.some((entry) => replaced.has(entry.matchId))) this.noteSkipped(this.skipped.filter((entry) => !replaced.has(entry.matchId)));
    }
    return stored;
  }
  readAfter(query: EventQuery) {
    return this.track('read', 'read', () => this.inner.readAfter(query));
  }
  loadStates() {
    return this.track('read', 'load_states', () => this.inner.loadStates());
  }
  async loadBook() {
    const book = await this.track('read', 'load_states', () => this.inner.loadBook());
    this.noteSkipped(book.skipped);
    return book;
  }
  claimWriter(fence: string) {
    return this.track('write', 'claim_writer', () => this.inner.claimWriter(fence));
  }
  getMeta(key: string) {
    return this.track('read', 'meta', () => this.inner.getMeta(key));
  }
  setMeta(key: string, value: string) {
    return this.track('write', 'meta', () => this.inner.setMeta(key, value));
  }
  prune(before: Date) {
    return this.track('write', 'prune', () => this.inner.prune(before));
  }
  close() {
    return this.inner.close();
  }
}
