/**
 * The embedded default store: SQLite through better-sqlite3, WAL mode, one file in `DATA_DIR`.
 * better-sqlite3 is synchronous; a commit of one poll's events is a single short transaction, so
 * the event loop is held for well under a millisecond. Pruning runs in small chunks that yield.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { activeLists, type Routing } from '../domain/event-filter.js';
import { recordEvent, type EventType, type StoredEvent } from '../domain/events.js';
import type { MatchState } from '../domain/match.js';
import { FencedError, type Commit, type EventQuery, type EventStore, type HistoryBounds, type MatchBookSnapshot } from './types.js';
import { parseCounter, parseEpoch, parseMatchStates } from './validate.js';

export const DATABASE_FILE = 'football-streaming-core.sqlite';

/** Compiled `readAfter` statements kept (one per filter shape: at most 2 modes x 8 combinations). */
const MAX_CACHED_READS = 32;
/** Pages of events kept in the read cache (emptied when full, and whenever the database changes). */
const MAX_CACHED_PAGES = 64;

interface ReadCache {
  /** `PRAGMA data_version` when filled. */
  readonly version: number;
  bounds: HistoryBounds | undefined;
  prunedThrough: number | undefined;
  /** Pages by statement and parameters. Shared by every caller: read, never modified. */
  readonly reads: Map<string, StoredEvent[] | 'too-old'>;
}
/** Rows deleted per pruning step before yielding to the event loop. */
const PRUNE_CHUNK = 2_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id      TEXT NOT NULL,
  type          TEXT NOT NULL,
  match_id      TEXT NOT NULL,
  league_id     TEXT NOT NULL,
  home_team_key TEXT NOT NULL,
  away_team_key TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  payload       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_match ON events (match_id, seq);
