/**
 * Random TRUE matchdays, what a poller would see of them, and an oracle that checks the detector's
 * event stream against the truth (issue 3 "Event fidelity", the property-based proof).
 *
 * - Generator (`matchdayArb`): several matches with kick-offs (some already under way or over when
 *   polling starts), goals with running scores, penalties, cards (second yellows, nameless ones,
 *   coaches), substitutions, VAR cancellations of goals and cards, phase changes through half time,
 *   second half, an interruption, sometimes extra time and a shoot-out, ends (finished, after ET,
 *   after penalties, abandoned), and matches postponed or cancelled before kick-off.
 * - Renderer (`displayAt`, `toWire`): the truth as the provider shows it at a moment, in its wire
 *   format (test/helpers/wire.ts), with NOISE: lists reordered on every poll, minutes first shown up
 *   to MINUTE_NOISE off and corrected later ("45" for "45+2"), player ids that appear later, names
 *   misspelled and corrected under the same id, `event_live` "1" on finished matches.
 * - Poll schedule (`PollStep`): polls repeated at the same moment, skipped moments, faulty replies
 *   (error envelope, truncated or non-JSON body, items without event_key: rejected by the parser and
 *   never fed to detect), and matches missing from a poll (the poller then looks them up: 'found'
 *   with the Fixtures view, or 'unconfirmed').
 * - Driver (`runMatchday`): the production poll path (src/engine/polling-source.ts and
 *   src/engine/ingestor.ts, test/helpers/pipeline.ts) on a fake provider that serves these replies.
 * - Oracle (`MatchOracle`): replays the emitted stream per match as a client would and, after every
 *   fed poll, requires the replayed match to equal what the provider showed: every incident shown
 *   is announced exactly once (on its own, or inside MATCH_STARTED when it preceded first sight) and
 *   keeps its event_id; nothing else is emitted (no duplicate, no event for noise, every
 *   *_CANCELLED is a true cancellation, every *_UPDATED a real change of what is shown, every
 *   SCORE_UPDATE / STATUS_CHANGED a real change); MATCH_ENDED exactly once per ended match, with
 *   the true final score, winner and penalty score; and at the end the replay equals the true final
 *   state of every match.
 *
 * Ambiguities excluded by construction, and why. The provider sends no incident ids; the detector
 * pairs what it knew with what it sees by side, player and minute (src/detect/identity.ts:
 * MINUTE_TOLERANCE = 5 for the same player, 1 minute for different names when an id is missing,
 * the same minute for different ids). Some feeds are indistinguishable from another truth, so the
 * generator does not produce them:
 * 1. Same kind (cards: same colour), same side, same person (nameless cards count as one person):
 *    at least SAME_PERSON_GAP (5) minutes apart, so that minute noise of ±2 cannot swap their order
 *    or make them look the same.
 * 2. ...and at least CANCELLED_SAME_PERSON_GAP (10) apart when either is cancelled: a cancelled goal
 *    and another goal by the same player within the tolerance (plus noise), both changing in one
 *    poll, are exactly a "minute correction" to the detector.
 * 3. A cancelled incident and one of the same kind and side by another person: at least
 *    CANCELLED_OTHER_PERSON_GAP (6) apart, else one leaving and the other arriving in one poll reads
 *    as a spelling or attribution fix of the same incident.
 * 4. Two cancelled goals of one side: at least CANCELLED_SAME_PERSON_GAP apart, so each VAR
 *    "Goal cancelled" entry (given at the goal's true minute) names only its own goal.
 * 5. A misspelled name is shown only together with the player id (issue 3: "a name spelling
 *    corrected when the id is the same"); an incident has a late id or a misspelling, not both.
 * 6. Second yellows: a red for a player who had a yellow is his second yellow ("red card" or
 *    "yellowred card"), at least SAME_PERSON_GAP after the yellow; a person who got a red gets no
 *    further card; a card in a second-yellow pair is never cancelled, and a person whose card is
 *    cancelled gets no other card (a cancelled yellow makes "second yellow" undecidable).
 * 7. Substitutions are never cancelled; players come off and on at most once.
 * 8. Minute noise is at most MINUTE_NOISE (2) and is corrected once, to the true minute; by the
 *    final whistle the provider shows the truth (corrections, ids and names are in place).
 * 9. A live match is never unconfirmed MISSING_POLLS_BEFORE_END times in a row, and a match that is
 *    truly over is always confirmed by the look-up: the unconfirmed-absence path ends a match from
 *    its last known state by design, which can then differ from a truth it never saw. That path is
 *    covered by the unit tests (detectAbsent).
 * 10. No late (stale) replies: a reply older than the last one makes incidents vanish, which only
 *    VAR could tell apart; the phase no-regression rule is unit-tested.
 * Rules 1–3 are tight: with a smaller gap, fast-check finds feeds the detector reads as another
 * truth (pinned in test/unit/detect-regressions.test.ts, "documented ambiguities").
 */
import fc from 'fast-check';
import type { MatchEvent } from '../../src/domain/events.js';
import type { Phase } from '../../src/domain/match.js';
import { MINUTE_TOLERANCE } from '../../src/detect/identity.js';
import { parseMatch, parseReply } from '../../src/upstream/allsportsapi/parse.js';
import type { ProviderParser } from '../../src/upstream/provider.js';
import { FakeProvider, startPipeline } from '../helpers/pipeline.js';
import { wireCard, wireEnvelope, wireGoal, wireMatch, wireSub, wireVar, wireVars, type WireObject } from '../helpers/wire.js';

/**
 * A provider's wire format as the driver needs it: the reply listing some match objects (rendered in
 * AllSportsAPI's shape by `toWire`, re-expressed by the codec), the provider's parser, and faulty
 * bodies that parser must refuse. One suite, every provider (issue 21).
 */
export interface ReplyCodec {
  readonly name: string;
  readonly parser: ProviderParser;
  /** The decoded JSON body of a good reply listing `wires` (a live list, or a look-up of one). */
  reply(wires: readonly WireObject[]): unknown;
  /** The text of a faulty reply (variant chosen by the poll schedule) built around a good one. */
  faulty(variant: number, wires: readonly WireObject[]): string;
  /** The `card_type` the provider's parser gives a true card text; absent: the text itself. */
  readonly cardType?: (card: string) => string;
  /**
   * `false`: the format gives no running score per goal (API-Football), so goals shown at the same
   * minute cannot be ordered and GOAL_SCORED's score is not checked against the true running score.
   */
  readonly goalRunningScore?: boolean;
}

export const allSportsApiCodec: ReplyCodec = {
  name: 'allsportsapi',
  parser: { parseReply, parseMatch },
  reply: (wires) => JSON.parse(JSON.stringify(wireEnvelope(...wires))),
  faulty: (variant, wires) => faultyBody(variant, wireEnvelope(...wires)),
};

// ---------------------------------------------------------------------------------------------
// Constants

/** Greatest error of a minute first shown by the provider, in minutes. */
export const MINUTE_NOISE = 2;
/** `MISSING_POLLS_BEFORE_END` the driver's Ingestor runs with (the service's default). */
export const MISSING_POLLS_BEFORE_END = 3;
/** Rule 1. */
export const SAME_PERSON_GAP = 2 * MINUTE_NOISE + 1;
/** Rules 2 and 4: beyond the detector's tolerance even with both minutes off by the noise. */
export const CANCELLED_SAME_PERSON_GAP = MINUTE_TOLERANCE + 2 * MINUTE_NOISE + 1;
/** Rule 3: the detector pairs different names only within one minute. */
export const CANCELLED_OTHER_PERSON_GAP = 1 + 2 * MINUTE_NOISE + 1;

