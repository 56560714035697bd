/**
 * Paging through the log, written once: the hub's replay, the REST routes and the buses' gap filler
 * read the history through `readAll`. Each page comes with the bounds it was read against, and a
 * read that finds part of what it wanted pruned (`'too-old'`) goes on from the retained start and
 * says so on that page (`skipped`): no caller loops on `'too-old'` itself.
 */
import type { EventFilter } from '../domain/event-filter.js';
import type { StoredEvent } from '../domain/events.js';
import type { EventStore, HistoryBounds } from './types.js';
import { HistoryChangedError } from '../errors.js';

export interface ReadAllQuery extends EventFilter {
  /** Events with a `seq` strictly greater than this. */
  readonly since: number;
  /** Events read per page (the last page has fewer; a filtered page counts matching events). */
  readonly pageSize: number;
  /** The last seq wanted: the read stops after it. @default no bound */
  readonly until?: number;
  /** Bounds the caller has just read (saves the read's first round trip to the store). */
  readonly bounds?: HistoryBounds;
}

export interface LogPage {
  /** The page's events, in `seq` order, after those of the page before. */
  readonly events: readonly StoredEvent[];
  /** The history's bounds as last read: when the read started, and again after it had to skip. */
  readonly bounds: HistoryBounds;
  /**
   * Events between the position and this page were pruned before they could be read: the read
   * went on after `bounds.prunedThrough`. Set on the first page after the jump only.
   */
  readonly skipped: boolean;
}

/** Pruned under a read this many times in a row without the retained start moving: the history is not what it was. */
const MAX_SKIPS_IN_PLACE = 3;

/** Defined in the error catalogue (src/errors.ts). */
export { HistoryChangedError };

/**
 * Reads every event after `query.since` that passes the filter, page by page, until the log's end
 * (or `query.until`). The first page is yielded even when empty, so a caller always has the bounds,
 * and so is a page that only says the read skipped.
 * Reads are lazy: the next page is read when the caller asks for it (a replay paces itself).
 */
export async function* readAll(store: EventStore, query: ReadAllQuery): AsyncGenerator<LogPage, void, undefined> {
  const { pageSize, until = Infinity } = query;
  const filter: EventFilter = { matchIds: query.matchIds, leagueIds: query.leagueIds, teamIds: query.teamIds, mode: query.mode };
  let bounds = query.bounds ?? (await store.bounds());
  let position = query.since;
  let skipped = false;
  if (position < bounds.prunedThrough) {
    position = bounds.prunedThrough;
    skipped = true;
  }
  let skipsInPlace = 0;
  let yielded = false;
  for (;;) {
    if (position >= until) {
      // Nothing left to read: still a page, when the caller has none yet or must hear of a skip.
      if (!yielded || skipped) yield { events: [], bounds, skipped };
      return;
    }
    const page = await store.readAfter({ ...filter, since: position, limit: pageSize });
    if (page === 'too-old') {
      bounds = await store.bounds();
      if (bounds.prunedThrough > position) {
        position = bounds.prunedThrough;
        skipsInPlace = 0;
      } else if ((skipsInPlace += 1) >= MAX_SKIPS_IN_PLACE) {
        throw new HistoryChangedError(`the store keeps answering too-old after seq ${position} though it retains everything after ${bounds.prunedThrough}`);
      }
      skipped = true;
      continue;
    }
    skipsInPlace = 0;
    const ended = page.length < pageSize;
    const last = page.at(-1);
    const events = last !== undefined && last.seq > until ? page.filter((event) => event.seq <= until) : page;
    yield { events, bounds, skipped };
    yielded = true;
    skipped = false;
    if (ended || last === undefined || last.seq >= until) return;
    position = last.seq;
  }
}

/** One page of `readAll` (the first): the events after `query.since`, at most `pageSize`, with the bounds they were read against. */
export async function readPage(store: EventStore, query: ReadAllQuery): Promise<LogPage> {
  const pages = readAll(store, query);
  try {
    const first = await pages.next();
    if (first.done === true) return { events: [], bounds: query.bounds ?? (await store.bounds()), skipped: false };
    return first.value;
  } finally {
    await pages.return();
  }
}
