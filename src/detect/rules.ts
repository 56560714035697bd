/**
 * Score and phase rules of change detection, provider-neutral: which score to trust, who won,
 * when a match counts as kicked off, and when a reply is late (an earlier in-play phase).
 */
import type { MatchState, Phase, Score } from '../domain/match.js';
import type { GoalItem, MatchSnapshot } from '../upstream/provider.js';
import { hasKickedOff, phaseRank } from './phase.js';

export const ZERO: Score = { home: 0, away: 0 };
export const sameScore = (a: Score, b: Score): boolean => a.home === b.home && a.away === b.away;

/** The shoot-out is under way or decided the match: its winner is decided by the shoot-out score. */
export const inShootout = (phase: Phase, snapshot: MatchSnapshot): boolean => phase === 'penalties' || snapshot.shootout;

/** Score the provider shows, or `undefined` when it shows none we can trust. */
export function observedScore(snapshot: MatchSnapshot, phase: Phase): Score | undefined {
  // During a shoot-out the provider may show no trusted score yet: the goals listed are the score.
  if (inShootout(phase, snapshot)) return snapshot.score ?? tally(snapshot.goals);
  return snapshot.score ?? undefined;
}

/** The goals listed, counted. */
export function tally(goals: readonly GoalItem[]): Score {
  let home = 0;
  let away = 0;
  for (const goal of goals) {
    if (goal.side === 'home') home += 1;
    else away += 1;
  }
  return { home, away };
}

/** An unknown status counts as kicked off only when the provider also flags the match live. */
export const kickedOff = (phase: Phase, snapshot: MatchSnapshot): boolean =>
  phase === 'unknown' ? snapshot.live : hasKickedOff(phase);

export function winnerOf(score: Score, penalties: Score | null, shootout: boolean): 'home' | 'away' | 'draw' {
  const deciding = shootout && penalties ? penalties : score;
  if (deciding.home > deciding.away) return 'home';
  if (deciding.away > deciding.home) return 'away';
  return 'draw';
}

/** The no-regression rule: a reply that puts the match in an earlier in-play phase than it reached is late. */
export function isRegression(state: MatchState, reported: Phase): boolean {
  const rank = phaseRank(reported);
  if (rank === undefined) return false;
  const reached = Math.max(-1, ...state.phaseHistory.map((p) => phaseRank(p) ?? -1));
  return rank < reached;
}