const EVENT_DATE_TIME = '2025-05-17 15:00';

// ---------------------------------------------------------------------------------------------
// Truth

export type Side = 'home' | 'away';
type Period = 1 | 2 | 3;

/** A true match minute; `period` 3 is extra time. */
export interface Minute {
  readonly base: number;
  readonly added: number;
  readonly period: Period;
}

export const minuteText = (m: Minute): string => (m.added > 0 ? `${m.base}+${m.added}` : String(m.base));
const minuteValueOf = (m: Minute): number => m.base + m.added;

/** The minute as first shown, `shift` minutes off, written the way the provider writes that half. */
function shiftedMinute(m: Minute, shift: number): Minute {
  const value = Math.max(1, minuteValueOf(m) + shift);
  const lastRegular = m.period === 1 ? 45 : m.period === 2 ? 90 : 120;
  return value > lastRegular ? { base: lastRegular, added: value - lastRegular, period: m.period } : { base: value, added: 0, period: m.period };
}

/** Chronological order of minute texts, independent of the detector's: "45+3" < "46". */
export function chronoKey(text: string): number {
  const match = /^(\d+)(?:\+(\d+))?$/.exec(text);
  if (!match) return Number.MAX_SAFE_INTEGER;
  return Number(match[1]) * 1000 + Number(match[2] ?? 0);
}

export interface Person {
  readonly name: string;
  /** Provider id as a numeric string. */
  readonly id: string;
}

/** How an incident is shown before the provider gets it right. */
export interface IncidentNoise {
  /** Minute shown at first, until `correctAfter` ticks after the incident appeared. */
  readonly shownMinute: Minute;
  readonly correctAfter: number;
  /** Ticks after appearing until the player id is shown; `null`: shown from the start. */
  readonly idAfter: number | null;
  /** Misspelled name shown until `nameFixAfter` ticks after appearing; `null`: spelled right. */
  readonly misspelled: string | null;
  readonly nameFixAfter: number;
}

export interface Cancellation {
  /** Ticks after the incident appeared. */
  readonly after: number;
  /** The provider adds a vars "Goal cancelled" entry (goals only, and only where vars exist). */
  readonly withVar: boolean;
}

interface IncidentBase {
  /** Unique within the matchday. */
  readonly key: string;
  readonly side: Side;
  readonly minute: Minute;
  readonly noise: IncidentNoise;
  readonly cancel: Cancellation | null;
}

export interface TrueGoal extends IncidentBase {
  readonly kind: 'goal';
  readonly scorer: Person;
  readonly assist: Person | null;
  readonly penalty: boolean;
}

export interface TrueCard extends IncidentBase {
  readonly kind: 'card';
  /** `null`: nameless card, the side only in `info`. */
  readonly person: Person | null;
  readonly coach: boolean;
  readonly card: 'yellow card' | 'red card' | 'yellowred card';
  readonly color: 'yellow' | 'red';
  readonly secondYellow: boolean;
}

export interface TrueSub extends IncidentBase {
  readonly kind: 'sub';
  readonly playerIn: Person;
  readonly playerOut: Person;
}

export type TrueIncident = TrueGoal | TrueCard | TrueSub;

export type Ending = 'finished' | 'after_et' | 'after_pen' | 'abandoned' | 'postponed' | 'cancelled';

/** One tick (a minute of sim time) of a match's clock, relative to its kick-off. */
export interface Tick {
  readonly status: string;
  readonly phase: Phase;
}

export interface TrueMatch {
  readonly index: number;
  readonly key: number;
  readonly homeTeam: string;
  readonly awayTeam: string;
  readonly homeKey: number;
  readonly awayKey: number;
  readonly leagueKey: number;
  readonly league: string;
  readonly country: string;
  readonly coaches: { readonly home: string; readonly away: string };
  /** Absolute tick of kick-off. */
  readonly kickoff: number;
  /** Listed with status "" this many ticks before kick-off. */
  readonly prelist: number;
  readonly ending: Ending;
  /** Clock from kick-off; its length is the tick at which the final status shows. */
  readonly clock: readonly Tick[];
  readonly finalStatus: string;
  readonly finalPhase: Phase;
  /** Ticks listed with the final status before leaving Livescore. */
  readonly linger: number;
  readonly liveWhileLingering: boolean;
  readonly penalties: { readonly home: number; readonly away: number } | null;
  readonly hasVars: boolean;
  readonly subsEmpty: null | '';
  /** Tick (relative to kick-off) at which each incident appears. */
  readonly appear: ReadonlyMap<string, number>;
  readonly incidents: readonly TrueIncident[];
}

const listedFrom = (m: TrueMatch): number => m.kickoff - m.prelist;
const endTick = (m: TrueMatch): number => m.kickoff + m.clock.length;
/** First absolute tick at which the match is no longer in Livescore. */
export const listedUntil = (m: TrueMatch): number => endTick(m) + m.linger;
const isPlayedEnding = (ending: Ending): boolean => ending !== 'postponed' && ending !== 'cancelled';
const isPlayed = (m: TrueMatch): boolean => isPlayedEnding(m.ending);

// ---------------------------------------------------------------------------------------------
// Generator

export interface RawIncident {
  readonly kind: 'goal' | 'card' | 'sub';
  readonly side: Side;
  readonly minuteIndex: number;
  /** Pick the minute among those around the ends of halves, where added time makes order subtle. */
  readonly nearBreak: boolean;
  readonly player: number;
  readonly other: number;
  readonly variant: number;
  readonly shift: number;
  readonly correctAfter: number;
  readonly idAfter: number | null;
  readonly misspell: boolean;
  readonly nameFixAfter: number;
  readonly cancelAfter: number | null;
  readonly withVar: boolean;
}

export interface RawMatch {
  readonly kickoff: number;
  readonly prelist: number;
  readonly ending: Ending;
  readonly s1: number;
  readonly s2: number;
  readonly s3: number;
  readonly halfTime: number;
  readonly shootoutTicks: number;
  readonly pens: readonly [number, number];
  readonly interruption: { readonly minute: number; readonly ticks: number } | null;
  readonly linger: number;
  readonly liveWhileLingering: boolean;
  readonly hasVars: boolean;
  readonly subsEmpty: null | '';
  readonly incidents: readonly RawIncident[];
}

const rawIncidentArb: fc.Arbitrary<RawIncident> = fc.record({
  kind: fc.constantFrom('goal' as const, 'card' as const, 'sub' as const),
  side: fc.constantFrom('home' as const, 'away' as const),
  minuteIndex: fc.nat({ max: 160 }),
  nearBreak: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  player: fc.nat({ max: 10 }),
  other: fc.nat({ max: 10 }),
  variant: fc.nat({ max: 11 }),
  shift: fc.integer({ min: -MINUTE_NOISE, max: MINUTE_NOISE }),
  correctAfter: fc.nat({ max: 8 }),
  idAfter: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat({ max: 8 }) }),
  misspell: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  nameFixAfter: fc.integer({ min: 1, max: 8 }),
  cancelAfter: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 12 }) }),
  withVar: fc.boolean(),
});

