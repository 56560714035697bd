/**
 * A real `EventStore` in memory, for tests and tools that need speed rather than durability. It
 * passes the same contract suite as the SQLite and Redis stores (test/contract/memory-store.test.ts):
 * consecutive seqs never handed out twice, exact wire JSON, atomic commits, fencing, filtered reads
 * (`eventFilter`), `'too-old'` once pruned, pruning in chunks that yield, and checked read-back.
 *
 * The history lives in a `MemoryHistory`, which several stores may open (as a reopened file or a
 * second process would): pass the same one to see the same history. Values the store keeps for
 * itself are held as the text a real store would read back, so a test can damage them.
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { eventFilter } from '../domain/event-filter.js';
import { recordEvent, type StoredEvent } from '../domain/events.js';
import type { MatchState } from '../domain/match.js';
import { FencedError, type Commit, type EventQuery, type EventStore, type HistoryBounds, type MatchBookSnapshot } from './types.js';
import { parseCounter, parseMatchStates } from './validate.js';

/** Events removed per pruning step before yielding to the event loop (as the SQLite store). */
const PRUNE_CHUNK = 2_000;

/** One history: what a database file or a Redis key prefix holds. */
export class MemoryHistory {
  readonly epoch = randomUUID();
  /** Retained events, in seq order. */
  readonly events: StoredEvent[] = [];
  /** Newest seq ever assigned (never reused, not after pruning). */
  latestSeq = 0;
  /** Every event above this seq is retained; text, as a store reads it back. */
  prunedThrough = '0';
  /** Match id → the state's JSON and when it was first saved ended (ms). */
  readonly states = new Map<string, { json: string; endedAt: number | undefined }>();
  readonly meta = new Map<string, string>();
  fence: string | undefined = undefined;
}

export class MemoryEventStore implements EventStore {
  constructor(readonly history: MemoryHistory = new MemoryHistory()) {}

  bounds(): Promise<HistoryBounds> {
    return this.run(() => ({ epoch: this.history.epoch, latestSeq: this.history.latestSeq, prunedThrough: this.prunedThrough() }));
  }

  commit(commit: Commit): Promise<StoredEvent[]> {
    return this.run(() => {
      const { history } = this;
      if (commit.fence !== undefined && history.fence !== commit.fence) throw new FencedError();
      // Everything is serialised before anything changes: a commit that fails part-way leaves nothing.
      const records = commit.events.map((pending, i) => recordEvent(pending.event, history.latestSeq + 1 + i, pending.timestamp, pending));
      const states = commit.states.map((state) => ({ state, json: JSON.stringify(state) }));
      const now = Date.now();
      history.events.push(...records);
      history.latestSeq += records.length;
      for (const { state, json } of states) {
        const endedAt = history.states.get(state.matchId)?.endedAt ?? (state.ended ? now : undefined);
        history.states.set(state.matchId, { json, endedAt });
      }
      for (const matchId of commit.forget) history.states.delete(matchId);
      return records;
    });
  }

  readAfter(query: EventQuery): Promise<StoredEvent[] | 'too-old'> {
    return this.run(() => {
      if (query.since < this.prunedThrough()) return 'too-old';
      const keep = eventFilter(query);
      const { events } = this.history;
      const out: StoredEvent[] = [];
      for (let i = firstAfter(events, query.since); i < events.length && out.length < query.limit; i += 1) {
        const event = events[i] as StoredEvent;
        if (keep(event)) out.push(event);
      }
      return out;
    });
  }

  loadStates(): Promise<MatchState[]> {
    return this.run(() => this.readStates().states);
  }

  loadBook(): Promise<MatchBookSnapshot> {
    return this.run(() => {
      const { states, skipped } = this.readStates();
      return { states, seq: this.history.latestSeq, ...(skipped.length > 0 ? { skipped } : {}) };
    });
  }

  claimWriter(fence: string): Promise<void> {
    this.history.fence = fence;
    return Promise.resolve();
  }

  getMeta(key: string): Promise<string | undefined> {
    return Promise.resolve(this.history.meta.get(key));
  }

  setMeta(key: string, value: string): Promise<void> {
    this.history.meta.set(key, value);
    return Promise.resolve();
  }

  async prune(before: Date): Promise<number> {
    const cutoff = before.toISOString();
    const { history } = this;
    let deleted = 0;
    for (;;) {
      // From the front while older than the cutoff, so every event above prunedThrough is retained.
      let removed = 0;
      while (removed < PRUNE_CHUNK && removed < history.events.length && (history.events[removed] as StoredEvent).timestamp < cutoff) removed += 1;
      const highest = removed > 0 ? (history.events[removed - 1] as StoredEvent).seq : 0;
      history.events.splice(0, removed);
      if (highest > this.prunedThrough()) history.prunedThrough = String(highest);
      deleted += removed;
      if (removed < PRUNE_CHUNK) break;
      // Yield between chunks so a large backlog never stalls fan-out.
      await yieldToEventLoop();
    }
    for (const [matchId, { endedAt }] of history.states) {
      if (endedAt !== undefined && endedAt < before.getTime()) history.states.delete(matchId);
    }
    return deleted;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private prunedThrough(): number {
    return parseCounter(this.history.prunedThrough, 'memory prunedThrough');
  }

  private readStates(): ReturnType<typeof parseMatchStates> {
    return parseMatchStates([...this.history.states].map(([matchId, { json }]) => [matchId, json] as const));
  }

  /** Runs a synchronous step as the asynchronous store call it stands for (a throw is a rejection). */
  private run<T>(step: () => T): Promise<T> {
    try {
      return Promise.resolve(step());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/** Index of the first event with a seq above `since` (events are in seq order). */
function firstAfter(events: readonly StoredEvent[], since: number): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((events[middle] as StoredEvent).seq <= since) low = middle + 1;
    else high = middle;
  }
  return low;
}
