/**
 * Renders one scripted match (`../../matchday.ts`) as an AllSportsAPI match object at a given
 * simulated second.
 *
 * Pure functions: no clock, no I/O. Objects are built field by field in the order the provider emits
 * them (FORMAT.md §3, §5–§8), with the provider's JSON types (`../../upstream/allsportsapi/wire.ts`).
 */
import type {
  WireCard,
  WireGoal,
  WireLineupPlayer,
  WireLineupSide,
  WireMatch,
  WireStatistic,
  WireSubPlayers,
  WireSubstitution,
  WireVar,
} from '../../../upstream/allsportsapi/wire.js';
import { INFO_TIME, Status, phaseAt, playedMinutes, type MatchPhase } from '../../clock.js';
import {
  countBySide,
  eventDateOf,
  eventKeyFor,
  isGoalCancelled,
  isPlayed,
  keyOfPlayer,
  playerKey,
  scoreString,
  teamOf,
  type Prepared,
  type PreparedPlayed,
  type PreparedPostponed,
  type Score,
  type TimedIncident,
} from '../../matchday.js';
import type { CardIncident, GoalIncident, MatchScript, ScriptTeam, Side, SubstitutionIncident } from '../../script.js';

export type * from '../../../upstream/allsportsapi/wire.js';
export { cycleOf, eventKeyFor, incidentSecs, LOOP_GAP_SECS, matchdayLengthSecs, playerKey, scriptedMatches, type ScriptedMatchInfo } from '../../matchday.js';

const LOGO_BASE_URL = 'https://apiv2.allsportsapi.com/logo';

/** Livescore and Fixtures show `"-"` as the score of a match that has not started or is postponed. */
const NO_SCORE = '-';

/** The provider writes a postponed match's kick-off as midnight (FORMAT.md §3). */
const POSTPONED_EVENT_TIME = '00:00';

/** The VAR entry the feed adds when it cancels a goal. */
const VAR_GOAL_CANCELLED = 'Goal cancelled';

/** Statistics grow with minutes played: one shot every this many minutes at an even share of the ball. */
const MINUTES_PER_SHOT = 9;
const MINUTES_PER_SHOT_ON_TARGET = 24;
const MINUTES_PER_CORNER = 13;
const MINUTES_PER_FOUL = 7;
const EVEN_POSSESSION = 50;

// ---------------------------------------------------------------------------------------------
// Rendering

function renderGoal(match: PreparedPlayed, goal: TimedIncident<GoalIncident>, runningScore: Score, relSecs: number): WireGoal {
  const { incident } = goal;
  const team = teamOf(match.script, incident.side);
  const sinceAppeared = relSecs - goal.appearSecs;
  const isIdHidden =
    incident.scorerIdKnown === false ||
    (incident.scorerIdDelaySecs !== undefined && sinceAppeared < incident.scorerIdDelaySecs);
  const isMinuteUncorrected =
    incident.firstListedAt !== undefined && sinceAppeared < incident.firstListedAt.correctedAfterSecs;
  const scorer = incident.scorer;
  const scorerId = isIdHidden ? '' : String(keyOfPlayer(team, scorer, match.script.label));
  const assist = incident.assist ?? '';
  const assistId = incident.assist === undefined ? '' : String(keyOfPlayer(team, incident.assist, match.script.label));
  const isHome = incident.side === 'home';
  return {
    time: isMinuteUncorrected && incident.firstListedAt !== undefined ? incident.firstListedAt.minute : incident.minute,
    home_scorer: isHome ? scorer : '',
    home_scorer_id: isHome ? scorerId : '',
    home_assist: isHome ? assist : '',
    home_assist_id: isHome ? assistId : '',
    score: scoreString(runningScore),
    away_scorer: isHome ? '' : scorer,
    away_scorer_id: isHome ? '' : scorerId,
    away_assist: isHome ? '' : assist,
    away_assist_id: isHome ? '' : assistId,
    info: incident.penalty === true ? 'Penalty' : '',
    info_time: INFO_TIME[goal.period],
  };
}