const rawMatchArb: fc.Arbitrary<RawMatch> = fc.record({
  kickoff: fc.integer({ min: -150, max: 40 }),
  prelist: fc.nat({ max: 6 }),
  ending: fc.constantFrom<Ending>('finished', 'finished', 'finished', 'after_et', 'after_pen', 'after_pen', 'abandoned', 'postponed', 'cancelled'),
  s1: fc.nat({ max: 4 }),
  s2: fc.nat({ max: 6 }),
  s3: fc.nat({ max: 3 }),
  halfTime: fc.integer({ min: 1, max: 5 }),
  shootoutTicks: fc.integer({ min: 1, max: 4 }),
  pens: fc.tuple(fc.nat({ max: 6 }), fc.nat({ max: 6 })),
  interruption: fc.option(fc.record({ minute: fc.integer({ min: 50, max: 88 }), ticks: fc.integer({ min: 1, max: 3 }) }), { freq: 4 }),
  linger: fc.integer({ min: 1, max: 6 }),
  liveWhileLingering: fc.boolean(),
  hasVars: fc.boolean(),
  subsEmpty: fc.constantFrom(null, '' as const),
  incidents: fc.array(rawIncidentArb, { maxLength: 18, size: 'max' }),
});

/** One step of the poller: wait `advance` ticks (0: the same moment again), then poll. */
export interface PollStep {
  readonly advance: number;
  /** A faulty reply of this variant instead of the real one; `null`: a good reply. */
  readonly fault: number | null;
  /** Seed of this poll's list order. */
  readonly seed: number;
  /** Bit i: match i is missing from this poll. */
  readonly missing: number;
  /** Bit i: the look-up of match i fails if it is missing. */
  readonly lookupFails: number;
}

const stepArb: fc.Arbitrary<PollStep> = fc.record({
  advance: fc.constantFrom(0, 1, 1, 1, 1, 2, 2, 3, 4, 6),
  fault: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat({ max: 3 }) }),
  seed: fc.nat(),
  missing: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 15 }) }),
  lookupFails: fc.nat({ max: 15 }),
});

/** Once the generated steps are used up the poller goes on with plain good polls. */
const DEFAULT_STEP: PollStep = { advance: 2, fault: null, seed: 0, missing: 0, lookupFails: 0 };

/** A generated matchday: raw draws (compact in fast-check's counter-examples), built by `buildMatch`. */
export interface RawMatchday {
  readonly matches: readonly RawMatch[];
  readonly steps: readonly PollStep[];
}

export const matchdayArb: fc.Arbitrary<RawMatchday> = fc.record({
  matches: fc.array(rawMatchArb, { minLength: 1, maxLength: 4 }),
  steps: fc.array(stepArb, { maxLength: 160, size: 'max' }),
});

// --- Building a consistent match from raw draws

const TEAM_NAMES = ['Harrowgate Town', 'Castleford Rovers', 'Kingsmere United', 'Ashbury Athletic', 'Valmora', 'Pietrarossa', 'Real Ostavia', 'Dynamo Karsk'];

/** Squad of a team: 11 starters (0..10) and 7 on the bench (11..17). */
function squadPlayer(teamKey: number, side: Side, n: number): Person {
  const initial = side === 'home' ? 'H' : 'A';
  return { name: `${initial}. Player${teamKey % 100}x${n}`, id: String(3_000_000_000 + teamKey * 100 + n) };
}

function misspell(name: string): string {
  return name.replace('Player', 'Playr');
}

interface Clock {
  readonly ticks: Tick[];
  /** Relative tick at which each played minute is shown. */
  readonly minuteTick: Map<string, number>;
  readonly minutes: Minute[];
  /** Played minutes around the end of a half: "43".."45+n" and "46".."48", "88".."90+n" and "91".."93". */
  readonly nearBreak: Minute[];
}

const isNearBreak = (m: Minute): boolean => (m.base >= 43 && m.base <= 48) || (m.base >= 88 && m.base <= 93);

function buildClock(raw: RawMatch, ending: Ending): Clock {
  const ticks: Tick[] = [];
  const minuteTick = new Map<string, number>();
  const minutes: Minute[] = [];
  const play = (m: Minute, status: string, phase: Phase): void => {
    minuteTick.set(minuteText(m), ticks.length);
    minutes.push(m);
    ticks.push({ status, phase });
  };
  for (let base = 1; base <= 45; base += 1) play({ base, added: 0, period: 1 }, String(base), 'first_half');
  for (let added = 1; added <= raw.s1; added += 1) play({ base: 45, added, period: 1 }, '45+', 'first_half');
  for (let i = 0; i < raw.halfTime; i += 1) ticks.push({ status: 'Half Time', phase: 'half_time' });
  const interruption = raw.interruption ?? (ending === 'abandoned' ? { minute: 70, ticks: 1 } : null);
  for (let base = 46; base <= 90; base += 1) {
    if (interruption !== null && base === interruption.minute) {
      for (let i = 0; i < interruption.ticks; i += 1) ticks.push({ status: 'Interrupted', phase: 'interrupted' });
      if (ending === 'abandoned') return { ticks, minuteTick, minutes, nearBreak: minutes.filter(isNearBreak) };
    }
    play({ base, added: 0, period: 2 }, String(base), 'second_half');
  }
  for (let added = 1; added <= raw.s2; added += 1) play({ base: 90, added, period: 2 }, '90+', 'second_half');
  if (ending === 'after_et' || ending === 'after_pen') {
    for (let base = 91; base <= 120; base += 1) play({ base, added: 0, period: 3 }, String(base), 'extra_time');
    for (let added = 1; added <= raw.s3; added += 1) play({ base: 120, added, period: 3 }, '120+', 'extra_time');
  }
  if (ending === 'after_pen') for (let i = 0; i < raw.shootoutTicks; i += 1) ticks.push({ status: 'Penalties', phase: 'penalties' });
  return { ticks, minuteTick, minutes, nearBreak: minutes.filter(isNearBreak) };
}

const FINAL: Record<Ending, { status: string; phase: Phase }> = {
  finished: { status: 'Finished', phase: 'finished' },
  after_et: { status: 'After ET', phase: 'finished' },
  after_pen: { status: 'After Pen.', phase: 'finished' },
  abandoned: { status: 'Abandoned', phase: 'abandoned' },
  postponed: { status: 'Postponed', phase: 'postponed' },
  cancelled: { status: 'Cancelled', phase: 'cancelled' },
};

/** What identifies "the same person" for the spacing rules. */
function personKey(incident: TrueIncident): string {
  switch (incident.kind) {
    case 'goal':
      return `goal:${incident.side}:${incident.scorer.id}`;
    case 'card':
      return `card:${incident.color}:${incident.side}:${incident.person?.id ?? 'nameless'}`;
    case 'sub':
      return `sub:${incident.side}:${incident.playerIn.id}:${incident.playerOut.id}`;
  }
}

const kindKey = (incident: TrueIncident): string =>
  incident.kind === 'card' ? `card:${incident.color}:${incident.side}` : `${incident.kind}:${incident.side}`;

/** Rules 1–4 between a candidate and an incident already accepted. */
function compatible(a: TrueIncident, b: TrueIncident): boolean {
  if (kindKey(a) !== kindKey(b)) return true;
  const gap = Math.abs(minuteValueOf(a.minute) - minuteValueOf(b.minute));
  const eitherCancelled = a.cancel !== null || b.cancel !== null;
  if (personKey(a) === personKey(b)) return gap >= (eitherCancelled ? CANCELLED_SAME_PERSON_GAP : SAME_PERSON_GAP);
  if (a.kind === 'goal' && a.cancel !== null && b.cancel !== null) return gap >= CANCELLED_SAME_PERSON_GAP;
  return !eitherCancelled || gap >= CANCELLED_OTHER_PERSON_GAP;
}

