/**
 * Renders the scripted matchday as AllSportsAPI would answer it at a given simulated second.
 *
 * Pure functions: no clock, no I/O. Objects are built field by field in the order the provider emits
 * them (FORMAT.md §3, §5–§8), with the provider's JSON types (numbers for keys, strings for scores
 * and goal/card ids, numbers for substitution ids, `"1"`/`"0"` for `event_live`).
 */
import {
  INFO_TIME,
  Status,
  locateMinute,
  phaseAt,
  planMatch,
  playedMinutes,
  type FinalStatus,
  type MatchPhase,
  type MatchPlan,
  type Period,
  SECS_PER_MINUTE,
} from './clock.js';
import {
  DAYS_BETWEEN_CYCLES,
  DEFAULT_LINGER_SECS,
  EVENT_KEY_CYCLE_STRIDE,
  MATCHDAY,
  MATCHDAY_FIRST_DATE,
  type CardIncident,
  type GoalIncident,
  type MatchMinute,
  type MatchScript,
  type PlayedMatchScript,
  type PostponedMatchScript,
  type ScriptTeam,
  type Side,
  type SubstitutionIncident,
} from './script.js';

// ---------------------------------------------------------------------------------------------
// Wire shapes

/** One `goalscorers[]` item: twelve string fields (FORMAT.md §5). */
export interface WireGoal {
  time: string;
  home_scorer: string;
  home_scorer_id: string;
  home_assist: string;
  home_assist_id: string;
  score: string;
  away_scorer: string;
  away_scorer_id: string;
  away_assist: string;
  away_assist_id: string;
  info: string;
  info_time: string;
}

/** One `cards[]` item: eight string fields (FORMAT.md §6). */
export interface WireCard {
  time: string;
  home_fault: string;
  card: string;
  away_fault: string;
  info: string;
  home_player_id: string;
  away_player_id: string;
  info_time: string;
}

/** The acting side of a substitution; ids are numbers, unlike goal and card ids. */
export interface WireSubPlayers {
  in: string;
  out: string;
  in_id: number;
  out_id: number;
}

/** One `substitutes[]` item; the side that did not substitute is `[]` (FORMAT.md §7). */
export interface WireSubstitution {
  time: string;
  home_scorer: WireSubPlayers | [];
  home_assist: string | null;
  score: 'substitution';
  away_scorer: WireSubPlayers | [];
  away_assist: string | null;
  info: string | null;
  info_time: string;
}

/** One `vars.*_team[]` item (FORMAT.md §8). */
export interface WireVar {
  var_player_name: string;
  var_minute: string;
  var_player_id: number;
  var_type: string;
  var_event_decision: string;
  var_decision: string;
}

/** One player of a line-up. */
export interface WireLineupPlayer {
  player: string;
  player_number: number;
  player_position: number;
  player_country: null;
  player_key: number;
  info_time: string;
}

/** One coach of a line-up; `coache` is the provider's spelling. */
export interface WireCoach {
  coache: string;
  coache_country: null;
}

/** One side of `lineups`. */
export interface WireLineupSide {
  starting_lineups: WireLineupPlayer[];
  substitutes: WireLineupPlayer[];
  coaches: WireCoach[];
  missing_players: [];
}

/** One `statistics[]` item; values are strings, possession as `"55%"`. */
export interface WireStatistic {
  type: string;
  home: string;
  away: string;
}

/** A match object as Livescore and Fixtures return it (FORMAT.md §3), keys in emitted order. */
export interface WireMatch {
  event_key: number;
  event_date: string;
  event_time: string;
  event_home_team: string;
  home_team_key: number;
  event_away_team: string;
  away_team_key: number;
  event_halftime_result: string;
  event_final_result: string;
  event_ft_result: string;
  event_penalty_result: string;
  event_status: string;
  country_name: string;
  league_name: string;
  league_key: number;
  league_round: string;
  league_season: string;
  event_live: '0' | '1';
  event_stadium: string;
  event_referee: string;
  home_team_logo: string;
  away_team_logo: string;
  event_country_key: number;
  league_logo: string | null;
  country_logo: string | null;
  event_home_formation: string;
  event_away_formation: string;
  fk_stage_key: number;
  stage_name: string;
  league_group: null;
  goalscorers: WireGoal[];
  substitutes: WireSubstitution[];
  cards: WireCard[];
  vars: { home_team: WireVar[]; away_team: WireVar[] };
  lineups: { home_team: WireLineupSide; away_team: WireLineupSide };
  statistics: WireStatistic[];
}

