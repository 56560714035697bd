/**
 * Incident specs and `reconcile`: for each kind (goal, card, substitution), how sightings pair with
 * the records already announced, what a sighting changes, and the events that announce, correct and
 * cancel it; `reconcile` applies one kind the same way for all.
 */
import type { CardRecord, GoalRecord, MatchState, Score, SubRecord } from '../domain/match.js';
import { formatScore, type MatchEvent } from '../domain/events.js';
import type { CardItem, GoalItem, MatchSnapshot, SubItem } from '../upstream/provider.js';
import { eventId, incidentCost, MINUTE_TOLERANCE, pairIncidents, playerRelation } from './identity.js';
import { minuteDistance } from './minute.js';
import { byMinute, newCard, newGoal, newSubstitution, teamFields, type Context } from './records.js';

const goalCost = (g: GoalRecord, item: GoalItem): number | undefined =>
  g.side === item.side
    ? incidentCost(playerRelation(g.scorerId, g.scorer, item.scorerId, item.scorer), g.minute, item.minute)
    : undefined;

const cardCost = (c: CardRecord, item: CardItem): number | undefined =>
  c.side === item.side && c.color === item.color
    ? incidentCost(playerRelation(c.playerId, c.player, item.playerId, item.player), c.minute, item.minute)
    : undefined;

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

/** Chronological position of an event produced for an incident, for ordering a poll's output. */
export interface Timed {
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
export interface Changes {
  readonly removed: Timed[];
  readonly updated: Timed[];
  readonly added: Timed[];
  /** Event ids of incidents cancelled in this poll. */
  readonly retired: string[];
}

export function reconcile<R extends IncidentRecord, I extends { readonly minute: string }>(
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

export const GOALS: IncidentKind<GoalRecord, GoalItem> = {
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

export const CARDS: IncidentKind<CardRecord, CardItem> = {
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

export const SUBSTITUTIONS: IncidentKind<SubRecord, SubItem> = {
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