export function buildMatch(raw: RawMatch, index: number): TrueMatch {
  const key = 5000 + index;
  const homeKey = 100 + 2 * index;
  const awayKey = 101 + 2 * index;
  const teams = { home: TEAM_NAMES[(2 * index) % TEAM_NAMES.length] ?? 'Home', away: TEAM_NAMES[(2 * index + 1) % TEAM_NAMES.length] ?? 'Away' };
  const coaches = { home: `H. Coach${index}`, away: `A. Coach${index}` };
  const ending = raw.ending;
  const clock = isPlayedEnding(ending) ? buildClock(raw, ending) : { ticks: [], minuteTick: new Map<string, number>(), minutes: [], nearBreak: [] };
  const teamKey = (side: Side): number => (side === 'home' ? homeKey : awayKey);

  const incidents: TrueIncident[] = [];
  const appear = new Map<string, number>();
  const subbedOff = new Set<string>();
  const subbedOn = new Set<string>();
  const cardsOf = new Map<string, TrueCard[]>();
  const endRel = clock.ticks.length;
  const ordered = [...raw.incidents]
    .filter(() => clock.minutes.length > 0)
    .map((r, order) => {
      const pool = r.nearBreak && clock.nearBreak.length > 0 ? clock.nearBreak : clock.minutes;
      return { r, order, minute: pool[r.minuteIndex % pool.length] as Minute };
    })
    .sort((x, y) => (clock.minuteTick.get(minuteText(x.minute)) ?? 0) - (clock.minuteTick.get(minuteText(y.minute)) ?? 0) || x.order - y.order);

  for (const { r, order, minute } of ordered) {
    const at = clock.minuteTick.get(minuteText(minute)) ?? 0;
    const incidentKey = `m${index}i${order}`;
    const shown = shiftedMinute(minute, r.shift);
    const cancelAt = r.cancelAfter === null ? null : at + r.cancelAfter;
    const cancel: Cancellation | null = cancelAt !== null && cancelAt < endRel && r.kind !== 'sub' ? { after: r.cancelAfter ?? 0, withVar: r.withVar } : null;
    const idLate = r.idAfter !== null;
    const noise: IncidentNoise = {
      shownMinute: shown,
      correctAfter: r.correctAfter,
      idAfter: r.idAfter,
      // Rule 5: misspelled only with the id shown.
      misspelled: null,
      nameFixAfter: r.nameFixAfter,
    };
    const withName = (name: string): IncidentNoise => (r.misspell && !idLate ? { ...noise, misspelled: misspell(name) } : noise);
    let incident: TrueIncident | undefined;
    if (r.kind === 'goal') {
      // Goals come from half the team, so braces (same-player identity) are common.
      const scorer = squadPlayer(teamKey(r.side), r.side, r.player % 6);
      const penalty = r.variant % 4 === 0;
      const assist = !penalty && r.other !== r.player && r.variant % 3 !== 0 ? squadPlayer(teamKey(r.side), r.side, r.other) : null;
      incident = { kind: 'goal', key: incidentKey, side: r.side, minute, noise: withName(scorer.name), cancel, scorer, assist, penalty };
    } else if (r.kind === 'sub') {
      const playerOut = squadPlayer(teamKey(r.side), r.side, r.player);
      const playerIn = squadPlayer(teamKey(r.side), r.side, 11 + (r.other % 7));
      if (subbedOff.has(playerOut.id) || subbedOn.has(playerIn.id)) continue;
      subbedOff.add(playerOut.id);
      subbedOn.add(playerIn.id);
      incident = { kind: 'sub', key: incidentKey, side: r.side, minute, noise: withName(playerIn.name), cancel: null, playerIn, playerOut };
    } else {
      // variant: 0-5 player yellow, 6-7 player red, 8 coach yellow, 9 coach red, 10 nameless yellow, 11 nameless red.
      const isCoach = r.variant === 8 || r.variant === 9;
      const isNameless = r.variant >= 10;
      const wantsRed = r.variant === 6 || r.variant === 7 || r.variant === 9 || r.variant === 11;
      const person: Person | null = isNameless
        ? null
        : isCoach
          ? { name: r.side === 'home' ? coaches.home : coaches.away, id: '' }
          : // Bookings come from a few players, so that second yellows are common.
            squadPlayer(teamKey(r.side), r.side, r.player % 4);
      const personId = person === null ? null : `${r.side}:${person.name}`;
      const earlier = personId === null ? [] : (cardsOf.get(personId) ?? []);
      let secondYellow = false;
      let cardCancel = cancel;
      if (earlier.length > 0) {
        // Rule 6: only a red after an uncancelled yellow, and then neither card is ever cancelled.
        const [first] = earlier;
        if (earlier.length > 1 || first === undefined || first.cancel !== null || first.color !== 'yellow' || !wantsRed) continue;
        if (minuteValueOf(minute) - minuteValueOf(first.minute) < SAME_PERSON_GAP || (appear.get(first.key) ?? 0) >= at) continue;
        secondYellow = true;
        cardCancel = null;
      }
      const color = wantsRed ? 'red' : 'yellow';
      const card = !wantsRed ? 'yellow card' : secondYellow && r.other % 2 === 0 ? 'yellowred card' : 'red card';
      const noiseForCard: IncidentNoise = person === null || isCoach ? { ...noise, idAfter: null, misspelled: null } : withName(person.name);
      incident = { kind: 'card', key: incidentKey, side: r.side, minute, noise: noiseForCard, cancel: cardCancel, person, coach: isCoach, card, color, secondYellow };
      if (!incidents.every((other) => compatible(incident as TrueIncident, other))) continue;
      if (personId !== null) cardsOf.set(personId, [...earlier, incident]);
      incidents.push(incident);
      appear.set(incident.key, at);
      continue;
    }
    if (!incidents.every((other) => compatible(incident, other))) continue;
    incidents.push(incident);
    appear.set(incident.key, at);
  }

  const final = FINAL[ending];
  const [ph, pa] = raw.pens;
  return {
    index,
    key,
    homeTeam: teams.home,
    awayTeam: teams.away,
    homeKey,
    awayKey,
    leagueKey: 150 + (index % 3),
    league: `League ${index % 3}`,
    country: 'England',
    coaches,
    kickoff: raw.kickoff,
    prelist: raw.prelist,
    ending,
    clock: clock.ticks,
    finalStatus: final.status,
    finalPhase: final.phase,
    linger: raw.linger,
    liveWhileLingering: raw.liveWhileLingering,
    penalties: ending === 'after_pen' ? { home: ph, away: ph === pa ? pa + 1 : pa } : null,
    hasVars: raw.hasVars,
    subsEmpty: raw.subsEmpty,
    appear,
    incidents,
  };
}

// ---------------------------------------------------------------------------------------------
// Renderer

export interface Score {
  readonly home: number;
  readonly away: number;
}

const scoreWire = (s: Score): string => `${s.home} - ${s.away}`;
export const scoreText = (s: Score): string => `${s.home}-${s.away}`;

/** How one incident is shown at one moment. */
export interface Shown {
  readonly incident: TrueIncident;
  readonly minute: string;
  /** Goal scorer, card person ("" when nameless), substitute coming on. */
  readonly name: string;
  /** Substitute going off (subs only). */
  readonly nameOut: string;
  readonly id: string;
  /** Running score after this goal (goals only). */
  readonly running: Score | null;
}

/** What the provider shows of a match at one moment. */
export interface Display {
  readonly match: TrueMatch;
  readonly tick: number;
  readonly status: string;
  /** The true phase of `status`. */
  readonly phase: Phase;
  readonly live: boolean;
  readonly shown: readonly Shown[];
  /** The real score: the goals shown, counted. */
  readonly score: Score;
  readonly halftime: Score | null;
  readonly wire: { final: string; halftime: string; ft: string; penalty: string };
  readonly vars: WireObject | undefined;
}

function tallyGoals(shown: readonly Shown[], periods: readonly Period[] = [1, 2, 3]): Score {
  let home = 0;
  let away = 0;
  for (const s of shown) {
    if (s.incident.kind !== 'goal' || !periods.includes(s.incident.minute.period)) continue;
    if (s.incident.side === 'home') home += 1;
    else away += 1;
  }
  return { home, away };
}

