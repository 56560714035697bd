/**
 * The one filter predicate: which events (and which matches) a filter selects. Everything that
 * filters is this routine or generated from its table: the hub's subscription index (one id index
 * per list, looked up by the list's fields), the snapshot's match filter, the Redis store's reads,
 * and the SQLite store's WHERE clause (`FILTER_LISTS` with a column per field; a property test,
 * test/contract/event-filter.property.test.ts, checks the SQL against this predicate).
 */

/** The routing fields a filter looks at, on an event and on a match alike. */
export interface Routing {
  readonly matchId: string;
  readonly leagueId: string;
  readonly homeTeamKey: string;
  readonly awayTeamKey: string;
}

/** Which events to select. Ids within a list are alternatives; an empty or absent list selects nothing by itself. */
export interface EventFilter {
  readonly matchIds?: readonly string[] | undefined;
  readonly leagueIds?: readonly string[] | undefined;
  readonly teamIds?: readonly string[] | undefined;
  /**
   * `any`: an event matching any given list passes (subscriptions); `all`: it must match every
   * given list (REST). A filter without ids passes everything. @default 'any'
   */
  readonly mode?: 'any' | 'all' | undefined;
}

export type FilterList = 'matchIds' | 'leagueIds' | 'teamIds';

/** Each id list and the routing fields its ids are compared with (any field matching is a match). */
export const FILTER_LISTS: ReadonlyArray<{ readonly list: FilterList; readonly fields: ReadonlyArray<keyof Routing> }> = Object.freeze([
  Object.freeze({ list: 'matchIds', fields: Object.freeze(['matchId'] as const) }),
  Object.freeze({ list: 'leagueIds', fields: Object.freeze(['leagueId'] as const) }),
  Object.freeze({ list: 'teamIds', fields: Object.freeze(['homeTeamKey', 'awayTeamKey'] as const) }),
]);

/** The filter's non-empty lists, in `FILTER_LISTS` order. */
export function activeLists(filter: EventFilter): Array<{ readonly list: FilterList; readonly fields: ReadonlyArray<keyof Routing>; readonly ids: readonly string[] }> {
  const active = [];
  for (const { list, fields } of FILTER_LISTS) {
    const ids = filter[list];
    if (ids !== undefined && ids.length > 0) active.push({ list, fields, ids });
  }
  return active;
}

/** A filter that selects everything: no list has an id. */
export const isUnfiltered = (filter: EventFilter): boolean => activeLists(filter).length === 0;

/**
 * The predicate of `filter`, with its lookup sets built once: call it once per read or snapshot,
 * then test each event or match.
 */
export function eventFilter(filter: EventFilter): (subject: Routing) => boolean {
  const tests = activeLists(filter).map(({ fields, ids }) => {
    const set = new Set(ids);
    return fields.length === 1
      ? (subject: Routing) => set.has(subject[fields[0] as keyof Routing])
      : (subject: Routing) => fields.some((field) => set.has(subject[field]));
  });
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0] as (subject: Routing) => boolean;
  return filter.mode === 'all' ? (subject) => tests.every((test) => test(subject)) : (subject) => tests.some((test) => test(subject));
}
