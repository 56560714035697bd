/**
 * Pure change detection: (what we knew, what the provider shows now) → (what we know now, the
 * events that say what changed). No clock, no I/O: the caller stamps `timestamp` and `seq`.
 *
 * Rules (issue "event fidelity"): every incident is announced once with a stable `event_id`;
 * re-polling an unchanged feed emits nothing; a disappeared incident is cancelled, never dropped;
 * a corrected one is updated, never re-announced; `MATCH_ENDED` is emitted exactly once.
 */
import type { CardRecord, GoalRecord, MatchState, Phase, Score, SubRecord } from '../domain/match.js';
import type { CardItem, GoalItem, MatchSnapshot, SubItem } from '../upstream/provider.js';
import { formatScore, type MatchEvent } from '../domain/events.js';
import { cardView, goalView, substitutionView } from '../domain/views.js';
import { eventId, incidentCost, MINUTE_TOLERANCE, normaliseName, pairIncidents, playerRelation } from './identity.js';
import { minuteDistance, minuteSortKey } from './minute.js';
import { hasKickedOff, isCalledOff, isTerminal, phaseRank } from './phase.js';

export interface Detection {
  /** The new state; `null` when the match should be forgotten. */
  readonly state: MatchState | null;
  readonly events: MatchEvent[];
}

const ZERO: Score = { home: 0, away: 0 };
const sameScore = (a: Score, b: Score): boolean => a.home === b.home && a.away === b.away;

const byMinute = <T extends { minute: string }>(items: readonly T[]): T[] =>
  [...items].sort((a, b) => minuteSortKey(a.minute) - minuteSortKey(b.minute));

// ---------------------------------------------------------------------------------------------
// Incident kinds

interface Context {
  readonly state: MatchState;
  readonly snapshot: MatchSnapshot;
  /** Ids in use or retired in this match, so a new incident never reuses one. */
  readonly usedIds: Set<string>;
}

function freshId(ctx: Context, ...parts: string[]): string {
  const base = eventId(ctx.state.matchId, ...parts);
  let id = base;
  for (let n = 2; ctx.usedIds.has(id); n += 1) id = eventId(ctx.state.matchId, ...parts, String(n));
  ctx.usedIds.add(id);
  return id;
}

const playerKey = (id: string, name: string): string => (id !== '' ? id : normaliseName(name));

const teamFields = (s: MatchState) => ({ home_team: s.homeTeam, away_team: s.awayTeam, league_id: s.leagueId });

function newGoal(item: GoalItem, ctx: Context): GoalRecord {
  return {
    eventId: freshId(ctx, 'goal', item.side, item.minute, playerKey(item.scorerId, item.scorer)),
    side: item.side,
    minute: item.minute,
    scorer: item.scorer,
    scorerId: item.scorerId,
    assist: item.assist,
    assistId: item.assistId,
    penalty: item.penalty,
    ownGoal: item.ownGoal,
    revision: 0,
  };
}

const goalCost = (g: GoalRecord, item: GoalItem): number | undefined =>
  g.side === item.side
    ? incidentCost(playerRelation(g.scorerId, g.scorer, item.scorerId, item.scorer), g.minute, item.minute)
    : undefined;

function newCard(item: CardItem, ctx: Context, earlier: readonly CardRecord[]): CardRecord {
  const named = item.player !== '' || item.playerId !== '';
  const hadYellow =
    named &&
    earlier.some(
      (c) =>
        c.side === item.side &&
        c.color === 'yellow' &&
        playerRelation(c.playerId, c.player, item.playerId, item.player) === 'same',
    );
  return {
    eventId: freshId(ctx, 'card', item.side, item.minute, playerKey(item.playerId, item.player), item.color),
    side: item.side,
    minute: item.minute,
    player: item.player,
    playerId: item.playerId,
    card: item.card,
    color: item.color,
    secondYellow: item.color === 'red' && (item.secondYellow || hadYellow),
    coach: item.coach,
    revision: 0,
  };
}