/** The match as Livescore (if listed) or Fixtures shows it at absolute tick `t`. */
export function displayAt(match: TrueMatch, t: number): Display {
  const rel = t - match.kickoff;
  const isOver = rel >= match.clock.length;
  const notStarted = rel < 0;
  const base = { match, tick: t };
  if (notStarted || !isPlayed(match)) {
    const status = notStarted ? '' : match.finalStatus;
    return {
      ...base,
      status,
      phase: notStarted ? 'not_started' : match.finalPhase,
      live: false,
      shown: [],
      score: { home: 0, away: 0 },
      halftime: null,
      wire: { final: '-', halftime: '', ft: '', penalty: '' },
      vars: match.hasVars ? wireVars() : undefined,
    };
  }
  const tick = isOver ? { status: match.finalStatus, phase: match.finalPhase } : (match.clock[rel] as Tick);
  const visible = match.incidents
    .filter((i) => (match.appear.get(i.key) ?? 0) <= rel)
    .sort((a, b) => (match.appear.get(a.key) ?? 0) - (match.appear.get(b.key) ?? 0));
  const shown: Shown[] = [];
  const running = { home: 0, away: 0 };
  const varsEntries: WireObject[] = [];
  for (const incident of visible) {
    const since = rel - (match.appear.get(incident.key) ?? 0);
    if (incident.cancel !== null && since >= incident.cancel.after) {
      if (incident.kind === 'goal' && incident.cancel.withVar) varsEntries.push(wireVar(incident.side, minuteText(incident.minute), `${incident.scorer.name} (full)`));
      continue;
    }
    const { noise } = incident;
    const minute = !isOver && since < noise.correctAfter ? noise.shownMinute : incident.minute;
    const misspelled = !isOver && noise.misspelled !== null && since < noise.nameFixAfter;
    const idShown = isOver || noise.idAfter === null || since >= noise.idAfter;
    let name: string;
    let nameOut = '';
    let id: string;
    let score: Score | null = null;
    if (incident.kind === 'goal') {
      name = incident.scorer.name;
      id = incident.scorer.id;
      running[incident.side] += 1;
      score = { ...running };
    } else if (incident.kind === 'card') {
      name = incident.person?.name ?? '';
      id = incident.person?.id ?? '';
    } else {
      name = incident.playerIn.name;
      nameOut = incident.playerOut.name;
      id = incident.playerIn.id;
    }
    shown.push({
      incident,
      minute: minuteText(minute),
      name: misspelled && noise.misspelled !== null ? noise.misspelled : name,
      nameOut,
      id: idShown ? id : '',
      running: score,
    });
  }
  const score = tallyGoals(shown);
  const inFirstHalf = tick.phase === 'first_half';
  const halftime = inFirstHalf ? score : tallyGoals(shown, [1]);
  let final = scoreWire(score);
  let ft = '';
  let penalty = '';
  if (isOver && match.ending !== 'abandoned') {
    ft = scoreWire(match.ending === 'after_et' ? tallyGoals(shown, [1, 2]) : score);
    if (match.penalties !== null) {
      penalty = scoreWire(match.penalties);
      // FORMAT.md §4: after a shoot-out the provider credits the winner one goal in event_final_result.
      const homeWon = match.penalties.home > match.penalties.away;
      final = scoreWire({ home: score.home + (homeWon ? 1 : 0), away: score.away + (homeWon ? 0 : 1) });
    }
  }
  return {
    ...base,
    status: tick.status,
    phase: tick.phase,
    live: !isOver || match.liveWhileLingering,
    shown,
    score,
    halftime,
    wire: { final, halftime: scoreWire(halftime), ft, penalty },
    vars: match.hasVars ? wireVars(...varsEntries) : undefined,
  };
}

/** Listed in Livescore at absolute tick `t`. */
export const isListed = (match: TrueMatch, t: number): boolean => t >= listedFrom(match) && t < listedUntil(match);

/** Deterministic shuffle (mulberry32), so each poll shows the lists in another order. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let a = seed >>> 0;
  const random = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** The display in the provider's wire format, lists in a per-poll order. */
export function toWire(display: Display, seed: number): WireObject {
  const { match } = display;
  const goals = display.shown.flatMap((s) => {
    if (s.incident.kind !== 'goal') return [];
    const g = s.incident;
    return [
      wireGoal(g.side, s.minute, s.name, scoreWire(s.running ?? { home: 0, away: 0 }), {
        id: s.id,
        assist: g.assist?.name ?? '',
        assistId: g.assist?.id ?? '',
        info: g.penalty ? 'Penalty' : '',
      }),
    ];
  });
  const cards = display.shown.flatMap((s) => (s.incident.kind === 'card' ? [wireCard(s.incident.side, s.minute, s.name, s.incident.card, { id: s.id })] : []));
  const subs = display.shown.flatMap((s) => {
    if (s.incident.kind !== 'sub') return [];
    const shownId = (id: string): number => (s.id === '' ? 0 : Number(id));
    return [wireSub(s.incident.side, s.minute, s.name, s.nameOut, { in: shownId(s.incident.playerIn.id), out: shownId(s.incident.playerOut.id) }, match.subsEmpty)];
  });
  return wireMatch({
    key: match.key,
    home: match.homeTeam,
    away: match.awayTeam,
    homeKey: match.homeKey,
    awayKey: match.awayKey,
    leagueKey: match.leagueKey,
    league: match.league,
    country: match.country,
    status: display.status,
    final: display.wire.final,
    halftime: display.wire.halftime,
    ft: display.wire.ft,
    penalty: display.wire.penalty,
    live: display.live ? '1' : '0',
    goals: shuffled(goals, seed),
    cards: shuffled(cards, seed + 1),
    subs: shuffled(subs, seed + 2),
    vars: display.vars,
    coaches: { home: [match.coaches.home], away: [match.coaches.away] },
  });
}

/** A faulty reply body: the poller's parser must refuse it, and nothing is fed to detect. */
export function faultyBody(variant: number, good: WireObject): string {
  switch (variant % 4) {
    case 0:
      return JSON.stringify({ error: '1', result: [{ param: null, msg: 'Wrong login credentials', cod: 1004 }] });
    case 1: {
      const text = JSON.stringify(good);
      return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    }
    case 2:
      return JSON.stringify({ success: 1, result: [{ param: 'APIkey', msg: 'The field is mandatory', cod: 1005 }] });
    default:
      return '<html><body>502 Bad Gateway</body></html>';
  }
}

// ---------------------------------------------------------------------------------------------
// Oracle

/** An incident as a client knows it from the stream. */
interface Replayed {
  readonly kind: 'goal' | 'card' | 'sub';
  readonly side: Side;
  readonly minute: string;
  readonly name: string;
  readonly nameOut: string;
  /** Card colour, for cards. */
  readonly color: string;
}

type Life = 'unseen' | 'listed' | 'live' | 'silent' | 'ended' | 'called-off';

export class OracleViolation extends Error {}

/** Follows one true match through the polls and checks every event the detector emits for it. */
export class MatchOracle {
  life: Life = 'unseen';
  private listedAbsences = 0;
  private score: string | null = null;
  private phase: Phase | null = null;
  private ended = 0;
  /** event_id → the incident as replayed. */
  private readonly replay = new Map<string, Replayed>();
  /** True incident key → event_id of its announcement. */
  private readonly mapping = new Map<string, string>();
  private readonly announcedIds = new Set<string>();
  /** The last display fed while the match was followed. */
  lastDisplay: Display | null = null;