function renderCard(match: PreparedPlayed, card: TimedIncident<CardIncident>): WireCard {
  const { incident } = card;
  const team = teamOf(match.script, incident.side);
  const isNameless = incident.person === '';
  const isCoach = incident.person === team.coach;
  const playerId =
    isNameless || isCoach || incident.idKnown === false ? '' : String(keyOfPlayer(team, incident.person, match.script.label));
  const isHome = incident.side === 'home';
  return {
    time: incident.minute,
    home_fault: isHome ? incident.person : '',
    card: incident.card,
    away_fault: isHome ? '' : incident.person,
    // The side of a nameless card is only in `info` (FORMAT.md §6).
    info: isNameless ? incident.side : '',
    home_player_id: isHome ? playerId : '',
    away_player_id: isHome ? '' : playerId,
    info_time: INFO_TIME[card.period],
  };
}

function renderSubstitution(match: PreparedPlayed, sub: TimedIncident<SubstitutionIncident>): WireSubstitution {
  const { incident } = sub;
  const team = teamOf(match.script, incident.side);
  const players: WireSubPlayers = {
    in: incident.playerIn,
    out: incident.playerOut,
    in_id: keyOfPlayer(team, incident.playerIn, match.script.label),
    out_id: keyOfPlayer(team, incident.playerOut, match.script.label),
  };
  const isHome = incident.side === 'home';
  const empty = match.script.subsEmptyValue;
  return {
    time: incident.minute,
    home_scorer: isHome ? players : [],
    home_assist: empty,
    score: 'substitution',
    away_scorer: isHome ? [] : players,
    away_assist: empty,
    info: empty,
    info_time: INFO_TIME[sub.period],
  };
}

function renderVar(match: PreparedPlayed, goal: TimedIncident<GoalIncident>, fullName: string): WireVar {
  const team = teamOf(match.script, goal.incident.side);
  return {
    var_player_name: fullName,
    var_minute: goal.incident.minute,
    var_player_id: keyOfPlayer(team, goal.incident.scorer, match.script.label),
    var_type: VAR_GOAL_CANCELLED,
    var_event_decision: VAR_GOAL_CANCELLED,
    var_decision: 'True',
  };
}

function renderLineupSide(team: ScriptTeam): WireLineupSide {
  const player = (p: { number: number; name: string }, position: number): WireLineupPlayer => ({
    player: p.name,
    player_number: p.number,
    player_position: position,
    player_country: null,
    player_key: playerKey(team, p.number),
    info_time: '',
  });
  return {
    starting_lineups: team.starters.map((p, index) => player(p, index + 1)),
    substitutes: team.bench.map((p) => player(p, 0)),
    coaches: [{ coache: team.coach, coache_country: null }],
    missing_players: [],
  };
}

function emptyLineupSide(): WireLineupSide {
  return { starting_lineups: [], substitutes: [], coaches: [], missing_players: [] };
}

function renderStatistics(
  match: PreparedPlayed,
  relSecs: number,
  cards: readonly TimedIncident<CardIncident>[],
  subCount: Score,
): WireStatistic[] {
  const played = playedMinutes(match.plan, relSecs);
  const possession = { home: match.script.possessionHome, away: 100 - match.script.possessionHome };
  // Shots include goals later cancelled by VAR, so no counter ever goes down.
  const goalsAttempted = countBySide(match.goals.filter((g) => g.appearSecs <= relSecs));
  const yellow = countBySide(cards.filter((c) => c.incident.card === 'yellow card'));
  const red = countBySide(cards.filter((c) => c.incident.card === 'red card'));
  const perSide = (compute: (side: Side) => number | string, type: string): WireStatistic => ({
    type,
    home: String(compute('home')),
    away: String(compute('away')),
  });
  const rate = (side: Side, minutesPerEvent: number): number =>
    Math.floor((played * possession[side]) / EVEN_POSSESSION / minutesPerEvent);
  return [
    perSide((side) => goalsAttempted[side] + rate(side, MINUTES_PER_SHOT), 'Shots Total'),
    perSide((side) => goalsAttempted[side] + rate(side, MINUTES_PER_SHOT_ON_TARGET), 'Shots On Goal'),
    perSide((side) => rate(side, MINUTES_PER_CORNER), 'Corners'),
    // The side with less of the ball fouls more.
    perSide((side) => Math.floor((played * possession[side === 'home' ? 'away' : 'home']) / EVEN_POSSESSION / MINUTES_PER_FOUL), 'Fouls'),
    perSide((side) => yellow[side], 'Yellow Cards'),
    perSide((side) => red[side], 'Red Cards'),
    perSide((side) => subCount[side], 'Substitution'),
    perSide((side) => `${possession[side]}%`, 'Ball Possession'),
  ];
}

