/**
 * Normalises the provider's `event_status` text into a `Phase`. Recorded values: bare minutes
 * ("1".."90"), "45+", "Half Time", "Finished", "After ET", "After Pen.", "Postponed", "" (not
 * started). Anything else is mapped by keyword where that is unambiguous, and to `unknown`
 * otherwise — never an exception.
 */
import type { Phase } from '../domain/match.js';

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
  // The break before extra time or between its halves (API-Football's `BT`): the clock stops.
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

/** Phases after which nothing more happens in a match. */
const TERMINAL: ReadonlySet<Phase> = new Set<Phase>(['finished', 'postponed', 'cancelled', 'abandoned', 'awarded']);

/** Phases in which the ball is (or is about to be) in play, in the order a match passes them. */
const ORDER: Readonly<Partial<Record<Phase, number>>> = {
  not_started: 0,
  first_half: 1,
  half_time: 2,
  second_half: 3,
  extra_time: 4,
  // Before extra time or between its halves: ranked with extra time, so neither reads as a regression.
  extra_time_break: 4,
  penalties: 5,
};

export function phaseOf(status: string): Phase {
  const text = status.trim();
  const minute = /^(\d{1,3})(?:\s*\+\s*(\d{0,2}))?'?$/.exec(text);
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

export const isTerminal = (phase: Phase): boolean => TERMINAL.has(phase);

/** Called off before a ball was kicked; "abandoned" is not: a match is abandoned during play. */
export const isCalledOff = (phase: Phase): boolean => phase === 'postponed' || phase === 'cancelled';

/** The ball has been kicked: the match should have been announced. */
export const hasKickedOff = (phase: Phase): boolean => phase !== 'not_started' && phase !== 'delayed';

/** Rank of an in-play phase, `undefined` for phases outside the normal sequence. */
export const phaseRank = (phase: Phase): number | undefined => ORDER[phase];

/** The shoot-out is under way or decided it: `event_final_result` is not a real score then. */
export const isShootout = (phase: Phase, status: string): boolean =>
  phase === 'penalties' || /pen/i.test(status);