  /**
   * @param cardType the provider's `card_type` for a true card text (AllSportsAPI: the text itself)
   * @param goalRunningScore the format states each goal's running score (not API-Football's)
   */
  constructor(
    readonly match: TrueMatch,
    private readonly cardType: (card: string) => string = (card) => card,
    private readonly goalRunningScore = true,
  ) {}

  private fail(message: string, context: { t: number; events: readonly MatchEvent[] }): never {
    throw new OracleViolation(
      `match ${this.match.key} (${this.match.ending}, kick-off ${this.match.kickoff}) at tick ${context.t}: ${message}\n` +
        `events: ${JSON.stringify(context.events)}`,
    );
  }

  /** The detector saw the match (in the live list, or found by the look-up). */
  seen(display: Display, events: readonly MatchEvent[]): void {
    const ctx = { t: display.tick, events };
    const p = display.phase;
    const isTerminal = p === 'finished' || p === 'abandoned' || p === 'postponed' || p === 'cancelled';
    const calledOff = p === 'postponed' || p === 'cancelled';
    switch (this.life) {
      case 'silent':
      case 'ended':
      case 'called-off':
        if (events.length > 0) this.fail(`events after the match was over (${this.life})`, ctx);
        return;
      case 'unseen':
        if (p === 'not_started') {
          this.expectNone(events, ctx);
          this.life = 'listed';
          this.listedAbsences = 0;
          return;
        }
        if (isTerminal) {
          // First seen already over: never announced.
          this.expectNone(events, ctx);
          this.life = 'silent';
          return;
        }
        this.life = 'live';
        this.apply(display, events, { mustStart: true });
        return;
      case 'listed':
        this.listedAbsences = 0;
        if (p === 'not_started') {
          this.expectNone(events, ctx);
          return;
        }
        if (calledOff) {
          if (events.length !== 1 || events[0]?.type !== 'STATUS_CHANGED') this.fail('a match called off before kick-off must get exactly one STATUS_CHANGED', ctx);
          const change = events[0];
          if (change.phase !== p || change.previous_phase !== 'not_started' || change.status !== display.status) this.fail('wrong STATUS_CHANGED for a called-off match', ctx);
          this.life = 'called-off';
          return;
        }
        this.life = 'live';
        this.apply(display, events, { mustStart: true });
        return;
      case 'live':
        this.apply(display, events, { mustStart: false });
        return;
    }
  }

  /** The match was missing from a good poll and not confirmed by a look-up. */
  absent(events: readonly MatchEvent[], t: number): boolean {
    const ctx = { t, events };
    this.expectNone(events, ctx);
    if (this.life === 'listed') {
      this.listedAbsences += 1;
      if (this.listedAbsences >= MISSING_POLLS_BEFORE_END) {
        this.life = 'unseen';
        return true;
      }
    }
    return false;
  }

  private expectNone(events: readonly MatchEvent[], ctx: { t: number; events: readonly MatchEvent[] }): void {
    if (events.length > 0) this.fail(`expected no events (${this.life})`, ctx);
  }

  private checkTeams(e: { match_id: string; home_team: string; away_team: string; league_id: string }, ctx: { t: number; events: readonly MatchEvent[] }): void {
    const m = this.match;
    if (e.match_id !== String(m.key) || e.home_team !== m.homeTeam || e.away_team !== m.awayTeam || e.league_id !== String(m.leagueKey)) {
      this.fail(`wrong match fields in ${JSON.stringify(e)}`, ctx);
    }
  }

  /** Maps a freshly announced incident to the true incident shown with exactly these fields. */
  private claim(display: Display, r: Replayed, eventId: string, ctx: { t: number; events: readonly MatchEvent[] }): Shown {
    if (this.announcedIds.has(eventId)) this.fail(`event_id ${eventId} announced twice`, ctx);
    const mapped = new Set(this.mapping.keys());
    const candidates = display.shown.filter(
      (s) => !mapped.has(s.incident.key) && sameAsShown(r, s),
    );
    if (candidates.length === 0) this.fail(`announced ${JSON.stringify(r)}, which is not shown or was already announced`, ctx);
    if (candidates.length > 1) this.fail(`ambiguous announcement ${JSON.stringify(r)} (generator bug)`, ctx);
    const [shown] = candidates as [Shown];
    this.mapping.set(shown.incident.key, eventId);
    this.announcedIds.add(eventId);
    this.replay.set(eventId, r);
    return shown;
  }

  private trueOf(eventId: string): TrueIncident | undefined {
    for (const incident of this.match.incidents) if (this.mapping.get(incident.key) === eventId) return incident;
    return undefined;
  }

