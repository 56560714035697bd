/**
 * The scale-out store: the same history as the SQLite store, kept in Redis so every node reads and
 * resumes from it. The ioredis client is passed in (the caller owns its connection and options).
 *
 * The key schema, the stream entries and the Lua scripts are in `redis-keys.ts` (the bus and the
 * leader lease use them too).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { StoredEvent } from '../domain/events.js';
import { eventFilter } from '../domain/event-filter.js';
import type { MatchState } from '../domain/match.js';
import { StoreClosedError, StoreUnavailableError } from '../errors.js';
import {
  COMMIT_LUA,
  defineScript,
  FENCED_REPLY,
  HEAD_LUA,
  headFromReply,
  LOAD_BOOK_LUA,
  parseStreamEntry,
  PRUNE_LUA,
  PRUNE_STATES_LUA,
  READ_PAGE_LUA,
  redisKeys,
  type InvalidEntry,
  type RedisKeys,
  type RedisScript,
} from './redis-keys.js';
import { FencedError, type Commit, type EventQuery, type EventStore, type HistoryBounds, type MatchBookSnapshot } from './types.js';
import { parseCounter, parseEpoch, parseMatchStates } from './validate.js';

export type { InvalidEntry } from './redis-keys.js';

/** Events removed per pruning step (one short Lua call each, so Redis is never held for long). */
const PRUNE_CHUNK = 2_000;

/** Defined in the error catalogue (src/errors.ts). */
export { StoreClosedError, StoreUnavailableError };

export interface RedisStoreOptions {
  /** A connected (or connecting) ioredis client; the store never creates or closes it. */
  readonly redis: Redis;
  /** Prefix of every key (`REDIS_PREFIX`, see `DEFAULT_REDIS_PREFIX` in config.ts). */
  readonly prefix: string;
  /** Told of every stream entry a read left out because it is not a valid event (metrics, log). */
  readonly onInvalidEntry?: (entry: InvalidEntry) => void;
}

type XRangeReply = Array<[id: string, fields: string[]]>;

export class RedisEventStore implements EventStore {
  readonly keys: RedisKeys;
  private readonly redis: Redis;
  private readonly commitScript: RedisScript;
  private readonly pruneScript: RedisScript;
  private readonly pruneStatesScript: RedisScript;
  private readonly headScript: RedisScript;
  private readonly readPageScript: RedisScript;
  private readonly loadBookScript: RedisScript;
  private closed = false;

  constructor(private readonly options: RedisStoreOptions) {
    this.redis = options.redis;
    this.keys = redisKeys(options.prefix);
    this.commitScript = defineScript(this.redis, 'fscStoreCommit', COMMIT_LUA);
    this.pruneScript = defineScript(this.redis, 'fscStorePrune', PRUNE_LUA);
    this.pruneStatesScript = defineScript(this.redis, 'fscStorePruneStates', PRUNE_STATES_LUA);
    this.headScript = defineScript(this.redis, 'fscStoreHead', HEAD_LUA);
    this.readPageScript = defineScript(this.redis, 'fscStoreReadPage', READ_PAGE_LUA);
    this.loadBookScript = defineScript(this.redis, 'fscStoreLoadBook', LOAD_BOOK_LUA);
  }

  private open(): void {
    if (this.closed) throw new StoreClosedError();
  }

  async bounds(): Promise<HistoryBounds> {
    this.open();
    const head = headFromReply(await this.headScript([this.keys.epoch, this.keys.head], []), this.keys);
    const latestSeq = head.seq;
    const prunedThrough = head.pruned;
    // A read writes nothing while the history has its identity: Redis at maxmemory refuses every
    // write (SET included, even one that would change nothing), and reads must go on there.
    if (head.epoch !== null) return { epoch: head.epoch, latestSeq, prunedThrough };
    // No epoch: a new (or emptied) Redis. Whoever notices first names the history, once.
    const candidate = randomUUID();
    const existing = (await this.redis.set(this.keys.epoch, candidate, 'NX', 'GET')) as string | null;
    return { epoch: existing === null ? candidate : parseEpoch(existing, this.keys.epoch), latestSeq, prunedThrough };
  }

