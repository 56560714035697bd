/**
 * What the simulated provider pushes (for AllSportsAPI, on `/live_events`, FORMAT.md §9): the
 * live-list match objects that changed since the last look, as the provider's renderer renders them
 * (`SimRenderer.push.liveObjects`). Pure apart from its memory of the last render, so the socket
 * binding in `server.ts` only moves bytes.
 */

/** The live list at a sim second, by match id, as one provider's renderer renders it. */
export type LiveObjects<T> = (simSecs: number) => ReadonlyArray<{ readonly matchId: string; readonly object: T }>;

/**
 * Compares renders of the matchday one sim second to the next and returns what changed. Every
 * scripted moment (statuses, incidents, listings, statistics) falls on a whole sim second, so
 * rendering at the whole second is exact and a second already looked at costs nothing.
 */
export class PushTracker<T = unknown> {
  private readonly last = new Map<string, string>();
  private lastSecond: number | undefined;

  constructor(private readonly live: LiveObjects<T>) {}

  /** Remembers the matchday at `simSecs` without reporting it (a first subscriber gets only what changes next). */
  prime(simSecs: number): void {
    this.last.clear();
    this.lastSecond = undefined;
    this.changedAt(simSecs);
  }

  /**
   * The match objects that differ from the last look, in live-list order. A match that left the
   * list is not reported (a push lists only what changed; vanishing is for polls to find) but is
   * forgotten, so it is pushed again if it comes back.
   */
  changedAt(simSecs: number): T[] {
    const second = Math.floor(simSecs);
    if (second === this.lastSecond) return [];
    this.lastSecond = second;
    const changed: T[] = [];
    const listed = new Set<string>();
    for (const { matchId, object } of this.live(second)) {
      listed.add(matchId);
      const text = JSON.stringify(object);
      if (this.last.get(matchId) === text) continue;
      this.last.set(matchId, text);
      changed.push(object);
    }
    for (const key of this.last.keys()) if (!listed.has(key)) this.last.delete(key);
    return changed;
  }
}