/** A successful answer. */
export interface WireSuccess {
  success: 1;
  result: WireMatch[];
}

/** One item of an error answer's `result`. */
export interface WireErrorItem {
  param: string;
  msg: string;
  cod: number;
}

/** An error answer: HTTP 200 with `success: 0` and error objects in `result` (FORMAT.md §2). */
export interface WireError {
  success: 0;
  error: '1';
  result: WireErrorItem[];
}

// ---------------------------------------------------------------------------------------------
// Constants

/** `player_key` of scripted players: large like the provider's (they exceed int32, FORMAT.md §10). */
const PLAYER_KEY_BASE = 3_000_000_000;

/** Room for shirt numbers inside a team's block of player keys. */
const PLAYER_KEYS_PER_TEAM = 100;

const LOGO_BASE_URL = 'https://apiv2.allsportsapi.com/logo';

/** Livescore and Fixtures show `"-"` as the score of a match that has not started or is postponed. */
const NO_SCORE = '-';

/** The provider writes a postponed match's kick-off as midnight (FORMAT.md §3). */
const POSTPONED_EVENT_TIME = '00:00';

/** After the last match has left the list, the empty list is served this long before the matchday loops. */
export const LOOP_GAP_SECS = 2 * SECS_PER_MINUTE;

/** The VAR entry the feed adds when it cancels a goal. */
const VAR_GOAL_CANCELLED = 'Goal cancelled';

/** Statistics grow with minutes played: one shot every this many minutes at an even share of the ball. */
const MINUTES_PER_SHOT = 9;
const MINUTES_PER_SHOT_ON_TARGET = 24;
const MINUTES_PER_CORNER = 13;
const MINUTES_PER_FOUL = 7;
const EVEN_POSSESSION = 50;

// ---------------------------------------------------------------------------------------------
// Preparation: the script resolved into timed incidents, once at load

interface TimedIncident<T> {
  readonly incident: T;
  /** Sim seconds after kick-off at which the feed starts listing it. */
  readonly appearSecs: number;
  readonly period: Period;
}

interface PreparedPlayed {
  readonly script: PlayedMatchScript;
  readonly plan: MatchPlan;
  readonly kickoffSecs: number;
  /** Chronological. */
  readonly goals: readonly TimedIncident<GoalIncident>[];
  /** Chronological. */
  readonly cards: readonly TimedIncident<CardIncident>[];
  /** In the order the feed lists them: grouped by side, script order inside a side. */
  readonly subs: readonly TimedIncident<SubstitutionIncident>[];
  /** Livescore window, in sim seconds after kick-off. */
  readonly listedFromSecs: number;
  readonly listedUntilSecs: number;
  readonly gap: { readonly fromSecs: number; readonly untilSecs: number } | null;
}

interface PreparedPostponed {
  readonly script: PostponedMatchScript;
}

type Prepared = PreparedPlayed | PreparedPostponed;

function isPlayed(match: Prepared): match is PreparedPlayed {
  return match.script.kind === 'played';
}

/** The numeric `player_key` of a scripted player. */
export function playerKey(team: ScriptTeam, shirtNumber: number): number {
  return PLAYER_KEY_BASE + team.key * PLAYER_KEYS_PER_TEAM + shirtNumber;
}