  async commit(commit: Commit): Promise<StoredEvent[]> {
    this.open();
    // Serialised before anything is sent: an event that cannot be serialised fails the commit whole.
    const heads = commit.events.map((pending) => JSON.stringify({ ...pending.event, timestamp: pending.timestamp }).slice(0, -1));
    const args: Array<string | number> = [
      commit.fence === undefined ? '0' : '1',
      commit.fence ?? '',
      randomUUID(),
      // Makes a commit that ioredis resends after a reconnect (reply lost, command applied) idempotent.
      randomUUID(),
      Date.now(),
      commit.events.length,
      commit.states.length,
      commit.forget.length,
    ];
    commit.events.forEach((pending, i) => {
      const { event } = pending;
      args.push(event.event_id, event.type, event.match_id, event.league_id, pending.homeTeamKey, pending.awayTeamKey, pending.timestamp, heads[i] ?? '');
    });
    for (const state of commit.states) args.push(state.matchId, JSON.stringify(state), state.ended ? '1' : '0');
    args.push(...commit.forget);
    // Fail fast instead of letting the offline queue apply this commit late, after an outage,
    // while the writer has long moved on (it re-detects against the stored states instead).
    if (this.redis.status !== 'ready') {
      throw new StoreUnavailableError(`commit refused: Redis is not connected (connection ${this.redis.status})`);
    }
    let reply: unknown;
    try {
      reply = await this.commitScript(
        [this.keys.epoch, this.keys.head, this.keys.events, this.keys.states, this.keys.ended, this.keys.leader],
        args,
      );
    } catch (error) {
      if (error instanceof Error && error.message.startsWith(FENCED_REPLY)) throw new FencedError();
      throw error;
    }
    const first = Number((reply as [number, number])[0]);
    return commit.events.map((pending, i) => {
      const seq = first + i;
      return {
        seq,
        eventId: pending.event.event_id,
        type: pending.event.type,
        matchId: pending.event.match_id,
        leagueId: pending.event.league_id,
        homeTeamKey: pending.homeTeamKey,
        awayTeamKey: pending.awayTeamKey,
        timestamp: pending.timestamp,
        json: `${heads[i] ?? ''},"seq":${seq}}`,
      };
    });
  }

  async readAfter(query: EventQuery): Promise<StoredEvent[] | 'too-old'> {
    this.open();
    const keep = eventFilter(query);
    const out: StoredEvent[] = [];
    const pageSize = Math.min(Math.max(query.limit + 16, 128), 2_000);
    let start = `${query.since + 1}-0`;
    let epoch: string | null | undefined;
    for (;;) {
      // Each page is read with prunedThrough and the epoch in one MULTI: a prune (or a Redis that came
      // back empty) between pages is seen, never silently skipped over.
      const reply = (await this.readPageScript([this.keys.epoch, this.keys.events, this.keys.head], [start, pageSize])) as [
        string | null,
        XRangeReply,
        string | null,
        string | null,
      ];
      const [pageEpoch, entries] = reply;
      if (epoch === undefined) epoch = pageEpoch;
      else if (pageEpoch !== epoch) return 'too-old';
      const headSeq = parseCounter(reply[2], `${this.keys.head} seq`);
      if (query.since < parseCounter(reply[3], `${this.keys.head} pruned`)) return 'too-old';
      for (const [id, fields] of entries) {
        const entry = parseStreamEntry(id, fields, headSeq);
        if (entry.kind === 'invalid') {
          this.options.onInvalidEntry?.({ id, reason: entry.reason });
          continue;
        }
        if (entry.kind !== 'event' || !keep(entry.event)) continue;
        out.push(entry.event);
        if (out.length >= query.limit) return out;
      }
      const last = entries.at(-1);
      if (entries.length < pageSize || last === undefined) return out;
      start = `(${last[0]}`;
    }
  }

  async loadStates(): Promise<MatchState[]> {
    this.open();
    return parseMatchStates(Object.entries(await this.redis.hgetall(this.keys.states))).states;
  }

  async loadBook(): Promise<MatchBookSnapshot> {
    this.open();
    // The epoch in the same script: the states and seq are known to be of that history.
    const [flat, seq, epoch] = (await this.loadBookScript([this.keys.states, this.keys.head, this.keys.epoch], [])) as [string[], string | null, string | null | undefined];
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([String(flat[i]), String(flat[i + 1])]);
    const { states, skipped } = parseMatchStates(pairs);
    return {
      states,
      seq: parseCounter(seq, `${this.keys.head} seq`),
      epoch: epoch === null || epoch === undefined ? null : parseEpoch(String(epoch), this.keys.epoch),
      ...(skipped.length > 0 ? { skipped } : {}),
    };
  }

  async claimWriter(fence: string): Promise<void> {
    this.open();
    // KEEPTTL: on Redis the token is the leader lease's value; claiming must not make the lease eternal.
    await this.redis.set(this.keys.leader, fence, 'KEEPTTL');
  }

  async getMeta(key: string): Promise<string | undefined> {
    this.open();
    return (await this.redis.hget(this.keys.meta, key)) ?? undefined;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.open();
    await this.redis.hset(this.keys.meta, key, value);
  }

  async prune(before: Date): Promise<number> {
    this.open();
    const cutoff = before.toISOString();
    let deleted = 0;
    for (;;) {
      // Each chunk is its own short script; awaiting it yields to the event loop between chunks.
      const [removed, more] = (await this.pruneScript([this.keys.head, this.keys.events], [cutoff, PRUNE_CHUNK])) as [number, number];
      deleted += Number(removed);
      if (Number(more) !== 1) break;
    }
    await this.pruneStatesScript([this.keys.states, this.keys.ended], [before.getTime()]);
    return deleted;
  }

  close(): Promise<void> {
    // The client belongs to the caller, who closes it after every user of it is closed.
    this.closed = true;
    return Promise.resolve();
  }
}

