/**
 * Pure change detection: (what we knew, what the provider shows now) → (what we know now, the
 * events that say what changed). No clock, no I/O: the caller stamps `timestamp` and `seq`.
 *
 * Rules (issue "event fidelity"): every incident is announced once with a stable `event_id`;
 * re-polling an unchanged feed emits nothing; a disappeared incident is cancelled, never dropped;
 * a corrected one is updated, never re-announced; `MATCH_ENDED` is emitted exactly once.
 *
 * This file is the match's life (first sight, each later sighting, absence); the incident kinds and
 * `reconcile` are in `incidents.ts`, records and match-level events in `records.ts`, the score and
 * phase rules in `rules.ts`.
 */
import type { CardRecord, MatchState } from '../domain/match.js';
import type { MatchEvent } from '../domain/events.js';
import type { MatchSnapshot } from '../upstream/provider.js';
import { CARDS, GOALS, SUBSTITUTIONS, reconcile, type Changes, type Timed } from './incidents.js';
import { minuteSortKey } from './minute.js';
import { isCalledOff, isTerminal } from './phase.js';
import { byMinute, matchEnded, matchStarted, newCard, newGoal, newSubstitution, scoreUpdate, statusChanged, type Context } from './records.js';
import { ZERO, inShootout, isRegression, kickedOff, observedScore, sameScore, tally } from './rules.js';

export interface Detection {
  /** The new state; `null` when the match should be forgotten. */
  readonly state: MatchState | null;
  readonly events: MatchEvent[];
}

// ---------------------------------------------------------------------------------------------
// First sight

function metadata(snapshot: MatchSnapshot) {
  return {
    matchId: snapshot.matchId,
    homeTeam: snapshot.homeTeam,
    awayTeam: snapshot.awayTeam,
    homeTeamKey: snapshot.homeTeamKey,
    awayTeamKey: snapshot.awayTeamKey,
    leagueId: snapshot.leagueId,
    league: snapshot.league,
    country: snapshot.country,
    startTime: snapshot.startTime,
  };
}

function firstSight(snapshot: MatchSnapshot): Detection {
  const phase = snapshot.phase;
  const blank: MatchState = {
    ...metadata(snapshot),
    status: snapshot.statusText,
    phase,
    minute: snapshot.minute,
    started: false,
    ended: false,
    score: ZERO,
    halftimeScore: snapshot.halftimeScore,
    penaltyScore: snapshot.shootoutScore,
    goals: [],
    cards: [],
    substitutions: [],
    absentPolls: 0,
    scoreRevision: 0,
    phaseHistory: [phase],
    retiredEventIds: [],
  };
  if (!kickedOff(phase, snapshot)) return { state: blank, events: [] };
  if (isTerminal(phase)) {
    // Over before we ever saw it (a restart after a long outage, or a finished match still
    // listed): remember it as ended so it is never announced, and say nothing.
    return { state: { ...blank, ended: true, score: observedScore(snapshot, phase) ?? tally(snapshot.goals) }, events: [] };
  }
  // First seen mid-game: the incidents so far travel inside MATCH_STARTED, not as new events.
  const ctx: Context = { state: blank, snapshot, usedIds: new Set() };
  const goals = byMinute(snapshot.goals).map((g) => newGoal(g, ctx));
  const cards: CardRecord[] = [];
  for (const card of byMinute(snapshot.cards)) cards.push(newCard(card, ctx, cards));
  const substitutions = byMinute(snapshot.substitutions).map((s) => newSubstitution(s, ctx));
  const state: MatchState = {
    ...blank,
    started: true,
    score: observedScore(snapshot, phase) ?? tally(snapshot.goals),
    goals,
    cards,
    substitutions,
  };
  return { state, events: [matchStarted(state)] };
}

// ---------------------------------------------------------------------------------------------
// Subsequent sightings

/**
 * Diffs one match: `prev` is what the last good poll left (undefined: never seen), `snapshot` is
 * the match in the current reply.
 */
