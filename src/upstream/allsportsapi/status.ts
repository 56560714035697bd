/**
 * AllSportsAPI's `event_status` text (FORMAT.md §4) as the provider contract's facts: the phase,
 * the minute while the ball is in play, and whether a shoot-out is under way or decided the match.
 * Recorded values: bare minutes ("1".."90"), "45+", "Half Time", "Finished", "After ET",
 * "After Pen.", "Postponed", "" (not started). Anything else is mapped by keyword where that is
 * unambiguous, and to `unknown` otherwise — never an exception.
 */
import { parseMinute } from '@football-streaming-core/client/protocol';
import type { Phase } from '../provider.js';

const EXACT: ReadonlyMap<string, Phase> = new Map<string, Phase>([
  ['', 'not_started'],
  ['not started', 'not_started'],
  ['ns', 'not_started'],
  ['half time', 'half_time'],
  ['halftime', 'half_time'],
  ['ht', 'half_time'],
  ['finished', 'finished'],
  ['ft', 'finished'],
  ['full time', 'finished'],
  ['after et', 'finished'],
  ['aet', 'finished'],
  ['after extra time', 'finished'],
  ['after pen.', 'finished'],
  ['after pen', 'finished'],
  ['after penalties', 'finished'],
  ['ap', 'finished'],
  ['pen', 'penalties'],
  ['penalties', 'penalties'],
  ['penalty shootout', 'penalties'],
  ['extra time', 'extra_time'],
  ['et', 'extra_time'],
  // The break before extra time or between its halves: the clock stops.
  ['break time', 'extra_time_break'],
  ['postponed', 'postponed'],
  ['cancelled', 'cancelled'],
  ['canceled', 'cancelled'],
  ['abandoned', 'abandoned'],
  ['suspended', 'suspended'],
  ['interrupted', 'interrupted'],
  ['delayed', 'delayed'],
  ['awarded', 'awarded'],
]);

/** Statuses after which a match is over (the provider's three finished labels). */
export const FINISHED_STATUSES: ReadonlySet<string> = new Set(['Finished', 'After ET', 'After Pen.']);

/** A bare minute status: "23", "45+", "45+2", "30'". */
const MINUTE_STATUS = /^(\d{1,3})(?:\s*\+\s*(\d{0,2}))?'?$/;

export function phaseOf(status: string): Phase {
  const text = status.trim();
  const minute = MINUTE_STATUS.exec(text);
  if (minute) {
    const base = Number(minute[1]);
    if (base <= 45) return 'first_half';
    if (base <= 90) return 'second_half';
    return 'extra_time';
  }
  const exact = EXACT.get(text.toLowerCase());
  if (exact) return exact;
  const lower = text.toLowerCase();
  if (lower.startsWith('after')) return 'finished';
  if (lower.includes('pen')) return 'penalties';
  if (lower.includes('extra')) return 'extra_time';
  return 'unknown';
}

/** The minute a status shows while the ball is in play ("23", "45+2"), `null` for a word status. */
export function minuteOf(status: string): string | null {
  const text = status.trim();
  return MINUTE_STATUS.test(text) && parseMinute(text) !== undefined ? text : null;
}

/** The shoot-out is under way ("Penalties") or decided the match ("After Pen."). */
export const isShootoutStatus = (status: string): boolean => phaseOf(status) === 'penalties' || /pen/i.test(status);
