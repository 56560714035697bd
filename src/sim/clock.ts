/**
 * The match clock of the simulated provider: where each period starts, which `event_status` the feed
 * shows at a given moment, and when an incident written as `"45+2"` happens. Pure: callers pass the
 * time in sim seconds since kick-off.
 */
import type { MatchMinute, PlayedMatchScript } from './script.js';

/** Sim seconds in a match minute. */
export const SECS_PER_MINUTE = 60;

/** Half time is compressed to five sim minutes so the demo does not stall. */
export const HALF_TIME_SECS = 5 * SECS_PER_MINUTE;

/** Incidents appear half-way through their minute, so the status already shows that minute. */
export const INCIDENT_OFFSET_IN_MINUTE_SECS = 30;

/** Minutes of play in each half of regular time. */
const REGULAR_HALF_MIN = 45;

/** Minutes of play in each half of extra time. */
const EXTRA_HALF_MIN = 15;

/** The `event_status` values that are not a minute. */
export const Status = {
  NotStarted: '',
  HalfTime: 'Half Time',
  Penalties: 'Penalties',
  Finished: 'Finished',
  AfterExtraTime: 'After ET',
  AfterPenalties: 'After Pen.',
  Postponed: 'Postponed',
} as const;

/** How a played match ends. */
export type FinalStatus = typeof Status.Finished | typeof Status.AfterExtraTime | typeof Status.AfterPenalties;

/** The four periods of play; the names are also used to decide what counts for which score. */
export type Period = 'first-half' | 'second-half' | 'extra-first' | 'extra-second';

/** The `info_time` the feed writes for incidents in each period (extra time: no recording, our choice). */
export const INFO_TIME: Readonly<Record<Period, string>> = {
  'first-half': '1st Half',
  'second-half': '2nd Half',
  'extra-first': 'Extra Time',
  'extra-second': 'Extra Time',
};

/** A stretch of play: minutes `baseMinute+1 .. baseMinute+regularMin`, then `stoppageMin` shown as "N+". */
export interface PlaySegment {
  readonly kind: 'play';
  readonly period: Period;
  /** Sim seconds after kick-off. */
  readonly startSecs: number;
  readonly baseMinute: number;
  readonly regularMin: number;
  readonly stoppageMin: number;
}

/** A stretch without play and with a fixed status: half time or the shoot-out. */
export interface BreakSegment {
  readonly kind: 'break';
  readonly status: typeof Status.HalfTime | typeof Status.Penalties;
  readonly startSecs: number;
  readonly lengthSecs: number;
}

/** One part of a match's timeline. */
export type Segment = PlaySegment | BreakSegment;

/** The timeline of one played match, relative to its kick-off. */
export interface MatchPlan {
  readonly segments: readonly Segment[];
  /** Sim seconds after kick-off at which the match ends and shows `finalStatus`. */
  readonly endSecs: number;
  readonly finalStatus: FinalStatus;
}

/** Where a match stands at one moment. */
export type MatchPhase =
  | { readonly kind: 'not-started' }
  | { readonly kind: 'play'; readonly segment: PlaySegment; readonly status: string }
  | { readonly kind: 'break'; readonly segment: BreakSegment; readonly status: string }
  | { readonly kind: 'ended'; readonly status: FinalStatus };

/** Length of a play segment in sim seconds, stoppage included. */
export function segmentLengthSecs(segment: Segment): number {
  return segment.kind === 'play' ? (segment.regularMin + segment.stoppageMin) * SECS_PER_MINUTE : segment.lengthSecs;
}

/** Lays out the periods of a scripted match one after the other. */
export function planMatch(script: PlayedMatchScript): MatchPlan {
  const segments: Segment[] = [];
  let cursor = 0;
  const addPlay = (period: Period, baseMinute: number, regularMin: number, stoppageMin: number): void => {
    const segment: PlaySegment = { kind: 'play', period, startSecs: cursor, baseMinute, regularMin, stoppageMin };
    segments.push(segment);
    cursor += segmentLengthSecs(segment);
  };
  const addBreak = (status: BreakSegment['status'], lengthSecs: number): void => {
    segments.push({ kind: 'break', status, startSecs: cursor, lengthSecs });
    cursor += lengthSecs;
  };

  addPlay('first-half', 0, REGULAR_HALF_MIN, script.firstHalfStoppageMin);
  addBreak(Status.HalfTime, HALF_TIME_SECS);
  addPlay('second-half', REGULAR_HALF_MIN, REGULAR_HALF_MIN, script.secondHalfStoppageMin);
  let finalStatus: FinalStatus = Status.Finished;
  if (script.extraTime !== undefined) {
    // No break before or inside extra time: the feed's label for those breaks was never recorded.
    addPlay('extra-first', 2 * REGULAR_HALF_MIN, EXTRA_HALF_MIN, script.extraTime.firstStoppageMin);
    addPlay('extra-second', 2 * REGULAR_HALF_MIN + EXTRA_HALF_MIN, EXTRA_HALF_MIN, script.extraTime.secondStoppageMin);
    finalStatus = Status.AfterExtraTime;
    if (script.penalties !== undefined) {
      addBreak(Status.Penalties, script.penalties.durationMin * SECS_PER_MINUTE);
      finalStatus = Status.AfterPenalties;
    }
  } else if (script.penalties !== undefined) {
    throw new Error(`match ${script.label}: penalties are only modelled after extra time`);
  }
  return { segments, endSecs: cursor, finalStatus };
}

