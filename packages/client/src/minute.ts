/**
 * Match-minute arithmetic, one copy for the service and the SDK: the provider's minute texts
 * ("29", "45+3", "90+", "105"), their chronological order, and the running minute of a `clock`.
 */
import type { MatchClock, Phase } from './wire.js';

/** "29", "45+3", "90+", "45 + 2", "30'": base minute and optional added minutes (at most two digits). */
const MINUTE = /^(\d{1,3})(?:\s*\+\s*(\d{0,2}))?'?$/;

/** A minute text's parts: `{ minute: 45, added: 3 }` for "45+3", `added` 0 for "90+" and "29". */
export function parseMinute(text: string): { readonly minute: number; readonly added: number; readonly stoppage: boolean } | undefined {
  const match = MINUTE.exec(text.trim());
  if (!match) return undefined;
  return { minute: Number(match[1]), added: match[2] ? Number(match[2]) : 0, stoppage: text.includes('+') };
}

/** Minutes since kick-off, counting added time: "45+2" → 47. `NaN` for text that is not a minute. */
export function minuteValue(minute: string): number {
  const parsed = parseMinute(minute);
  return parsed === undefined ? Number.NaN : parsed.minute + parsed.added;
}

/** Distance between two minute strings; equal unparseable texts are 0 apart, others far apart. */
export function minuteDistance(a: string, b: string): number {
  const x = minuteValue(a);
  const y = minuteValue(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return a.trim() === b.trim() ? 0 : Number.POSITIVE_INFINITY;
  return Math.abs(x - y);
}

/**
 * Chronological sort key: added time stays inside its half, so "45+3" sorts after "45" and before
 * "46", and "90+2" before "91" (by value "45+3" would be 48, after "46"). Unparseable minutes last.
 */
export function minuteSortKey(minute: string): number {
  const parsed = parseMinute(minute);
  if (parsed === undefined) return Number.MAX_SAFE_INTEGER;
  // At most two digits of added time, so a hundredth per added minute never reaches the next minute.
  return parsed.minute + parsed.added / 100;
}

/**
 * The minute a running phase's clock starts from, given the minute the provider shows (when it
 * shows one): 0 in the first half, 45 in the second, and in extra time 90 for its first half and
 * 105 once the provider's minute is in its second (106' and later; "105+2" is still the first
 * half's added time). `undefined` when no clock runs in `phase`: before kick-off, at half time, in
 * the breaks before and between the halves of extra time, in a shoot-out and after the match.
 */
export function clockBaseMinute(phase: Phase, minuteText: string): number | undefined {
  switch (phase) {
    case 'first_half':
      return 0;
    case 'second_half':
      return 45;
    case 'extra_time': {
      const shown = parseMinute(minuteText);
      return shown !== undefined && shown.minute > 105 ? 105 : 90;
    }
    default:
      return undefined;
  }
}

/**
 * Where each clock's regular time ends, past which it writes added time ("45+2"). Extra time is
 * 91'…120' on one clock: a clock that started at 90 runs on through 105 to 120 (the service starts
 * a new one at 105 once the provider shows the second half of extra time, and stops it for the
 * break between the halves when the provider reports that break).
 */
const REGULAR_END: Readonly<Record<number, number>> = { 0: 45, 45: 90, 90: 120, 105: 120 };

/**
 * The minute a running clock shows at `now` (ms since the epoch), as a scoreboard writes it:
 * `"23"`, `"106"`, or `"45+2"` / `"90+4"` / `"120+1"` past the regular time of its half.
 * `undefined` when no clock runs (`clock` null: half time, the extra-time breaks, penalties, not
 * started, ended) or the clock is malformed.
 */
export function clockMinute(clock: MatchClock | null | undefined, now: number = Date.now()): string | undefined {
  if (!clock) return undefined;
  const started = Date.parse(clock.phase_started_at);
  if (Number.isNaN(started) || !(clock.speed > 0) || !Number.isFinite(clock.speed)) return undefined;
  const elapsedMinutes = Math.floor(((Math.max(0, now - started) / 1000) * clock.speed) / 60);
  const minute = clock.base_minute + elapsedMinutes + 1;
  const end = REGULAR_END[clock.base_minute];
  return end !== undefined && minute > end ? `${end}+${minute - end}` : String(minute);
}

/** What a scoreboard shows for a phase without a running minute. */
export const PHASE_LABELS: Readonly<Record<Phase, string>> = {
  not_started: 'Not started',
  first_half: '1st half',
  half_time: 'Half time',
  second_half: '2nd half',
  extra_time: 'Extra time',
  extra_time_break: 'Extra-time break',
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
