/**
 * Who wants which events: the everything-subscribers, and one id index per filter list
 * (`FILTER_LISTS`, src/domain/event-filter.ts: match, league, team), so filtered subscribers cost
 * nothing for events they do not want. Also the instance-wide bound on the ids all filters hold.
 */
import { eventFilter, FILTER_LISTS, type Routing } from '../domain/event-filter.js';
import type { Filter } from '../domain/protocol.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Client } from './client.js';
import { IdIndex } from './id-index.js';

/** At most one warning per this many ms about refused filters (each refusal is counted in metrics). */
const FILTER_REFUSAL_LOG_MS = 10_000;

/**
 * A filter as the hub keeps it: three plain arrays, deduplicated, without spare capacity (no Set
 * per client: they are only iterated, to index and unindex; a snapshot builds its lookup sets for
 * the moment it runs). The id strings are the index's keys too.
 */
export interface IndexedFilter {
  readonly kind: 'filtered';
  readonly matchIds: readonly string[];
  readonly leagueIds: readonly string[];
  readonly teamIds: readonly string[];
}

export type Subscription = { readonly kind: 'all' } | IndexedFilter;
const ALL: Subscription = Object.freeze({ kind: 'all' });

const NO_IDS: readonly string[] = Object.freeze([]);

/** `ids` without duplicates, in their order, in an array of exactly that length. */
function compactIds(ids: readonly string[]): readonly string[] {
  if (ids.length === 0) return NO_IDS;
  const unique = new Set(ids);
  const compact = new Array<string>(unique.size);
  let i = 0;
  for (const id of unique) compact[i++] = id;
  return compact;
}

export function toSubscription(filter: Filter): Subscription {
  if (filter.kind === 'all') return ALL;
  return { kind: 'filtered', matchIds: compactIds(filter.matchIds), leagueIds: compactIds(filter.leagueIds), teamIds: compactIds(filter.teamIds) };
}

export const idCount = (subscription: Subscription | undefined): number =>
  subscription?.kind === 'filtered' ? subscription.matchIds.length + subscription.leagueIds.length + subscription.teamIds.length : 0;

/** Which matches a snapshot for `subscription` shows (lookup sets built once per snapshot). */
export const snapshotFilter = (subscription: Subscription): ((match: Routing) => boolean) =>
  subscription.kind === 'all' ? () => true : eventFilter(subscription);

export interface SubscriptionIndexOptions {
  readonly logger: Logger;
  readonly metrics?: Metrics | undefined;
  /** Bound on the ids held by all filtered subscriptions together. @default Infinity */
  readonly maxFilterIds?: number | undefined;
  readonly now: () => number;
}

export class SubscriptionIndex {
  /** Clients subscribed to everything. */
  readonly everything = new Set<Client>();
  /** One id index per filter list (`FILTER_LISTS`): match, league, team. */
  private readonly indexes = FILTER_LISTS.map(({ list, fields }) => ({ list, fields, index: new IdIndex<Client>() }));
  /** What a fan-out looks up for each event: an index and the routing field whose value is the key (team: home, then away). */
  readonly lookups: ReadonlyArray<{ readonly field: keyof Routing; readonly index: IdIndex<Client> }> = this.indexes.flatMap(({ fields, index }) =>
    fields.map((field) => ({ field, index })),
  );
  /** Ids held by filtered subscriptions, all together (bounded by `maxFilterIds`). */
  private filterIds = 0;
  /** Clients with a filtered subscription (those on `everything` are counted by its size). */
  private filteredCount = 0;
  private filterRefusalsSinceLog = 0;
  private lastFilterRefusalLogAt = -Infinity;

  constructor(private readonly options: SubscriptionIndexOptions) {}

  /** Indexes the client under its `subscription`. */
  add(client: Client): void {
    const subscription = client.subscription;
    if (subscription === undefined) return;
    if (subscription.kind === 'all') {
      this.everything.add(client);
    } else {
      this.filteredCount += 1;
      this.filterIds += idCount(subscription);
      for (const { list, index } of this.indexes) for (const id of subscription[list]) index.add(id, client);
    }
    this.updateGauges();
  }

  /** Removes the client from the index and clears its `subscription`. */
  remove(client: Client): void {
    const subscription = client.subscription;
    if (subscription === undefined) return;
    client.subscription = undefined;
    if (subscription.kind === 'all') {
      this.everything.delete(client);
    } else {
      this.filteredCount -= 1;
      this.filterIds -= idCount(subscription);
      for (const { list, index } of this.indexes) for (const id of subscription[list]) index.remove(id, client);
    }
    this.updateGauges();
  }

  /**
   * Why a subscription with `adding` ids (replacing one with `releasing`) would be refused now, or
   * `undefined` when it fits the bound on filter ids. A refusal is counted
   * (`fsc_filter_refusals_total`) and logged (at most one warning per 10 s, with the count).
   */
  refusal(adding: number, releasing: number): string | undefined {
    const max = this.options.maxFilterIds ?? Infinity;
    if (adding === 0 || this.filterIds - releasing + adding <= max) return undefined;
    this.options.metrics?.filterRefusals.inc();
    this.filterRefusalsSinceLog += 1;
    const now = this.options.now();
    if (now - this.lastFilterRefusalLogAt >= FILTER_REFUSAL_LOG_MS) {
      this.options.logger.warn(
        { filter_ids: this.filterIds, max_filter_ids: max, requested: adding, refused: this.filterRefusalsSinceLog },
        'filtered subscriptions refused: the filter ids of all subscriptions would pass MAX_FILTER_IDS',
      );
      this.lastFilterRefusalLogAt = now;
      this.filterRefusalsSinceLog = 0;
    }
    const left = Math.max(0, max - this.filterIds + releasing);
    return (
      `filter refused: this server holds at most ${max} filter ids over all subscriptions (MAX_FILTER_IDS) ` +
      `and has room for ${left}; this filter has ${adding}. Subscribe to fewer ids (a league or a team rather than many matches), or retry later`
    );
  }

  private updateGauges(): void {
    const metrics = this.options.metrics;
    if (metrics === undefined) return;
    metrics.subscriptions.set({ kind: 'all' }, this.everything.size);
    metrics.subscriptions.set({ kind: 'filtered' }, this.filteredCount);
    metrics.filterIds.set(this.filterIds);
  }
}