/** The `player_key` of a player named in the script; throws on a name that is not on the team sheet. */
function keyOfPlayer(team: ScriptTeam, name: string, context: string): number {
  const player = [...team.starters, ...team.bench].find((p) => p.name === name);
  if (player === undefined) throw new Error(`${context}: "${name}" is not on the ${team.name} team sheet`);
  return playerKey(team, player.number);
}

function teamOf(script: MatchScript, side: Side): ScriptTeam {
  return side === 'home' ? script.home : script.away;
}

function timed<T extends { readonly minute: MatchMinute }>(plan: MatchPlan, incident: T): TimedIncident<T> {
  const location = locateMinute(plan, incident.minute);
  return { incident, appearSecs: location.relSecs, period: location.segment.period };
}

function byAppearance<T>(a: TimedIncident<T>, b: TimedIncident<T>): number {
  return a.appearSecs - b.appearSecs;
}

/** Resolves one played match and checks every name and minute, so a script mistake fails at load. */
function preparePlayed(script: PlayedMatchScript): PreparedPlayed {
  const plan = planMatch(script);
  const context = `match ${script.label}`;
  const goals: TimedIncident<GoalIncident>[] = [];
  const cards: TimedIncident<CardIncident>[] = [];
  const subs: TimedIncident<SubstitutionIncident>[] = [];
  for (const incident of script.incidents) {
    const team = teamOf(script, incident.side);
    switch (incident.kind) {
      case 'goal':
        keyOfPlayer(team, incident.scorer, context);
        if (incident.assist !== undefined) keyOfPlayer(team, incident.assist, context);
        if (incident.firstListedAt !== undefined) locateMinute(plan, incident.firstListedAt.minute);
        goals.push(timed(plan, incident));
        break;
      case 'card':
        if (incident.person !== '' && incident.person !== team.coach) keyOfPlayer(team, incident.person, context);
        cards.push(timed(plan, incident));
        break;
      case 'sub':
        keyOfPlayer(team, incident.playerIn, context);
        keyOfPlayer(team, incident.playerOut, context);
        subs.push(timed(plan, incident));
        break;
    }
  }
  const firstSide = script.subsFirstSide;
  const listedSubs = [
    ...subs.filter((s) => s.incident.side === firstSide),
    ...subs.filter((s) => s.incident.side !== firstSide),
  ];
  const gap =
    script.livescoreGap === undefined
      ? null
      : (() => {
          const fromSecs = locateMinute(plan, script.livescoreGap.fromMinute).relSecs;
          return { fromSecs, untilSecs: fromSecs + script.livescoreGap.durationSecs };
        })();
  return {
    script,
    plan,
    kickoffSecs: script.kickoffMin * SECS_PER_MINUTE,
    goals: goals.sort(byAppearance),
    cards: cards.sort(byAppearance),
    subs: listedSubs,
    listedFromSecs: -(script.listedBeforeKickoffSecs ?? 0),
    listedUntilSecs: plan.endSecs + (script.lingerAfterEndSecs ?? DEFAULT_LINGER_SECS),
    gap,
  };
}

const PREPARED: readonly Prepared[] = MATCHDAY.map((script) =>
  script.kind === 'played' ? preparePlayed(script) : { script },
);

/** Sim second (within a cycle) after which the match is no longer in the Livescore list. */
function leavesLivescoreAt(match: Prepared): number {
  return isPlayed(match) ? match.kickoffSecs + match.listedUntilSecs : match.script.listedUntilMin * SECS_PER_MINUTE;
}

/**
 * Length of one matchday cycle in sim seconds: until the last match has left Livescore, plus a short
 * empty stretch. `renderLivescore(s)` and `renderLivescore(s + matchdayLengthSecs)` differ only in keys and date.
 */
export const matchdayLengthSecs: number = Math.max(...PREPARED.map(leavesLivescoreAt)) + LOOP_GAP_SECS;

// ---------------------------------------------------------------------------------------------
// Cycles and keys

/** Which loop of the matchday `simSecs` falls in (0 for the first). */
export function cycleOf(simSecs: number): number {
  return Math.floor(checkSimSecs(simSecs) / matchdayLengthSecs);
}