  private apply(display: Display, events: readonly MatchEvent[], { mustStart }: { mustStart: boolean }): void {
    const ctx = { t: display.tick, events };
    if (mustStart && events[0]?.type !== 'MATCH_STARTED') this.fail('first sight of a kicked-off match must begin with MATCH_STARTED', ctx);
    const lastOf: Record<string, number> = {};
    for (const [i, event] of events.entries()) {
      if (this.ended > 0) this.fail(`${event.type} after MATCH_ENDED`, ctx);
      if (!event.event_id.startsWith(`${this.match.key}-`)) this.fail(`event_id ${event.event_id} does not name the match`, ctx);
      switch (event.type) {
        case 'MATCH_STARTED': {
          if (i !== 0 || !mustStart) this.fail('MATCH_STARTED not at first sight', ctx);
          this.checkTeams(event, ctx);
          const m = this.match;
          if (
            event.league !== m.league || event.start_time !== EVENT_DATE_TIME || event.home_team_key !== String(m.homeKey) ||
            event.away_team_key !== String(m.awayKey) || event.country !== m.country
          ) this.fail('wrong MATCH_STARTED metadata', ctx);
          this.score = event.score;
          this.phase = event.phase;
          for (const list of [event.goals.map((g) => ({ ...g, kind: 'goal' as const })), event.cards.map((c) => ({ ...c, kind: 'card' as const })), event.substitutions.map((s) => ({ ...s, kind: 'sub' as const }))]) {
            let previous = -1;
            for (const item of list) {
              const key = chronoKey(item.minute);
              if (key < previous) this.fail('MATCH_STARTED lists are not in time order', ctx);
              previous = key;
            }
          }
          for (const g of event.goals) {
            const shown = this.claim(display, { kind: 'goal', side: g.team, minute: g.minute, name: g.scorer, nameOut: '', color: '' }, g.event_id, ctx);
            this.checkGoalFlags(shown, g, ctx);
          }
          for (const c of event.cards) {
            const shown = this.claim(display, { kind: 'card', side: c.team, minute: c.minute, name: c.player, nameOut: '', color: c.color }, c.event_id, ctx);
            this.checkCardFlags(shown, c, ctx);
          }
          for (const s of event.substitutions) {
            this.claim(display, { kind: 'sub', side: s.team, minute: s.minute, name: s.player_in, nameOut: s.player_out, color: '' }, s.event_id, ctx);
          }
          break;
        }
        case 'GOAL_SCORED': {
          this.checkTeams(event, ctx);
          this.inOrder(lastOf, 'goal', event.minute, ctx);
          const shown = this.claim(display, { kind: 'goal', side: event.team, minute: event.minute, name: event.scorer, nameOut: '', color: '' }, event.event_id, ctx);
          this.checkGoalFlags(shown, event, ctx);
          if (this.goalRunningScore && shown.running !== null && event.score !== scoreText(shown.running)) this.fail(`GOAL_SCORED score ${event.score}, the goal's running score is ${scoreText(shown.running)}`, ctx);
          break;
        }
        case 'CARD_ISSUED': {
          this.checkTeams(event, ctx);
          this.inOrder(lastOf, 'card', event.minute, ctx);
          const shown = this.claim(display, { kind: 'card', side: event.team, minute: event.minute, name: event.player, nameOut: '', color: event.color }, event.event_id, ctx);
          this.checkCardFlags(shown, event, ctx);
          break;
        }
        case 'SUBSTITUTION': {
          this.checkTeams(event, ctx);
          this.inOrder(lastOf, 'sub', event.minute, ctx);
          this.claim(display, { kind: 'sub', side: event.team, minute: event.minute, name: event.player_in, nameOut: event.player_out, color: '' }, event.event_id, ctx);
          break;
        }
        case 'GOAL_UPDATED':
        case 'CARD_UPDATED':
        case 'SUBSTITUTION_UPDATED': {
          this.checkTeams(event, ctx);
          const ref = event.type === 'GOAL_UPDATED' ? event.goal_event_id : event.type === 'CARD_UPDATED' ? event.card_event_id : event.substitution_event_id;
          const before = this.replay.get(ref);
          if (before === undefined) this.fail(`${event.type} for ${ref}, which is not a live incident`, ctx);
          const after: Replayed =
            event.type === 'GOAL_UPDATED'
              ? { ...before, minute: event.minute, name: event.scorer }
              : event.type === 'CARD_UPDATED'
                ? { ...before, minute: event.minute, name: event.player }
                : { ...before, minute: event.minute, name: event.player_in, nameOut: event.player_out };
          if (event.type === 'GOAL_UPDATED' && (event.previous_minute !== before.minute || event.previous_scorer !== before.name)) this.fail('GOAL_UPDATED previous fields do not match', ctx);
          // Assists, penalty flags and card texts never change in the truth: an update must change what is shown.
          if (after.minute === before.minute && after.name === before.name && after.nameOut === before.nameOut) this.fail(`${event.type} that changes nothing`, ctx);
          const incident = this.trueOf(ref);
          const shown = display.shown.find((s) => s.incident.key === incident?.key);
          if (incident === undefined || shown === undefined || !sameAsShown(after, shown)) this.fail(`${event.type} does not match what is shown for that incident`, ctx);
          this.replay.set(ref, after);
          break;
        }
        case 'GOAL_CANCELLED':
        case 'CARD_CANCELLED':
        case 'SUBSTITUTION_CANCELLED': {
          this.checkTeams(event, ctx);
          const ref = event.type === 'GOAL_CANCELLED' ? event.goal_event_id : event.type === 'CARD_CANCELLED' ? event.card_event_id : event.substitution_event_id;
          const before = this.replay.get(ref);
          if (before === undefined) this.fail(`${event.type} for ${ref}, which is not a live incident`, ctx);
          const incident = this.trueOf(ref);
          if (incident === undefined || incident.cancel === null) this.fail(`${event.type} for an incident that was never cancelled: ${JSON.stringify(incident)}`, ctx);
          if (display.shown.some((s) => s.incident.key === incident.key)) this.fail(`${event.type} for an incident still shown`, ctx);
          if (event.type === 'GOAL_CANCELLED') {
            const expected = this.match.hasVars && incident.cancel.withVar ? 'VAR' : null;
            if (event.reason !== expected) this.fail(`GOAL_CANCELLED reason ${String(event.reason)}, expected ${String(expected)}`, ctx);
            if (event.score !== scoreText(display.score)) this.fail(`GOAL_CANCELLED score ${event.score}, the score is ${scoreText(display.score)}`, ctx);
          }
          this.replay.delete(ref);
          break;
        }
        case 'SCORE_UPDATE': {
          this.checkTeams(event, ctx);
          if (event.score === this.score) this.fail('SCORE_UPDATE without a change of score', ctx);
          this.score = event.score;
          break;
        }
        case 'STATUS_CHANGED': {
          this.checkTeams(event, ctx);
          if (event.phase === this.phase) this.fail('STATUS_CHANGED without a change of phase', ctx);
          if (event.previous_phase !== this.phase) this.fail(`STATUS_CHANGED previous_phase ${event.previous_phase}, the phase was ${String(this.phase)}`, ctx);
          this.phase = event.phase;
          break;
        }
        case 'MATCH_ENDED': {
          if (i !== events.length - 1) this.fail('MATCH_ENDED is not the last event of its poll', ctx);
          this.ended += 1;
          this.checkEnded(display, event, ctx);
          break;
        }
      }
    }
    // After every fed poll the client's view equals what the provider shows.
    this.expectInSync(display, ctx);
    this.lastDisplay = display;
    const p = display.phase;
    if (p === 'finished' || p === 'abandoned') {
      if (this.ended !== 1) this.fail('the match shows a final status but MATCH_ENDED was not emitted', ctx);
      this.life = 'ended';
    }
  }

  private inOrder(lastOf: Record<string, number>, kind: string, minute: string, ctx: { t: number; events: readonly MatchEvent[] }): void {
    const key = chronoKey(minute);
    if (key < (lastOf[kind] ?? -1)) this.fail(`${kind} events of one poll are not in time order`, ctx);
    lastOf[kind] = key;
  }

  private checkGoalFlags(shown: Shown, g: { penalty: boolean; own_goal: boolean; assist: string | null }, ctx: { t: number; events: readonly MatchEvent[] }): void {
    if (shown.incident.kind !== 'goal') return;
    const truth = shown.incident;
    if (g.penalty !== truth.penalty || g.own_goal || g.assist !== (truth.assist?.name ?? null)) this.fail(`goal flags ${JSON.stringify(g)} differ from the truth`, ctx);
  }

  private checkCardFlags(shown: Shown, c: { color: string; second_yellow: boolean; coach: boolean; card_type: string }, ctx: { t: number; events: readonly MatchEvent[] }): void {
    if (shown.incident.kind !== 'card') return;
    const truth = shown.incident;
    if (c.color !== truth.color || c.second_yellow !== truth.secondYellow || c.coach !== truth.coach || c.card_type !== this.cardType(truth.card)) {
      this.fail(`card flags ${JSON.stringify(c)} differ from the truth (${truth.card}, second yellow ${truth.secondYellow}, coach ${truth.coach})`, ctx);
    }
  }

  private checkEnded(display: Display, e: Extract<MatchEvent, { type: 'MATCH_ENDED' }>, ctx: { t: number; events: readonly MatchEvent[] }): void {
    const m = this.match;
    this.checkTeams(e, ctx);
    const pens = m.penalties;
    const deciding = pens ?? display.score;
    const winner = deciding.home > deciding.away ? 'home' : deciding.away > deciding.home ? 'away' : 'draw';
    if (e.final_score !== scoreText(display.score)) this.fail(`MATCH_ENDED final_score ${e.final_score}, true ${scoreText(display.score)}`, ctx);
    if (e.winner !== winner) this.fail(`MATCH_ENDED winner ${e.winner}, true ${winner}`, ctx);
    if (pens === null ? e.penalty_score !== undefined : e.penalty_score !== scoreText(pens)) this.fail('MATCH_ENDED penalty_score', ctx);
    if (display.halftime !== null && e.halftime_score !== scoreText(display.halftime)) this.fail(`MATCH_ENDED halftime_score ${e.halftime_score}, true ${scoreText(display.halftime)}`, ctx);
    if (e.status !== display.status || e.home_team_key !== String(m.homeKey) || e.away_team_key !== String(m.awayKey) || e.league_key !== String(m.leagueKey)) {
      this.fail('MATCH_ENDED metadata', ctx);
    }
  }

