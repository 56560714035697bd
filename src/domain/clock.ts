/**
 * The running match clock (`clock` of `MATCH_STARTED`, `STATUS_CHANGED` and `SNAPSHOT` matches):
 * lets a client move the minute between events without an event per minute. Pure: the caller
 * passes the wall-clock time; detection never sees this.
 */
import type { MatchClock } from '@football-streaming-core/client/wire';
import { clockBaseMinute, parseMinute } from '@football-streaming-core/client/protocol';
import type { MatchState, Phase } from './match.js';

/**
 * The clock of a phase (or of the second half of extra time) first seen at `now` with the
 * `minute` the provider shows (while the ball is in play; `null` otherwise). A minute already shown ("13")
 * means 12 minutes have passed, so the phase began that much earlier (at the match clock's
 * `speed`); "105+2" counts from 105. `null` when no clock runs in `phase` (half time, the
 * extra-time breaks, penalties…).
 */
export function phaseClock(phase: Phase, minuteText: string | null | undefined, now: Date, speed: number): MatchClock | null {
  const base = clockBaseMinute(phase, minuteText ?? '');
  if (base === undefined) return null;
  const shown = parseMinute(minuteText ?? '');
  const minute = shown === undefined ? undefined : shown.minute + shown.added;
  // Never before the phase's own start, whatever minute the provider shows.
  const elapsedMinutes = minute === undefined ? 0 : Math.max(0, minute - base - 1);
  const startedAt = new Date(now.getTime() - (elapsedMinutes * 60_000) / speed);
  return { phase_started_at: startedAt.toISOString(), base_minute: base, speed };
}

/**
 * Whether the clock must start again: a new phase, or the second half of extra time (the phase is
 * one, its clock restarts from 105 once the provider's minute says so; a status without a minute
 * keeps the clock running).
 */
function clockRestarts(before: MatchState, state: MatchState): boolean {
  if (before.phase !== state.phase) return true;
  if (state.clock === undefined) return true;
  if (state.clock === null || state.minute === undefined || state.minute === null || parseMinute(state.minute) === undefined) return false;
  return clockBaseMinute(state.phase, state.minute) !== state.clock.base_minute;
}

/** An event of a commit, as far as the clock cares. */
interface PendingClockEvent {
  readonly event: { readonly type: string; readonly match_id: string };
}

/**
 * Stamps the clock on the states of one commit whose phase changed (or that have none yet: stored
 * before the clock existed), and on the `MATCH_STARTED` / `STATUS_CHANGED` events being committed.
 * Replaces entries of `commit.states` and `commit.events` in place; returns the ids of the match
 * states it changed.
 */
export function stampClocks<P extends PendingClockEvent>(
  commit: { readonly events: P[]; readonly states: MatchState[] },
  previous: (matchId: string) => MatchState | undefined,
  now: Date,
  speed: number,
): string[] {
  const clocks = new Map<string, MatchClock | null>();
  const stamped: string[] = [];
  commit.states.forEach((state, index) => {
    const before = previous(state.matchId);
    const unchanged = before !== undefined && !clockRestarts(before, state);
    if (unchanged) {
      clocks.set(state.matchId, state.clock ?? null);
      return;
    }
    const clock = phaseClock(state.phase, state.minute, now, speed);
    commit.states[index] = { ...state, clock };
    clocks.set(state.matchId, clock);
    stamped.push(state.matchId);
  });
  commit.events.forEach((pending, index) => {
    const { event } = pending;
    if (event.type !== 'MATCH_STARTED' && event.type !== 'STATUS_CHANGED') return;
    // `has`, not `??`: a stamped `null` (half time, full time) is an answer, not a missing one.
    const clock = clocks.has(event.match_id) ? (clocks.get(event.match_id) ?? null) : (previous(event.match_id)?.clock ?? null);
    commit.events[index] = { ...pending, event: { ...event, clock } } as P;
  });
  return stamped;
}