const cardCost = (c: CardRecord, item: CardItem): number | undefined =>
  c.side === item.side && c.color === item.color
    ? incidentCost(playerRelation(c.playerId, c.player, item.playerId, item.player), c.minute, item.minute)
    : undefined;

function newSubstitution(item: SubItem, ctx: Context): SubRecord {
  return {
    eventId: freshId(
      ctx,
      'sub',
      item.side,
      item.minute,
      playerKey(item.inId, item.playerIn),
      playerKey(item.outId, item.playerOut),
    ),
    side: item.side,
    minute: item.minute,
    playerIn: item.playerIn,
    playerOut: item.playerOut,
    inId: item.inId,
    outId: item.outId,
    revision: 0,
  };
}

/** The sighting names the record's two players the other way round (who came on, who went off). */
function isSwapped(s: SubRecord, item: SubItem): boolean {
  return (
    playerRelation(s.inId, s.playerIn, item.outId, item.playerOut) === 'same' &&
    playerRelation(s.outId, s.playerOut, item.inId, item.playerIn) === 'same' &&
    playerRelation(s.inId, s.playerIn, item.inId, item.playerIn) !== 'same'
  );
}

/** Extra cost of pairing a substitution whose direction was corrected: any straight pairing wins. */
const SWAPPED_COST = 10;