  private expectInSync(display: Display, ctx: { t: number; events: readonly MatchEvent[] }): void {
    for (const shown of display.shown) {
      const eventId = this.mapping.get(shown.incident.key);
      if (eventId === undefined) this.fail(`incident ${shown.incident.kind} ${shown.name} ${shown.minute} (${shown.incident.side}) is shown but was never announced`, ctx);
      const replayed = this.replay.get(eventId);
      if (replayed === undefined) this.fail(`incident ${shown.incident.key} is shown but its announcement was cancelled`, ctx);
      if (!sameAsShown(replayed, shown)) this.fail(`incident ${shown.incident.key} replays as ${JSON.stringify(replayed)} but is shown as ${shown.minute} ${shown.name} ${shown.nameOut}`, ctx);
    }
    const shownKeys = new Set(display.shown.map((s) => s.incident.key));
    for (const [eventId] of this.replay) {
      const incident = this.trueOf(eventId);
      if (incident === undefined || !shownKeys.has(incident.key)) this.fail(`replayed incident ${eventId} is no longer shown but was not cancelled`, ctx);
    }
    if (this.score !== scoreText(display.score)) this.fail(`replayed score ${String(this.score)}, shown ${scoreText(display.score)}`, ctx);
    if (this.phase !== display.phase) this.fail(`replayed phase ${String(this.phase)}, shown ${display.phase} (${display.status})`, ctx);
  }

  /** At the end of the matchday: the replay is the true final state. */
  finish(): void {
    const ctx = { t: Number.NaN, events: [] };
    const m = this.match;
    if (this.life === 'live') this.fail('the matchday is over but the match never ended', ctx);
    if (this.life !== 'ended') {
      if (this.ended > 0) this.fail('MATCH_ENDED for a match that was not followed to its end', ctx);
      return;
    }
    if (this.ended !== 1) this.fail(`MATCH_ENDED ${this.ended} times`, ctx);
    const truth = displayAt(m, endTick(m));
    for (const incident of m.incidents) {
      const survives = incident.cancel === null;
      const eventId = this.mapping.get(incident.key);
      const replayed = eventId === undefined ? undefined : this.replay.get(eventId);
      if (!survives) {
        if (replayed !== undefined) this.fail(`cancelled incident ${incident.key} survives in the replay`, ctx);
        continue;
      }
      const shown = truth.shown.find((s) => s.incident.key === incident.key);
      if (shown === undefined || replayed === undefined || !sameAsShown(replayed, shown) || shown.minute !== minuteText(incident.minute)) {
        this.fail(`final state of ${incident.key}: replayed ${JSON.stringify(replayed)}, true ${minuteText(incident.minute)}`, ctx);
      }
    }
    if (this.replay.size !== truth.shown.length) this.fail('the replay holds incidents the truth does not', ctx);
    if (this.score !== scoreText(truth.score)) this.fail(`final score replayed ${String(this.score)}, true ${scoreText(truth.score)}`, ctx);
    if (this.phase !== m.finalPhase) this.fail(`final phase replayed ${String(this.phase)}, true ${m.finalPhase}`, ctx);
  }
}

function sameAsShown(r: Replayed, s: Shown): boolean {
  const i = s.incident;
  return (
    r.kind === i.kind &&
    r.side === i.side &&
    r.minute === s.minute &&
    r.name === s.name &&
    (i.kind !== 'sub' || r.nameOut === s.nameOut) &&
    (i.kind !== 'card' || r.color === i.color)
  );
}

// ---------------------------------------------------------------------------------------------
// Driver

export interface RunResult {
  /** Every event in emission order. */
  readonly stream: MatchEvent[];
  /** Good replies fed to detect. */
  readonly fedPolls: number;
  readonly faultyPolls: number;
  readonly oracles: readonly MatchOracle[];
}

/**
 * Polls the matchday through the production poll path (test/helpers/pipeline.ts: the real
 * `PollingSource` and `Ingestor` on a fake provider that answers with this matchday's wire, read by
 * the AllSportsAPI parser) and checks every poll's events with the oracles.
 */
export async function runMatchday(matchday: RawMatchday, codec: ReplyCodec = allSportsApiCodec): Promise<RunResult> {
  const matches = matchday.matches.map((raw, index) => buildMatch(raw, index));
  const { steps } = matchday;
  const oracles = matches.map((m) => new MatchOracle(m, codec.cardType, codec.goalRunningScore));
  const byKey = new Map(matches.map((m) => [String(m.key), m]));
  const stream: MatchEvent[] = [];
  const lastTick = Math.max(0, ...matches.map(listedUntil));
  let fedPolls = 0;
  let faultyPolls = 0;
  // What the fake provider shows at the current poll.
  let t = 0;
  let step: PollStep = DEFAULT_STEP;
  let listed: TrueMatch[] = [];
  const wiresNow = (): WireObject[] => listed.map((m) => toWire(displayAt(m, t), step.seed + m.index * 7));
  const feed = new FakeProvider(
    codec.parser,
    {
      livescore: () => (step.fault !== null ? { text: codec.faulty(step.fault, wiresNow()) } : { body: codec.reply(wiresNow()) }),
      fixture: (matchId) => {
        const match = byKey.get(matchId) as TrueMatch;
        const state = pipeline.book.get(matchId);
        const isOver = t >= endTick(match);
        const mustConfirm = isOver || (state?.absentPolls ?? 0) + 1 >= MISSING_POLLS_BEFORE_END; // rule 9
        if (!mustConfirm && (step.lookupFails & (1 << match.index)) !== 0) return { fail: 'network' };
        return { body: codec.reply([toWire(displayAt(match, t), step.seed)]) };
      },
    },
  );
  const pipeline = startPipeline(feed, { missingPollsBeforeEnd: MISSING_POLLS_BEFORE_END });
  try {
    let settled = false;
    for (let n = 0; ; n += 1) {
      step = steps[n] ?? DEFAULT_STEP;
      if (n > 0) t += step.advance;
      // Finished once every match has left the list and a good poll (with nothing missing) has dealt with it.
      if (settled && n >= steps.length) break;
      settled ||= t >= lastTick && step.fault === null && step.missing === 0;
      listed = matches.filter((m) => isListed(m, t) && (step.missing & (1 << m.index)) === 0);
      const listedIds = new Set(listed.map((m) => String(m.key)));
      // Followed matches this poll will not list: each is looked up (started) or counted absent.
      const vanished = [...pipeline.book.values()].filter((s) => !listedIds.has(s.matchId) && !s.ended).map((s) => s.matchId);
      const { outcome, events } = await pipeline.poll();
      if (step.fault !== null) {
        if (outcome.ok) throw new Error(`faulty reply variant ${step.fault} was accepted by the parser`);
        faultyPolls += 1;
        continue;
      }
      if (!outcome.ok) throw new Error(`a good poll failed: ${outcome.error.message}`);
      fedPolls += 1;
      const eventsOf = (id: string): MatchEvent[] => events.filter((e) => e.match_id === id);
      for (const match of listed) oracles[match.index]?.seen(displayAt(match, t), eventsOf(String(match.key)));
      for (const matchId of vanished) {
        const match = byKey.get(matchId) as TrueMatch;
        const oracle = oracles[match.index] as MatchOracle;
        if (feed.lookups.get(matchId) === 'found') oracle.seen(displayAt(match, t), eventsOf(matchId));
        else if (oracle.absent(eventsOf(matchId), t) !== (pipeline.book.get(matchId) === undefined)) {
          throw new OracleViolation(`match ${match.key} at tick ${t}: a never-started match must be forgotten after exactly ${MISSING_POLLS_BEFORE_END} absences`);
        }
      }
      stream.push(...events);
    }
  } finally {
    await pipeline.stop();
  }
  for (const oracle of oracles) oracle.finish();
  return { stream, fedPolls, faultyPolls, oracles };
}
