/** Match-minute arithmetic on the client: the running minute from a `clock`, and chronological order. */
import type { MatchClock, Phase } from './wire.js';

/** Regular length of the phase that starts at each base minute. */
const PHASE_END: Readonly<Record<number, number>> = { 0: 45, 45: 90, 90: 105, 105: 120 };

/**
 * The minute a running clock shows at `now` (ms since the epoch), as a scoreboard writes it:
 * `"23"`, or `"45+2"` past the phase's regular length. `undefined` when no clock runs.
 */
export function clockMinute(clock: MatchClock | null | undefined, now: number = Date.now()): string | undefined {
  if (!clock) return undefined;
  const started = Date.parse(clock.phase_started_at);
  if (Number.isNaN(started)) return undefined;
  const elapsedMinutes = Math.floor((Math.max(0, now - started) / 1000) * clock.speed / 60);
  const minute = clock.base_minute + elapsedMinutes + 1;
  const end = PHASE_END[clock.base_minute];
  return end !== undefined && minute > end ? `${end}+${minute - end}` : String(minute);
}

/** What a scoreboard shows for a phase without a running minute. */
export const PHASE_LABELS: Readonly<Record<Phase, string>> = {
  not_started: 'Not started',
  first_half: '1st half',
  half_time: 'Half time',
  second_half: '2nd half',
  extra_time: 'Extra time',
  penalties: 'Penalties',
  finished: 'Full time',
  postponed: 'Postponed',
  cancelled: 'Cancelled',
  abandoned: 'Abandoned',
  suspended: 'Suspended',
  interrupted: 'Interrupted',
  delayed: 'Delayed',
  awarded: 'Awarded',
  unknown: 'Unknown',
};

const MINUTE = /^(\d{1,3})(?:\s*\+\s*(\d{0,2}))?'?$/;

/**
 * Chronological sort key of a minute text, the service's own order: added time stays inside its
 * half ("45+3" after "45", before "46"); unparseable minutes last.
 */
export function minuteSortKey(minute: string): number {
  const match = MINUTE.exec(minute.trim());
  if (!match) return Number.MAX_SAFE_INTEGER;
  return Number(match[1]) + (match[2] ? Number(match[2]) / 100 : 0);
}