function substitutionCost(s: SubRecord, item: SubItem): number | undefined {
  if (s.side !== item.side) return undefined;
  const playerIn = playerRelation(s.inId, s.playerIn, item.inId, item.playerIn);
  const playerOut = playerRelation(s.outId, s.playerOut, item.outId, item.playerOut);
  const relation =
    playerIn === 'conflict' || playerOut === 'conflict'
      ? 'conflict'
      : playerIn === 'same' && playerOut === 'same'
        ? 'same'
        : 'different';
  const straight = incidentCost(relation, s.minute, item.minute);
  // A provider that corrects which player came on (API-Football swaps `player`/`assist`) names
  // the same substitution: it is corrected (SUBSTITUTION_UPDATED), never cancelled and re-announced.
  if (relation !== 'same' && isSwapped(s, item)) {
    const swapped = incidentCost('same', s.minute, item.minute);
    if (swapped !== undefined) return Math.min(straight ?? Number.POSITIVE_INFINITY, swapped + SWAPPED_COST);
  }
  return straight;
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

/** The shoot-out is under way or decided the match: its winner is decided by the shoot-out score. */
const inShootout = (phase: Phase, snapshot: MatchSnapshot): boolean => phase === 'penalties' || snapshot.shootout;

/** Score the provider shows, or `undefined` when it shows none we can trust. */
function observedScore(snapshot: MatchSnapshot, phase: Phase): Score | undefined {
  // During a shoot-out the provider may show no trusted score yet: the goals listed are the score.
  if (inShootout(phase, snapshot)) return snapshot.score ?? tally(snapshot.goals);
  return snapshot.score ?? undefined;
}

/** The goals listed, counted. */
function tally(goals: readonly GoalItem[]): Score {
  let home = 0;
  let away = 0;
  for (const goal of goals) {
    if (goal.side === 'home') home += 1;
    else away += 1;
  }
  return { home, away };
}

function matchStarted(state: MatchState): MatchEvent {
  return {
    type: 'MATCH_STARTED',
    match_id: state.matchId,
    home_team: state.homeTeam,
    away_team: state.awayTeam,
    league: state.league,
    league_id: state.leagueId,
    start_time: state.startTime,
    home_team_key: state.homeTeamKey,
    away_team_key: state.awayTeamKey,
    country: state.country,
    score: formatScore(state.score),
    status: state.status,
    phase: state.phase,
    goals: byMinute(state.goals).map(goalView),
    cards: byMinute(state.cards).map(cardView),
    substitutions: byMinute(state.substitutions).map(substitutionView),
    event_id: eventId(state.matchId, 'started'),
  };
}

/** An unknown status counts as kicked off only when the provider also flags the match live. */
const kickedOff = (phase: Phase, snapshot: MatchSnapshot): boolean =>
  phase === 'unknown' ? snapshot.live : hasKickedOff(phase);

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

function winnerOf(score: Score, penalties: Score | null, shootout: boolean): 'home' | 'away' | 'draw' {
  const deciding = shootout && penalties ? penalties : score;
  if (deciding.home > deciding.away) return 'home';
  if (deciding.away > deciding.home) return 'away';
  return 'draw';
}

function matchEnded(state: MatchState, shootout: boolean): MatchEvent {
  const penalties = shootout ? state.penaltyScore : null;
  return {
    type: 'MATCH_ENDED',
    match_id: state.matchId,
    home_team: state.homeTeam,
    home_team_key: state.homeTeamKey,
    away_team: state.awayTeam,
    away_team_key: state.awayTeamKey,
    final_score: formatScore(state.score),
    halftime_score: state.halftimeScore ? formatScore(state.halftimeScore) : '',
    league: state.league,
    league_key: state.leagueId,
    country: state.country,
    league_id: state.leagueId,
    status: state.status,
    winner: winnerOf(state.score, penalties, shootout),
    ...(penalties ? { penalty_score: formatScore(penalties) } : {}),
    event_id: eventId(state.matchId, 'ended'),
  };
}

/** Chronological position of an event produced for an incident, for ordering a poll's output. */
interface Timed {
  readonly minute: string;
  readonly event: MatchEvent;
}

/** What every incident record has: its identity, when it happened, and how often it was revised. */
interface IncidentRecord {
  readonly eventId: string;
  readonly minute: string;
  readonly revision: number;
}

/**
 * One kind of incident (goal, card, substitution): how sightings pair with records, what a new
 * sighting changes, and the events that announce, correct and cancel it. `reconcile` does the rest
 * the same way for every kind.
 */
interface IncidentKind<R extends IncidentRecord, I extends { readonly minute: string }> {
  readonly records: (state: MatchState) => readonly R[];
  readonly sightings: (snapshot: MatchSnapshot) => readonly I[];
  readonly cost: (record: R, item: I) => number | undefined;
  /** The record as the new sighting shows it (ids learnt earlier are kept when the sighting lacks them). */
  readonly merge: (record: R, item: I) => R;
  /** The merge changed something a client sees: announce a correction. */
  readonly changed: (before: R, after: R) => boolean;
  readonly create: (item: I, ctx: Context, earlier: readonly R[]) => R;
  readonly added: (record: R, item: I, ctx: Context, score: Score) => MatchEvent;
  readonly updated: (before: R, after: R, ctx: Context, eventId: string) => MatchEvent;
  readonly cancelled: (record: R, ctx: Context, score: Score, eventId: string) => MatchEvent;
  /** Prefix of the ids of correction and cancellation events ("goal" → "goal-updated"). */
  readonly idPrefix: string;
}

/** Events of one poll for one match, by what they do, each with the minute it concerns. */
interface Changes {
  readonly removed: Timed[];
  readonly updated: Timed[];
  readonly added: Timed[];
  /** Event ids of incidents cancelled in this poll. */
  readonly retired: string[];
}

function reconcile<R extends IncidentRecord, I extends { readonly minute: string }>(
  kind: IncidentKind<R, I>,
  ctx: Context,
  score: Score,
  changes: Changes,
): R[] {
  const { pairs, removed, added } = pairIncidents(kind.records(ctx.state), kind.sightings(ctx.snapshot), kind.cost);
  const kept: R[] = [];
  for (const [record, item] of pairs) {
    const next = kind.merge(record, item);
    if (!kind.changed(record, next)) {
      kept.push(next);
      continue;
    }
    const revised: R = { ...next, revision: record.revision + 1 };
    kept.push(revised);
    const id = eventId(ctx.state.matchId, `${kind.idPrefix}-updated`, record.eventId, String(revised.revision));
    changes.updated.push({ minute: revised.minute, event: kind.updated(record, revised, ctx, id) });
  }
  for (const record of removed) {
    const id = eventId(ctx.state.matchId, `${kind.idPrefix}-cancelled`, record.eventId);
    changes.removed.push({ minute: record.minute, event: kind.cancelled(record, ctx, score, id) });
    changes.retired.push(record.eventId);
  }
  // Announced in time order, whatever order the provider lists them in (substitutions are unsorted).
  for (const item of byMinute(added)) {
    const record = kind.create(item, ctx, byMinute(kept));
    kept.push(record);
    changes.added.push({ minute: record.minute, event: kind.added(record, item, ctx, score) });
  }
  return byMinute(kept);
}

const GOALS: IncidentKind<GoalRecord, GoalItem> = {
  records: (state) => state.goals,
  sightings: (snapshot) => snapshot.goals,
  cost: goalCost,
  idPrefix: 'goal',
  merge: (record, item) => ({
    ...record,
    minute: item.minute,
    scorer: item.scorer,
    scorerId: item.scorerId || record.scorerId,
    assist: item.assist,
    assistId: item.assistId || record.assistId,
    penalty: item.penalty,
    ownGoal: item.ownGoal,
  }),
  changed: (a, b) =>
    a.minute !== b.minute || a.scorer !== b.scorer || a.assist !== b.assist || a.penalty !== b.penalty || a.ownGoal !== b.ownGoal,
  create: (item, ctx) => newGoal(item, ctx),
  added: (record, item, { state }, score) => ({
    type: 'GOAL_SCORED',
    match_id: state.matchId,
    minute: record.minute,
    scorer: record.scorer,
    team: record.side,
    score: formatScore(item.score ?? score),
    ...teamFields(state),
    assist: record.assist === '' ? null : record.assist,
    penalty: record.penalty,
    own_goal: record.ownGoal,
    event_id: record.eventId,
  }),
  updated: (before, after, { state }, id) => ({
    type: 'GOAL_UPDATED',
    match_id: state.matchId,
    minute: after.minute,
    scorer: after.scorer,
    team: after.side,
    assist: after.assist === '' ? null : after.assist,
    penalty: after.penalty,
    own_goal: after.ownGoal,
    previous_minute: before.minute,
    previous_scorer: before.scorer,
    ...teamFields(state),
    goal_event_id: before.eventId,
    event_id: id,
  }),
  cancelled: (record, { state, snapshot }, score, id) => {
    const byVar = snapshot.vars.some(
      (v) => v.side === record.side && v.cancelsGoal && minuteDistance(v.minute, record.minute) <= MINUTE_TOLERANCE,
    );
    return {
      type: 'GOAL_CANCELLED',
      match_id: state.matchId,
      minute: record.minute,
      scorer: record.scorer,
      team: record.side,
      score: formatScore(score),
      ...teamFields(state),
      goal_event_id: record.eventId,
      reason: byVar ? 'VAR' : null,
      event_id: id,
    };
  },
};

const CARDS: IncidentKind<CardRecord, CardItem> = {
  records: (state) => state.cards,
  sightings: (snapshot) => snapshot.cards,
  cost: cardCost,
  idPrefix: 'card',
  merge: (record, item) => ({
    ...record,
    minute: item.minute,
    player: item.player,
    playerId: item.playerId || record.playerId,
    card: item.card,
  }),
  changed: (a, b) => a.minute !== b.minute || a.player !== b.player || a.card !== b.card,
  create: (item, ctx, earlier) => newCard(item, ctx, earlier),
  added: (record, _item, { state }) => ({
    type: 'CARD_ISSUED',
    match_id: state.matchId,
    minute: record.minute,
    player: record.player,
    team: record.side,
    card_type: record.card,
    ...teamFields(state),
    color: record.color,
    second_yellow: record.secondYellow,
    coach: record.coach,
    event_id: record.eventId,
  }),
  updated: (before, after, { state }, id) => ({
    type: 'CARD_UPDATED',
    match_id: state.matchId,
    minute: after.minute,
    player: after.player,
    team: after.side,
    card_type: after.card,
    previous_minute: before.minute,
    previous_player: before.player,
    ...teamFields(state),
    card_event_id: before.eventId,
    event_id: id,
  }),
  cancelled: (record, { state }, _score, id) => ({
    type: 'CARD_CANCELLED',
    match_id: state.matchId,
    minute: record.minute,
    player: record.player,
    team: record.side,
    card_type: record.card,
    ...teamFields(state),
    card_event_id: record.eventId,
    event_id: id,
  }),
};

const SUBSTITUTIONS: IncidentKind<SubRecord, SubItem> = {
  records: (state) => state.substitutions,
  sightings: (snapshot) => snapshot.substitutions,
  cost: substitutionCost,
  idPrefix: 'sub',
  merge: (record, item) => {
    // Ids learnt earlier are kept when the sighting lacks them, from the same player's side.
    const swapped = isSwapped(record, item);
    return {
      ...record,
      minute: item.minute,
      playerIn: item.playerIn,
      playerOut: item.playerOut,
      inId: item.inId || (swapped ? record.outId : record.inId),
      outId: item.outId || (swapped ? record.inId : record.outId),
    };
  },
  changed: (a, b) => a.minute !== b.minute || a.playerIn !== b.playerIn || a.playerOut !== b.playerOut,
  create: (item, ctx) => newSubstitution(item, ctx),
  added: (record, _item, { state }) => ({
    type: 'SUBSTITUTION',
    match_id: state.matchId,
    minute: record.minute,
    player_in: record.playerIn,
    player_out: record.playerOut,
    team: record.side,
    ...teamFields(state),
    event_id: record.eventId,
  }),
  updated: (before, after, { state }, id) => ({
    type: 'SUBSTITUTION_UPDATED',
    match_id: state.matchId,
    minute: after.minute,
    player_in: after.playerIn,
    player_out: after.playerOut,
    team: after.side,
    previous_minute: before.minute,
    ...teamFields(state),
    substitution_event_id: before.eventId,
    event_id: id,
  }),
  cancelled: (record, { state }, _score, id) => ({
    type: 'SUBSTITUTION_CANCELLED',
    match_id: state.matchId,
    minute: record.minute,
    player_in: record.playerIn,
    player_out: record.playerOut,
    team: record.side,
    ...teamFields(state),
    substitution_event_id: record.eventId,
    event_id: id,
  }),
};

/** The no-regression rule: a reply that puts the match in an earlier in-play phase than it reached is late. */
function isRegression(state: MatchState, reported: Phase): boolean {
  const rank = phaseRank(reported);
  if (rank === undefined) return false;
  const reached = Math.max(-1, ...state.phaseHistory.map((p) => phaseRank(p) ?? -1));
  return rank < reached;
}

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
    events.push({
      type: 'SCORE_UPDATE',
      match_id: state.matchId,
      home_team: state.homeTeam,
      away_team: state.awayTeam,
      score: formatScore(score),
      status,
      league_id: state.leagueId,
      event_id: eventId(state.matchId, 'score', String(scoreRevision)),
    });
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

function statusChanged(state: MatchState, previous: Phase): MatchEvent {
  const occurrence = state.phaseHistory.filter((p) => p === state.phase).length;
  return {
    type: 'STATUS_CHANGED',
    match_id: state.matchId,
    home_team: state.homeTeam,
    away_team: state.awayTeam,
    league_id: state.leagueId,
    status: state.status,
    phase: state.phase,
    previous_phase: previous,
    score: formatScore(state.score),
    event_id: eventId(state.matchId, 'status', state.phase, String(occurrence)),
  };
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
