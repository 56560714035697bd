/**
 * Rules over the provider-neutral `Phase` (a provider's parser maps its status texts to it, see
 * `upstream/provider.ts`): which phases end a match, which mean it kicked off, and their order.
 */
import type { Phase } from '../domain/match.js';

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

export const isTerminal = (phase: Phase): boolean => TERMINAL.has(phase);

/** Called off before a ball was kicked; "abandoned" is not: a match is abandoned during play. */
export const isCalledOff = (phase: Phase): boolean => phase === 'postponed' || phase === 'cancelled';

/** The ball has been kicked: the match should have been announced. */
export const hasKickedOff = (phase: Phase): boolean => phase !== 'not_started' && phase !== 'delayed';

/** Rank of an in-play phase, `undefined` for phases outside the normal sequence. */
export const phaseRank = (phase: Phase): number | undefined => ORDER[phase];
