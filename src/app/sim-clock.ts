/**
 * The simulator clock: where the built-in matchday stands, kept in the store across restarts.
 */
import type { EventStore } from '../store/types.js';

/**
 * The built-in matchday runs on the wall clock from the moment it was first started in this
 * DATA_DIR, so a restarted service finds it where it would have been (the matchday goes on while
 * the service is down) instead of replaying it from kick-off under the same match ids.
 *
 * Stored: the simulated time reached (`simSecs`) at a real time (`atMs`) and the speed it was
 * running at. A restart computes where the matchday stands now at that speed and re-anchors there
 * with its own speed, so a new SIM_SPEED changes how fast the matchday goes on, never where it is
 * (replaying it would cancel every goal and card already announced).
 */
export async function simulatedMatchdayClock(store: EventStore, speed: number): Promise<number> {
  const now = Date.now();
  const saved = await store.getMeta('sim_clock');
  let simSecs = 0;
  if (saved !== undefined) {
    const clock = JSON.parse(saved) as { simSecs?: unknown; atMs?: unknown; startedAtMs?: unknown; speed?: unknown };
    const savedSpeed = typeof clock.speed === 'number' && clock.speed > 0 ? clock.speed : undefined;
    // Older versions stored only the start of the matchday ({ startedAtMs, speed }).
    const anchor =
      typeof clock.simSecs === 'number' && typeof clock.atMs === 'number'
        ? { simSecs: clock.simSecs, atMs: clock.atMs }
        : typeof clock.startedAtMs === 'number'
          ? { simSecs: 0, atMs: clock.startedAtMs }
          : undefined;
    if (anchor !== undefined && savedSpeed !== undefined && Number.isFinite(anchor.simSecs) && anchor.simSecs >= 0) {
      // A wall clock set back since: the matchday waits where it was rather than going back.
      simSecs = anchor.simSecs + (Math.max(0, now - anchor.atMs) / 1000) * savedSpeed;
    }
  }
  await store.setMeta('sim_clock', JSON.stringify({ simSecs, atMs: now, speed }));
  return simSecs;
}