/** The parts of a match object that depend only on the script and the cycle. */
function staticFields(script: MatchScript, cycle: number) {
  const logo = (team: ScriptTeam): string => `${LOGO_BASE_URL}/${team.key}_${team.logoSlug}.jpg`;
  return {
    event_key: eventKeyFor(script, cycle),
    event_date: eventDateOf(cycle),
    event_time: script.kind === 'postponed' ? POSTPONED_EVENT_TIME : script.eventTime,
    event_home_team: script.home.name,
    home_team_key: script.home.key,
    event_away_team: script.away.name,
    away_team_key: script.away.key,
    country_name: script.league.countryName,
    league_name: script.league.name,
    league_key: script.league.key,
    league_round: script.league.round,
    league_season: script.league.season,
    event_stadium: script.stadium,
    event_referee: script.referee,
    home_team_logo: logo(script.home),
    away_team_logo: logo(script.away),
    event_country_key: script.league.countryKey,
    league_logo: script.league.leagueLogo === null ? null : `${LOGO_BASE_URL}/logo_leagues/${script.league.leagueLogo}`,
    country_logo: script.league.countryLogo === null ? null : `${LOGO_BASE_URL}/logo_country/${script.league.countryLogo}`,
    event_home_formation: script.home.formation,
    event_away_formation: script.away.formation,
    fk_stage_key: script.league.stageKey,
    stage_name: script.league.stageName,
  };
}

/** The parts of a match object that change as it is played. */
type LiveFields = Pick<
  WireMatch,
  | 'event_halftime_result'
  | 'event_final_result'
  | 'event_ft_result'
  | 'event_penalty_result'
  | 'event_status'
  | 'event_live'
  | 'goalscorers'
  | 'substitutes'
  | 'cards'
  | 'vars'
  | 'lineups'
  | 'statistics'
>;

/** Puts static and live fields together in the provider's key order. */
function assemble(fixed: ReturnType<typeof staticFields>, live: LiveFields): WireMatch {
  return {
    event_key: fixed.event_key,
    event_date: fixed.event_date,
    event_time: fixed.event_time,
    event_home_team: fixed.event_home_team,
    home_team_key: fixed.home_team_key,
    event_away_team: fixed.event_away_team,
    away_team_key: fixed.away_team_key,
    event_halftime_result: live.event_halftime_result,
    event_final_result: live.event_final_result,
    event_ft_result: live.event_ft_result,
    event_penalty_result: live.event_penalty_result,
    event_status: live.event_status,
    country_name: fixed.country_name,
    league_name: fixed.league_name,
    league_key: fixed.league_key,
    league_round: fixed.league_round,
    league_season: fixed.league_season,
    event_live: live.event_live,
    event_stadium: fixed.event_stadium,
    event_referee: fixed.event_referee,
    home_team_logo: fixed.home_team_logo,
    away_team_logo: fixed.away_team_logo,
    event_country_key: fixed.event_country_key,
    league_logo: fixed.league_logo,
    country_logo: fixed.country_logo,
    event_home_formation: fixed.event_home_formation,
    event_away_formation: fixed.event_away_formation,
    fk_stage_key: fixed.fk_stage_key,
    stage_name: fixed.stage_name,
    league_group: null,
    goalscorers: live.goalscorers,
    substitutes: live.substitutes,
    cards: live.cards,
    vars: live.vars,
    lineups: live.lineups,
    statistics: live.statistics,
  };
}

function renderPostponed(match: PreparedPostponed, cycle: number): WireMatch {
  return assemble(staticFields(match.script, cycle), {
    event_halftime_result: '',
    event_final_result: NO_SCORE,
    event_ft_result: '',
    event_penalty_result: '',
    event_status: Status.Postponed,
    event_live: '0',
    goalscorers: [],
    substitutes: [],
    cards: [],
    vars: { home_team: [], away_team: [] },
    lineups: { home_team: emptyLineupSide(), away_team: emptyLineupSide() },
    statistics: [],
  });
}

