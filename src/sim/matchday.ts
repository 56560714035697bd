/**
 * The scripted matchday resolved into time, provider-neutral: each incident's sim second, each
 * match's listing window, the cycles the matchday loops through and their keys and dates. Pure; the
 * providers' renderers (`render/<provider>.ts`) turn it into wire objects at a given sim second.
 */
import type { Phase } from '@football-streaming-core/client/wire';
import {
  locateMinute,
  planMatch,
  SECS_PER_MINUTE,
  Status,
  type FinalStatus,
  type MatchPhase,
  type MatchPlan,
  type Period,
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

/** `player_key` of scripted players: large like the provider's (they exceed int32, FORMAT.md §10). */
const PLAYER_KEY_BASE = 3_000_000_000;

/** Room for shirt numbers inside a team's block of player keys. */
const PLAYER_KEYS_PER_TEAM = 100;

/** After the last match has left the list, the empty list is served this long before the matchday loops. */
export const LOOP_GAP_SECS = 2 * SECS_PER_MINUTE;

// ---------------------------------------------------------------------------------------------
// Preparation: the script resolved into timed incidents, once at load

export interface TimedIncident<T> {
  readonly incident: T;
  /** Sim seconds after kick-off at which the feed starts listing it. */
  readonly appearSecs: number;
  readonly period: Period;
}

export interface PreparedPlayed {
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

export interface PreparedPostponed {
  readonly script: PostponedMatchScript;
}

export type Prepared = PreparedPlayed | PreparedPostponed;

export function isPlayed(match: Prepared): match is PreparedPlayed {
  return match.script.kind === 'played';
}

/** The numeric `player_key` of a scripted player. */
export function playerKey(team: ScriptTeam, shirtNumber: number): number {
  return PLAYER_KEY_BASE + team.key * PLAYER_KEYS_PER_TEAM + shirtNumber;
}

/** The `player_key` of a player named in the script; throws on a name that is not on the team sheet. */
export function keyOfPlayer(team: ScriptTeam, name: string, context: string): number {
  const player = [...team.starters, ...team.bench].find((p) => p.name === name);
  if (player === undefined) throw new Error(`${context}: "${name}" is not on the ${team.name} team sheet`);
  return playerKey(team, player.number);
}

export function teamOf(script: MatchScript, side: Side): ScriptTeam {
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

export const PREPARED: readonly Prepared[] = MATCHDAY.map((script) =>
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
export function eventDateOf(cycle: number): string {
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
// Scores and listing

export interface Score {
  home: number;
  away: number;
}

export function scoreString(score: Score): string {
  return `${score.home} - ${score.away}`;
}

export function countBySide<T extends { readonly incident: { readonly side: Side } }>(items: readonly T[]): Score {
  const score = { home: 0, away: 0 };
  for (const item of items) score[item.incident.side] += 1;
  return score;
}

export function isGoalCancelled(goal: TimedIncident<GoalIncident>, relSecs: number): boolean {
  const cancel = goal.incident.varCancelled;
  return cancel !== undefined && relSecs >= goal.appearSecs + cancel.afterSecs;
}

export function isInLivescore(match: Prepared, secsInCycle: number): boolean {
  if (!isPlayed(match)) {
    const { listedFromMin, listedUntilMin } = match.script;
    return secsInCycle >= listedFromMin * SECS_PER_MINUTE && secsInCycle < listedUntilMin * SECS_PER_MINUTE;
  }
  const rel = secsInCycle - match.kickoffSecs;
  const isInGap = match.gap !== null && rel >= match.gap.fromSecs && rel < match.gap.untilSecs;
  return rel >= match.listedFromSecs && rel < match.listedUntilSecs && !isInGap;
}

/** The domain phase of each period of play. */
const PHASE_OF_PERIOD: Readonly<Record<Period, Phase>> = {
  'first-half': 'first_half',
  'second-half': 'second_half',
  'extra-first': 'extra_time',
  'extra-second': 'extra_time',
};

/**
 * Where a scripted match stands, in the provider contract's terms (`upstream/provider.ts`): its
 * phase, the minute shown while the ball is in play, and whether a shoot-out is under way or
 * decided it. A renderer for a provider whose wire says this differently from AllSportsAPI (whose
 * wording the clock uses) starts from here rather than from the status text.
 */
export function neutralPhase(at: MatchPhase): { readonly phase: Phase; readonly minute: string | null; readonly shootout: boolean } {
  switch (at.kind) {
    case 'not-started':
      return { phase: 'not_started', minute: null, shootout: false };
    case 'play':
      return { phase: PHASE_OF_PERIOD[at.segment.period], minute: at.status, shootout: false };
    case 'break':
      return at.segment.status === Status.HalfTime
        ? { phase: 'half_time', minute: null, shootout: false }
        : { phase: 'penalties', minute: null, shootout: true };
    case 'ended':
      return { phase: 'finished', minute: null, shootout: at.status === Status.AfterPenalties };
  }
}