/** The `event_key` of a scripted match in a given cycle. */
export function eventKeyFor(script: MatchScript, cycle: number): number {
  return script.eventKey + cycle * EVENT_KEY_CYCLE_STRIDE;
}

function checkSimSecs(simSecs: number): number {
  if (!Number.isFinite(simSecs) || simSecs < 0) {
    throw new RangeError(`simSecs must be a finite number >= 0, got ${simSecs}`);
  }
  return simSecs;
}

/** `event_date` of a cycle: a week per loop, so each cycle looks like the next matchday. */
function eventDateOf(cycle: number): string {
  const MS_PER_DAY = 86_400_000;
  const first = Date.parse(`${MATCHDAY_FIRST_DATE}T00:00:00Z`);
  return new Date(first + cycle * DAYS_BETWEEN_CYCLES * MS_PER_DAY).toISOString().slice(0, 10);
}

/** What tests and tools need to know about a scripted match in one cycle; times are absolute sim seconds. */
export interface ScriptedMatchInfo {
  readonly label: string;
  readonly kind: MatchScript['kind'];
  readonly eventKey: number;
  readonly leagueName: string;
  readonly homeTeam: string;
  readonly awayTeam: string;
  /** `null` for a postponed match. */
  readonly kickoffSecs: number | null;
  /** When the status turns final; `null` for a postponed match. */
  readonly endSecs: number | null;
  readonly finalStatus: FinalStatus | typeof Status.Postponed;
  /** Listed in Livescore in `[livescoreFromSecs, livescoreUntilSecs)`, except during `livescoreGap`. */
  readonly livescoreFromSecs: number;
  readonly livescoreUntilSecs: number;
  readonly livescoreGap: { readonly fromSecs: number; readonly untilSecs: number } | null;
  /** The match's clock plan relative to its kick-off; `null` for a postponed match. */
  readonly plan: MatchPlan | null;
  readonly script: MatchScript;
}

/** The scripted matches of a cycle, in Livescore order. */
export function scriptedMatches(cycle = 0): ScriptedMatchInfo[] {
  const cycleStart = cycle * matchdayLengthSecs;
  return PREPARED.map((match): ScriptedMatchInfo => {
    const common = {
      label: match.script.label,
      kind: match.script.kind,
      eventKey: eventKeyFor(match.script, cycle),
      leagueName: match.script.league.name,
      homeTeam: match.script.home.name,
      awayTeam: match.script.away.name,
      script: match.script,
    };
    if (!isPlayed(match)) {
      return {
        ...common,
        kickoffSecs: null,
        endSecs: null,
        finalStatus: Status.Postponed,
        livescoreFromSecs: cycleStart + match.script.listedFromMin * SECS_PER_MINUTE,
        livescoreUntilSecs: cycleStart + match.script.listedUntilMin * SECS_PER_MINUTE,
        livescoreGap: null,
        plan: null,
      };
    }
    const kickoff = cycleStart + match.kickoffSecs;
    return {
      ...common,
      kickoffSecs: kickoff,
      endSecs: kickoff + match.plan.endSecs,
      finalStatus: match.plan.finalStatus,
      livescoreFromSecs: kickoff + match.listedFromSecs,
      livescoreUntilSecs: kickoff + match.listedUntilSecs,
      livescoreGap:
        match.gap === null ? null : { fromSecs: kickoff + match.gap.fromSecs, untilSecs: kickoff + match.gap.untilSecs },
      plan: match.plan,
    };
  });
}

/** Absolute sim second at which the incident scripted at `minute` appears in match `label`. */
export function incidentSecs(label: string, minute: MatchMinute, cycle = 0): number {
  const match = PREPARED.find((m) => m.script.label === label);
  if (match === undefined || !isPlayed(match)) throw new Error(`no played match labelled "${label}"`);
  return cycle * matchdayLengthSecs + match.kickoffSecs + locateMinute(match.plan, minute).relSecs;
}

// ---------------------------------------------------------------------------------------------
// Rendering