export function detect(prev: MatchState | undefined, snapshot: MatchSnapshot): Detection {
  if (prev === undefined) return firstSight(snapshot);
  if (prev.ended) return { state: prev.absentPolls === 0 ? prev : { ...prev, absentPolls: 0 }, events: [] };

  const reported = snapshot.phase;
  const events: MatchEvent[] = [];
  let state: MatchState = {
    ...prev,
    ...metadata(snapshot),
    absentPolls: 0,
    halftimeScore: snapshot.halftimeScore ?? prev.halftimeScore,
    penaltyScore: snapshot.shootoutScore ?? prev.penaltyScore,
  };

  if (!prev.started) {
    if (!kickedOff(reported, snapshot)) {
      return { state: { ...state, status: snapshot.statusText, minute: snapshot.minute, phase: reported }, events };
    }
    if (isCalledOff(reported)) {
      // Postponed or called off before kick-off: say so, and stop following it.
      const ended: MatchState = {
        ...state,
        status: snapshot.statusText,
        minute: snapshot.minute,
        phase: reported,
        ended: true,
        phaseHistory: [...prev.phaseHistory, reported],
      };
      return { state: ended, events: [statusChanged(ended, prev.phase)] };
    }
    // Over already (finished, abandoned, awarded) when first seen kicked off: it was played, so it is
    // started with what it shows, and ended below with a STATUS_CHANGED to its final phase.
    const kickOffPhase = isTerminal(reported) ? prev.phase : reported;
    state = {
      ...state,
      started: true,
      status: snapshot.statusText,
      minute: snapshot.minute,
      phase: kickOffPhase,
      // Recorded so the no-regression rule knows the match has kicked off.
      phaseHistory: [...prev.phaseHistory, kickOffPhase],
    };
    events.push(matchStarted(state));
  }

  const isLateReply = isRegression(state, reported);
  const phase = isLateReply ? state.phase : reported;
  // A late reply's status text and minute are as stale as its phase.
  const status = isLateReply ? state.status : snapshot.statusText;
  const minute = isLateReply ? (state.minute ?? null) : snapshot.minute;
  const shootout = inShootout(phase, snapshot);
  const score = observedScore(snapshot, phase) ?? state.score;
  const usedIds = new Set<string>([
    ...state.retiredEventIds,
    ...state.goals.map((g) => g.eventId),
    ...state.cards.map((c) => c.eventId),
    ...state.substitutions.map((s) => s.eventId),
  ]);
  const ctx: Context = { state, snapshot, usedIds };
  const changes: Changes = { removed: [], updated: [], added: [], retired: [] };
  const goals = reconcile(GOALS, ctx, score, changes);
  const cards = reconcile(CARDS, ctx, score, changes);
  const substitutions = reconcile(SUBSTITUTIONS, ctx, score, changes);
  const chronological = (a: Timed, b: Timed) => minuteSortKey(a.minute) - minuteSortKey(b.minute);
  for (const list of [changes.removed, changes.updated, changes.added]) {
    for (const timed of list.sort(chronological)) events.push(timed.event);
  }
  const retired = changes.retired;

  state = {
    ...state,
    goals,
    cards,
    substitutions,
    retiredEventIds: retired.length > 0 ? [...state.retiredEventIds, ...retired] : state.retiredEventIds,
    status,
    minute,
  };

  if (!sameScore(score, state.score)) {
    const scoreRevision = state.scoreRevision + 1;
    state = { ...state, score, scoreRevision };
    events.push(scoreUpdate(state, score, status, scoreRevision));
  }

  if (phase !== state.phase) {
    const previous = state.phase;
    state = { ...state, phase, phaseHistory: [...state.phaseHistory, phase] };
    events.push(statusChanged(state, previous));
  }

  if (isTerminal(phase)) {
    state = { ...state, ended: true };
    events.push(matchEnded(state, shootout));
  }
  return { state, events };
}

/** What the caller learnt about a followed match that the live list no longer shows. */
export type AbsenceOutcome =
  /** `met=Fixtures&matchId=` returned the match: trust it (finished → ended; live → a glitch). */
  | { readonly kind: 'found'; readonly snapshot: MatchSnapshot }
  /** The look-up failed or did not know the match. */
  | { readonly kind: 'unconfirmed' }
  /**
   * Not looked up on this poll (the per-poll look-up budget was spent on others): nothing was
   * learnt, so the absence is not counted; the look-up is carried over to a later poll.
   */
  | { readonly kind: 'deferred' };

/**
 * Handles a match missing from a successful poll. A started match ends only when the look-up says
 * it is over, or after `missingPollsBeforeEnd` absences whose look-up could not confirm it (a
 * deferred look-up is no absence).
 */
export function detectAbsent(prev: MatchState, outcome: AbsenceOutcome, missingPollsBeforeEnd: number): Detection {
  if (prev.ended) return { state: { ...prev, absentPolls: prev.absentPolls + 1 }, events: [] };
  // Counting an absence nobody looked into would end a match that may still be live.
  if (outcome.kind === 'deferred') return { state: prev, events: [] };
  if (outcome.kind === 'found' && prev.started) return detect(prev, outcome.snapshot);
  const absentPolls = prev.absentPolls + 1;
  if (!prev.started) {
    // Never kicked off while we watched: nothing was announced, so it can go quietly.
    return { state: absentPolls >= missingPollsBeforeEnd ? null : { ...prev, absentPolls }, events: [] };
  }
  if (absentPolls < missingPollsBeforeEnd) return { state: { ...prev, absentPolls }, events: [] };
  const ended: MatchState = { ...prev, absentPolls, ended: true };
  return { state: ended, events: [matchEnded(ended, prev.phase === 'penalties')] };
}