/** The status and segment of a match `relSecs` sim seconds after its kick-off. */
export function phaseAt(plan: MatchPlan, relSecs: number): MatchPhase {
  if (relSecs < 0) return { kind: 'not-started' };
  if (relSecs >= plan.endSecs) return { kind: 'ended', status: plan.finalStatus };
  for (const segment of plan.segments) {
    const elapsed = relSecs - segment.startSecs;
    if (elapsed < 0 || elapsed >= segmentLengthSecs(segment)) continue;
    if (segment.kind === 'break') return { kind: 'break', segment, status: segment.status };
    const isStoppage = elapsed >= segment.regularMin * SECS_PER_MINUTE;
    const lastRegularMinute = segment.baseMinute + segment.regularMin;
    const status = isStoppage
      ? `${lastRegularMinute}+`
      : String(segment.baseMinute + Math.floor(elapsed / SECS_PER_MINUTE) + 1);
    return { kind: 'play', segment, status };
  }
  throw new Error(`no segment covers ${relSecs}s although the match ends at ${plan.endSecs}s`);
}

/** A match minute split into its regular part and the added minutes: `"90+3"` → `{ base: 90, added: 3 }`. */
export interface ParsedMinute {
  readonly base: number;
  readonly added: number;
}

const MINUTE_PATTERN = /^(\d{1,3})(?:\+(\d{1,2}))?$/;

/** Parses `"23"` / `"45+2"`; throws on anything else, since only the script produces these. */
export function parseMinute(minute: MatchMinute): ParsedMinute {
  const match = MINUTE_PATTERN.exec(minute);
  if (match === null) throw new Error(`not a match minute: "${minute}"`);
  return { base: Number(match[1]), added: match[2] === undefined ? 0 : Number(match[2]) };
}

/** An incident's moment: which segment it falls in and when, in sim seconds after kick-off. */
export interface MinuteLocation {
  readonly segment: PlaySegment;
  readonly relSecs: number;
}

/**
 * Where the minute `"b"` or `"b+a"` falls in the plan; the incident happens half-way through it.
 * Throws when the minute is not played in this match (e.g. `"45+4"` with three minutes of stoppage).
 */
export function locateMinute(plan: MatchPlan, minute: MatchMinute): MinuteLocation {
  const { base, added } = parseMinute(minute);
  for (const segment of plan.segments) {
    if (segment.kind !== 'play') continue;
    const lastRegularMinute = segment.baseMinute + segment.regularMin;
    if (base <= segment.baseMinute || base > lastRegularMinute) continue;
    if (added > 0 && (base !== lastRegularMinute || added > segment.stoppageMin)) {
      throw new Error(`minute "${minute}" is outside the ${segment.stoppageMin} minute(s) of stoppage`);
    }
    const minuteIndex = added > 0 ? segment.regularMin + added - 1 : base - segment.baseMinute - 1;
    return { segment, relSecs: segment.startSecs + minuteIndex * SECS_PER_MINUTE + INCIDENT_OFFSET_IN_MINUTE_SECS };
  }
  throw new Error(`minute "${minute}" is not played in this match`);
}

/** Whole minutes of play (stoppage included) that have gone by `relSecs` after kick-off. */
export function playedMinutes(plan: MatchPlan, relSecs: number): number {
  let secs = 0;
  for (const segment of plan.segments) {
    if (segment.kind !== 'play') continue;
    secs += Math.min(Math.max(relSecs - segment.startSecs, 0), segmentLengthSecs(segment));
  }
  return Math.floor(secs / SECS_PER_MINUTE);
}