interface Score {
  home: number;
  away: number;
}

function scoreString(score: Score): string {
  return `${score.home} - ${score.away}`;
}

function countBySide<T extends { readonly incident: { readonly side: Side } }>(items: readonly T[]): Score {
  const score = { home: 0, away: 0 };
  for (const item of items) score[item.incident.side] += 1;
  return score;
}

function isGoalCancelled(goal: TimedIncident<GoalIncident>, relSecs: number): boolean {
  const cancel = goal.incident.varCancelled;
  return cancel !== undefined && relSecs >= goal.appearSecs + cancel.afterSecs;
}

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
    league_logo: script.league.leagueLogo,
    country_logo: script.league.countryLogo,
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

function renderAt(match: Prepared, cycle: number, secsInCycle: number): WireMatch {
  return isPlayed(match)
    ? renderPlayed(match, cycle, secsInCycle - match.kickoffSecs)
    : renderPostponed(match, cycle);
}

function isInLivescore(match: Prepared, secsInCycle: number): boolean {
  if (!isPlayed(match)) {
    const { listedFromMin, listedUntilMin } = match.script;
    return secsInCycle >= listedFromMin * SECS_PER_MINUTE && secsInCycle < listedUntilMin * SECS_PER_MINUTE;
  }
  const rel = secsInCycle - match.kickoffSecs;
  const isInGap = match.gap !== null && rel >= match.gap.fromSecs && rel < match.gap.untilSecs;
  return rel >= match.listedFromSecs && rel < match.listedUntilSecs && !isInGap;
}

/** Optional Livescore filters the provider supports (FORMAT.md §1). */
export interface LivescoreFilter {
  readonly matchId?: number;
  readonly leagueId?: number;
}

/** The Livescore answer at `simSecs`: every match currently listed, in script order. */
export function renderLivescore(simSecs: number, filter: LivescoreFilter = {}): WireSuccess {
  const cycle = cycleOf(simSecs);
  const secsInCycle = simSecs - cycle * matchdayLengthSecs;
  const result = PREPARED.filter((match) => isInLivescore(match, secsInCycle))
    .map((match) => renderAt(match, cycle, secsInCycle))
    .filter(
      (m) =>
        (filter.matchId === undefined || m.event_key === filter.matchId) &&
        (filter.leagueId === undefined || m.league_key === filter.leagueId),
    );
  return { success: 1, result };
}

/**
 * The `met=Fixtures&matchId=` answer at `simSecs`: the match in any state (not started, live, finished,
 * postponed) while its cycle lasts; `result: []` for a key of another cycle or no scripted match.
 */
export function renderFixture(matchId: number, simSecs: number): WireSuccess {
  const cycle = cycleOf(simSecs);
  const secsInCycle = simSecs - cycle * matchdayLengthSecs;
  const match = PREPARED.find((m) => eventKeyFor(m.script, cycle) === matchId);
  return { success: 1, result: match === undefined ? [] : [renderAt(match, cycle, secsInCycle)] };
}

/** Error codes seen in the provider family's error bodies (FORMAT.md §2). */
export const ProviderErrorCode = {
  /** A parameter is missing or not acceptable ("The field is mandatory"). */
  InvalidParameter: 1005,
} as const;

/** An error answer in the provider's shape; it has no `event_key`, so parsers must not take it for a match. */
export function renderError(param: string, msg: string, cod: number = ProviderErrorCode.InvalidParameter): WireError {
  return { success: 0, error: '1', result: [{ param, msg, cod }] };
}

const PHP_ESCAPED = /[/\u007f-\uffff]/g;

/**
 * Serialises like the provider's PHP backend: `/` as `\/` and non-ASCII as `\uXXXX`
 * (FORMAT.md §2), so clients are tested against the escapes they will really get.
 */
export function toProviderJson(value: unknown): string {
  return JSON.stringify(value).replace(PHP_ESCAPED, (ch) =>
    ch === '/' ? '\\/' : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
