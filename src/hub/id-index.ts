/**
 * Subscribers by id (a match, league or team id), for the hub's filtered fan-out.
 *
 * Memory is the point: a client may list 3 × 500 ids, most of them its own. An id with one
 * subscriber holds that subscriber itself as the map's value (one map entry, ~40–50 bytes: no Set
 * per id); a `Set` is made only when a second subscriber lists the same id. A Set stays until it
 * is empty, even when it shrinks to one: a fan-out that yields between clients may be iterating
 * it, and a Set iterated while members leave skips exactly those that left.
 */
export type Subscribers<T> = T | ReadonlySet<T>;

/** Several subscribers (a Set), rather than one. */
export const isSeveral = <T>(subscribers: Subscribers<T>): subscribers is ReadonlySet<T> => subscribers instanceof Set;

export class IdIndex<T extends object> {
  private readonly map = new Map<string, T | Set<T>>();

  /** Ids with at least one subscriber. */
  get size(): number {
    return this.map.size;
  }

  /** The subscriber of `id`, or the Set of them when there are several (tell them apart with `isSeveral`). */
  get(id: string): Subscribers<T> | undefined {
    return this.map.get(id);
  }

  add(id: string, subscriber: T): void {
    const current = this.map.get(id);
    if (current === undefined) this.map.set(id, subscriber);
    else if (current instanceof Set) current.add(subscriber);
    else if (current !== subscriber) this.map.set(id, new Set([current, subscriber]));
  }

  remove(id: string, subscriber: T): void {
    const current = this.map.get(id);
    if (current === subscriber) {
      this.map.delete(id);
    } else if (current instanceof Set) {
      current.delete(subscriber);
      if (current.size === 0) this.map.delete(id);
    }
  }
}