/** `event_final_result` after a shoot-out: the provider credits the winner one goal (FORMAT.md §4). */
function scoreAfterShootout(afterExtraTime: Score, penalties: { home: number; away: number }): Score {
  const isHomeWinner = penalties.home > penalties.away;
  return {
    home: afterExtraTime.home + (isHomeWinner ? 1 : 0),
    away: afterExtraTime.away + (isHomeWinner ? 0 : 1),
  };
}

function renderPlayed(match: PreparedPlayed, cycle: number, relSecs: number): WireMatch {
  const fixed = staticFields(match.script, cycle);
  const lineups = { home_team: renderLineupSide(match.script.home), away_team: renderLineupSide(match.script.away) };
  const phase: MatchPhase = phaseAt(match.plan, relSecs);
  if (phase.kind === 'not-started') {
    return assemble(fixed, {
      event_halftime_result: '',
      event_final_result: NO_SCORE,
      event_ft_result: '',
      event_penalty_result: '',
      event_status: Status.NotStarted,
      event_live: '0',
      goalscorers: [],
      substitutes: [],
      cards: [],
      vars: { home_team: [], away_team: [] },
      lineups,
      statistics: [],
    });
  }

  const goals = match.goals.filter((g) => g.appearSecs <= relSecs && !isGoalCancelled(g, relSecs));
  const running: Score = { home: 0, away: 0 };
  const goalscorers = goals.map((goal) => {
    running[goal.incident.side] += 1;
    return renderGoal(match, goal, { ...running }, relSecs);
  });
  const isFirstHalf = phase.kind === 'play' && phase.segment.period === 'first-half';
  const halftime = isFirstHalf ? running : countBySide(goals.filter((g) => g.period === 'first-half'));
  const afterNinety = countBySide(goals.filter((g) => g.period === 'first-half' || g.period === 'second-half'));

  const isEnded = phase.kind === 'ended';
  const penalties = match.script.penalties;
  let finalResult = scoreString(running);
  let ftResult = '';
  let penaltyResult = '';
  if (isEnded) {
    // After ET the ft field keeps the 90' score; after penalties it holds the 120' score (FORMAT.md §4).
    ftResult = scoreString(phase.status === Status.AfterExtraTime ? afterNinety : running);
    if (phase.status === Status.AfterPenalties && penalties !== undefined) {
      penaltyResult = scoreString(penalties);
      finalResult = scoreString(scoreAfterShootout(running, penalties));
    }
  }
  const isLingeringLive = match.script.liveWhileLingering === true && relSecs < match.listedUntilSecs;
  const cards = match.cards.filter((c) => c.appearSecs <= relSecs);
  const subs = match.subs.filter((s) => s.appearSecs <= relSecs);
  const vars: { home_team: WireVar[]; away_team: WireVar[] } = { home_team: [], away_team: [] };
  for (const goal of match.goals) {
    const cancel = goal.incident.varCancelled;
    if (cancel === undefined || !isGoalCancelled(goal, relSecs)) continue;
    vars[goal.incident.side === 'home' ? 'home_team' : 'away_team'].push(renderVar(match, goal, cancel.playerFullName));
  }

  return assemble(fixed, {
    event_halftime_result: scoreString(halftime),
    event_final_result: finalResult,
    event_ft_result: ftResult,
    event_penalty_result: penaltyResult,
    event_status: phase.status,
    event_live: !isEnded || isLingeringLive ? '1' : '0',
    goalscorers,
    substitutes: subs.map((s) => renderSubstitution(match, s)),
    cards: cards.map((c) => renderCard(match, c)),
    vars,
    lineups,
    statistics: renderStatistics(match, relSecs, cards, countBySide(subs)),
  });
}

/** One scripted match as a Livescore / Fixtures match object, at `secsInCycle` of `cycle`. */
export function renderAt(match: Prepared, cycle: number, secsInCycle: number): WireMatch {
  return isPlayed(match)
    ? renderPlayed(match, cycle, secsInCycle - match.kickoffSecs)
    : renderPostponed(match, cycle);
}