CREATE INDEX IF NOT EXISTS events_by_league ON events (league_id, seq);
CREATE INDEX IF NOT EXISTS events_by_created ON events (created_at);
CREATE TABLE IF NOT EXISTS match_state (
  match_id   TEXT PRIMARY KEY,
  state      TEXT NOT NULL,
  ended_at   TEXT,
  updated_at TEXT NOT NULL
);
`;

interface EventRow {
  seq: number;
  event_id: string;
  type: string;
  match_id: string;
  league_id: string;
  home_team_key: string;
  away_team_key: string;
  created_at: string;
  payload: string;
}

/** The column of each routing field. */
const COLUMNS: Readonly<Record<keyof Routing, string>> = {
  matchId: 'match_id',
  leagueId: 'league_id',
  homeTeamKey: 'home_team_key',
  awayTeamKey: 'away_team_key',
};

const toStored = (row: EventRow): StoredEvent => ({
  seq: row.seq,
  eventId: row.event_id,
  type: row.type as EventType,
  matchId: row.match_id,
  leagueId: row.league_id,
  homeTeamKey: row.home_team_key,
  awayTeamKey: row.away_team_key,
  timestamp: row.created_at,
  json: row.payload,
});

export interface SqliteStoreOptions {
  /** Directory for the database file; created if missing. Use `:memory:` only in throwaway tools. */
  readonly dataDir: string;
}

export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly epoch: string;
  private readonly statements;
  private readonly readStatements = new Map<string, Database.Statement<[Record<string, string | number>], EventRow>>();
  private compiledReads = 0;
  /**
   * What reads answered since the database last changed. A connection storm asks the same questions
   * thousands of times a second (every subscribe reads the bounds, every resume the events after the
   * same `seq`); while nothing is committed the answers cannot change. The cache is dropped when this
   * connection writes, and when another one has committed (`PRAGMA data_version` changed: the writer
   * worker, a `WORKERS` follower's view of it, a hand edit), so a read never answers from before a
   * commit it could have seen.
   */
  private cache: ReadCache | undefined;

  constructor(options: SqliteStoreOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    this.db = new Database(join(options.dataDir, DATABASE_FILE));
    this.db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes (kill -9) in WAL mode; only an OS crash can lose the last commit.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const getMeta = this.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
    const setMeta = this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    const existing = getMeta.get('epoch')?.value;
    this.epoch = existing === undefined ? randomUUID() : parseEpoch(existing, 'meta epoch');
    if (existing === undefined) {
      setMeta.run('epoch', this.epoch);
      setMeta.run('pruned_through', '0');
    }
    this.statements = {
      getMeta,
      setMeta,
      latestSeq: this.db.prepare<[], { seq: number | string | null }>(
        "SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'events') AS seq",
      ),
      insertEvent: this.db.prepare(
        'INSERT INTO events (event_id, type, match_id, league_id, home_team_key, away_team_key, created_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      updatePayload: this.db.prepare('UPDATE events SET payload = ? WHERE seq = ?'),
      upsertState: this.db.prepare(
        `INSERT INTO match_state (match_id, state, ended_at, updated_at) VALUES (@id, @state, @endedAt, @now)
         ON CONFLICT(match_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
           ended_at = COALESCE(match_state.ended_at, excluded.ended_at)`,
      ),
      deleteState: this.db.prepare('DELETE FROM match_state WHERE match_id = ?'),
      loadStates: this.db.prepare<[], { match_id: string; state: string }>('SELECT match_id, state FROM match_state ORDER BY match_id'),
      pruneChunk: this.db.prepare<[string, number], { seq: number }>(
        'DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE created_at < ? ORDER BY seq LIMIT ?) RETURNING seq',
      ),
      pruneStates: this.db.prepare('DELETE FROM match_state WHERE ended_at IS NOT NULL AND ended_at < ?'),
      dataVersion: this.db.prepare<[], number>('PRAGMA data_version').pluck(),
    };
  }

  private prunedThrough(): number {
    return parseCounter(this.statements.getMeta.get('pruned_through')?.value, 'meta pruned_through');
  }

  /** The read cache, emptied first if another connection has committed since it was filled. */
  private readCache(): ReadCache {
    const version = this.statements.dataVersion.get() as number;
    let cache = this.cache;
    if (cache === undefined || cache.version !== version) {
      cache = { version, bounds: undefined, prunedThrough: undefined, reads: new Map() };
      this.cache = cache;
    }
    return cache;
  }

  private readStates(): ReturnType<typeof parseMatchStates> {
    return parseMatchStates(this.statements.loadStates.all().map((row) => [row.match_id, row.state] as const));
  }

  private latestSeq(): number {
    return parseCounter(this.statements.latestSeq.get()?.seq, 'sqlite_sequence events');
  }

  bounds(): Promise<HistoryBounds> {
    try {
      const cache = this.readCache();
      cache.prunedThrough ??= this.prunedThrough();
      cache.bounds ??= { epoch: this.epoch, latestSeq: this.latestSeq(), prunedThrough: cache.prunedThrough };
      return Promise.resolve(cache.bounds);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  commit(commit: Commit): Promise<StoredEvent[]> {
    // This connection's own writes leave `data_version` as it is.
    this.cache = undefined;
    const now = new Date().toISOString();
    const run = this.db.transaction((): StoredEvent[] => {
      if (commit.fence !== undefined && this.statements.getMeta.get('writer_fence')?.value !== commit.fence) {
        throw new FencedError();
      }
      const stored: StoredEvent[] = [];
      for (const pending of commit.events) {
        const { event } = pending;
        // The payload carries its own seq, known only after the insert: insert, then fill it in.
        const info = this.statements.insertEvent.run(
          event.event_id,
          event.type,
          event.match_id,
          event.league_id,
          pending.homeTeamKey,
          pending.awayTeamKey,
          pending.timestamp,
          '',
        );
        const record = recordEvent(event, Number(info.lastInsertRowid), pending.timestamp, pending);
        this.statements.updatePayload.run(record.json, record.seq);
        stored.push(record);
      }
      for (const state of commit.states) {
        this.statements.upsertState.run({
          id: state.matchId,
          state: JSON.stringify(state),
          endedAt: state.ended ? now : null,
          now,
        });
      }
      for (const matchId of commit.forget) this.statements.deleteState.run(matchId);
      return stored;
    });
    try {
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  readAfter(query: EventQuery): Promise<StoredEvent[] | 'too-old'> {
    try {
      return Promise.resolve(this.readAfterSync(query));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private readAfterSync(query: EventQuery): StoredEvent[] | 'too-old' {
    const cache = this.readCache();
    cache.prunedThrough ??= this.prunedThrough();
    if (query.since < cache.prunedThrough) return 'too-old';
    // Each id list is one JSON array parameter, so the SQL depends on which filters are present and
    // never on how many ids they hold: one compiled statement per filter shape serves every count.
    // The WHERE clause is generated from the filter's table (src/domain/event-filter.ts), so it
    // selects what `eventFilter` selects (a property test checks the two agree).
    const clauses: string[] = [];
    const params: Record<string, string | number> = { since: query.since, limit: query.limit };
    for (const { list, fields, ids } of activeLists(query)) {
      clauses.push(`(${fields.map((field) => `${COLUMNS[field]} IN (SELECT value FROM json_each(@${list}))`).join(' OR ')})`);
      params[list] = JSON.stringify(ids);
    }
    const joiner = query.mode === 'all' ? ' AND ' : ' OR ';
    const where = clauses.length > 0 ? `AND (${clauses.join(joiner)})` : '';
    const sql = `SELECT * FROM events WHERE seq > @since ${where} ORDER BY seq LIMIT @limit`;
    let statement = this.readStatements.get(sql);
    if (statement === undefined) {
      // Filters repeat (every subscribe_all resume has the same shape): compile each shape once.
      if (this.readStatements.size >= MAX_CACHED_READS) this.readStatements.clear();
      statement = this.db.prepare<[Record<string, string | number>], EventRow>(sql);
      this.readStatements.set(sql, statement);
      this.compiledReads += 1;
    }
    const key = `${sql}\u0000${JSON.stringify(params)}`;
    const cached = cache.reads.get(key);
    if (cached !== undefined) return cached;
    const events = statement.all(params).map(toStored);
    if (cache.reads.size >= MAX_CACHED_PAGES) cache.reads.clear();
    cache.reads.set(key, events);
    return events;
  }

  /** How many `readAfter` statements were compiled since open (bounded by the filter shapes, not by id counts). */
  get compiledReadStatements(): number {
    return this.compiledReads;
  }

  loadStates(): Promise<MatchState[]> {
    return Promise.resolve(this.readStates().states);
  }

  loadBook(): Promise<MatchBookSnapshot> {
    // One read transaction: the states and the seq they reflect come from the same snapshot.
    const read = this.db.transaction((): MatchBookSnapshot => {
      const { states, skipped } = this.readStates();
      return { states, seq: this.latestSeq(), ...(skipped.length > 0 ? { skipped } : {}) };
    });
    try {
      return Promise.resolve(read.deferred());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  claimWriter(fence: string): Promise<void> {
    this.statements.setMeta.run('writer_fence', fence);
    return Promise.resolve();
  }

  getMeta(key: string): Promise<string | undefined> {
    return Promise.resolve(this.statements.getMeta.get(`app:${key}`)?.value);
  }

  setMeta(key: string, value: string): Promise<void> {
    // Prefixed so application keys can never overwrite the store's own (epoch, pruned_through).
    this.statements.setMeta.run(`app:${key}`, value);
    return Promise.resolve();
  }

  async prune(before: Date): Promise<number> {
    const cutoff = before.toISOString();
    let deleted = 0;
    for (;;) {
      this.cache = undefined;
      const removed = this.db.transaction(() => {
        const rows = this.statements.pruneChunk.all(cutoff, PRUNE_CHUNK);
        const highest = rows.reduce((max, row) => Math.max(max, row.seq), 0);
        if (highest > this.prunedThrough()) this.statements.setMeta.run('pruned_through', String(highest));
        return rows.length;
      })();
      deleted += removed;
      if (removed < PRUNE_CHUNK) break;
      // Yield between chunks so a large backlog never stalls fan-out.
      await yieldToEventLoop();
    }
    this.statements.pruneStates.run(cutoff);
    this.cache = undefined;
    return deleted;
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
