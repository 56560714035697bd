/**
 * What the simulated provider pushes on `/live_events` (FORMAT.md §9): the Livescore match objects
 * that changed since the last look, as rendered. Pure apart from its memory of the last render, so
 * the socket binding in `server.ts` only moves bytes.
 */
import { renderLivescore, type WireMatch } from './render.js';

/**
 * Compares renders of the matchday one sim second to the next and returns what changed. Every
 * scripted moment (statuses, incidents, listings, statistics) falls on a whole sim second, so
 * rendering at the whole second is exact and a second already looked at costs nothing.
 */
export class PushTracker {
  private readonly last = new Map<number, string>();
  private lastSecond: number | undefined;

  /** Remembers the matchday at `simSecs` without reporting it (a first subscriber gets only what changes next). */
  prime(simSecs: number): void {
    this.last.clear();
    this.lastSecond = undefined;
    this.changedAt(simSecs);
  }

  /**
   * The match objects that differ from the last look, in Livescore order. A match that left the
   * list is not reported (a push lists only what changed; vanishing is for polls to find) but is
   * forgotten, so it is pushed again if it comes back.
   */
  changedAt(simSecs: number): WireMatch[] {
    const second = Math.floor(simSecs);
    if (second === this.lastSecond) return [];
    this.lastSecond = second;
    const changed: WireMatch[] = [];
    const listed = new Set<number>();
    for (const match of renderLivescore(second).result) {
      listed.add(match.event_key);
      const text = JSON.stringify(match);
      if (this.last.get(match.event_key) === text) continue;
      this.last.set(match.event_key, text);
      changed.push(match);
    }
    for (const key of this.last.keys()) if (!listed.has(key)) this.last.delete(key);
    return changed;
  }
}
