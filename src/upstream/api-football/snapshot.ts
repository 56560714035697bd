/**
 * One checked API-Football fixture → the normalised facts of the provider contract
 * (`src/upstream/provider.ts`), with the provider's quirks handled here and nowhere else
 * (FORMAT.md §5, §6, §8):
 *
 * - goals: `Normal Goal`, `Penalty`, `Own Goal` (credited to `team`, the side that benefits);
 *   `Missed Penalty` is no goal; shoot-out kicks (`comments: "Penalty Shootout"`) are no goals
 *   (`goals` excludes them, `score.penalty` carries the shoot-out);
 * - the score is `goals`, the provider's running score. Events lag it (`goals` 0-3 at 77' with no
 *   event yet): the score is announced at once, the scorer when the event arrives (one
 *   `GOAL_SCORED`, never two; see README "Providers");
 * - a `Var` `Goal cancelled` / `Goal Disallowed…` is a VAR cancellation; when the cancelled `Goal`
 *   event is still listed beside it and `goals` no longer counts it, that goal is left out;
 * - a second yellow recorded as a `Yellow Card` and a `Red Card` for one player at one minute, in
 *   either order, is one red card flagged second yellow; `Second Yellow card` is one too;
 * - substitutions: `player`/`assist` orientation is not fixed (by period, season, within one
 *   response, flipped by later corrections): the direction is inferred from the line-ups when the
 *   answer has them, from who was on the pitch (earlier goals, assists, cards, substitutions),
 *   then from the other substitutions of the match, then from the recorded convention;
 * - minutes: `{elapsed: 45, extra: 2}` is `"45+2"`, never `"47"` (which would read as the second half).
 */
import { normaliseName } from '../../detect/identity.js';
import type {
  CardItem,
  GoalItem,
  MatchSnapshot,
  MissedPenaltyItem,
  Score,
  Side,
  SubItem,
  VarItem,
} from '../provider.js';
import { UpstreamFormatError } from '../../errors.js';
import { MAX_LIST_ITEMS } from '../provider.js';
import type { ParsedEvent, ParsedFixture, Ref } from './parse.js';
import { isLiveCode, minuteText, phaseOfCode, statusText } from './status.js';

/**
 * The direction assumed for a substitution nothing else can settle: `player` is the one going off.
 * The newest evidence (the docs example, an `id=` answer of 2023, the live recording of 2026-09 and
 * the overnight-corrected 2024-11 capture) says so; the live recordings of 2021–2025 said the
 * opposite (FORMAT.md §5), which is why every other clue is tried first.
 */
export const DEFAULT_SUB_PLAYER_IS: 'out' | 'in' = 'out';

/** Events this close to a substitution (2 minutes, in `order` units) are no clue to its direction. */
const CLUE_MARGIN = 200;


interface SidedEvent {
  readonly event: ParsedEvent;
  readonly side: Side;
  readonly minute: string;
  /** Sort key: elapsed, then extra. */
  readonly order: number;
  readonly index: number;
}

const lower = (text: string): string => text.toLowerCase();
const isType = (event: ParsedEvent, type: string): boolean => lower(event.type) === type;

/** The key a player is known by in one match: the id, else the normalised name; `""` when neither. */
function playerKey(ref: Ref): string {
  if (ref.id !== '') return `#${ref.id}`;
  const name = normaliseName(ref.name);
  return name === '' ? '' : `n:${name}`;
}

function sameRef(a: Ref, b: Ref): boolean {
  if (a.id !== '' && b.id !== '') return a.id === b.id;
  const an = normaliseName(a.name);
  return an !== '' && an === normaliseName(b.name);
}

function sideOf(event: ParsedEvent, fixture: ParsedFixture): Side | undefined {
  const { team } = event;
  if (team.id !== '') {
    if (team.id === fixture.home.id) return 'home';
    if (team.id === fixture.away.id) return 'away';
  }
  if (team.name !== '') {
    if (team.name === fixture.home.name) return 'home';
    if (team.name === fixture.away.name) return 'away';
  }
  return undefined;
}

/** `"1st Half"`-style period of a minute, for grouping substitutions by period. */
function periodOf(elapsed: number): number {
  if (elapsed <= 45) return 1;
  if (elapsed <= 90) return 2;
  return 3;
}

function startTimeOf(date: string): string {
  // `2024-11-22T19:30:00+00:00` → `2024-11-22 19:30`, in the zone the provider was asked for.
  return date === '' ? '' : `${date.slice(0, 10)} ${date.slice(11, 16)}`;
}

function eventSignature(e: ParsedEvent): string {
  return [e.type, e.detail, e.team.id, e.team.name, playerKey(e.player), playerKey(e.assist), e.elapsed, e.extra, e.comments].join('\u001f');
}

/** The events with a side and a minute, exact repeats removed, in time order (the provider's is not). */
function sided(fixture: ParsedFixture, warnings: string[]): SidedEvent[] {
  const out: SidedEvent[] = [];
  const seen = new Set<string>();
  (fixture.events ?? []).forEach((event, index) => {
    const path = `fixture ${fixture.id} events[${index}]`;
    const side = sideOf(event, fixture);
    if (side === undefined) {
      warnings.push(`${path}: ${event.type} skipped, its team is neither side`);
      return;
    }
    if (event.elapsed === null) {
      warnings.push(`${path}: ${event.type} skipped, no minute`);
      return;
    }
    const signature = eventSignature(event);
    if (seen.has(signature)) {
      // Never recorded (FORMAT.md §6.8); an exact repeat would otherwise be a second incident.
      warnings.push(`${path}: ${event.type} skipped, an exact repeat of an earlier event`);
      return;
    }
    seen.add(signature);
    out.push({ event, side, minute: minuteText(event.elapsed, event.extra), order: event.elapsed * 100 + (event.extra ?? 0), index });
  });
  return out.sort((a, b) => a.order - b.order || a.index - b.index);
}

const isShootoutKick = (e: ParsedEvent): boolean => /shoot\s*-?\s*out/i.test(e.comments);
const isMissedPenalty = (e: ParsedEvent): boolean => /miss/i.test(e.detail);
const isOwnGoal = (e: ParsedEvent): boolean => /own/i.test(e.detail);
const isPenaltyGoal = (e: ParsedEvent): boolean => /penalty/i.test(e.detail) && !isMissedPenalty(e);
const cancelsGoal = (e: ParsedEvent): boolean => /goal\s*(cancel|disallow)/i.test(e.detail);

function goalsAndVars(
  events: readonly SidedEvent[],
  fixture: ParsedFixture,
): { goals: GoalItem[]; missed: MissedPenaltyItem[]; vars: VarItem[] } {
  const vars: VarItem[] = [];
  const missed: MissedPenaltyItem[] = [];
  let scoring: SidedEvent[] = [];
  for (const s of events) {
    const { event } = s;
    if (isType(event, 'var')) {
      if (cancelsGoal(event)) {
        vars.push({ minute: s.minute, side: s.side, player: event.player.name, playerId: event.player.id, cancelsGoal: true });
      }
      continue;
    }
    if (!isType(event, 'goal') || isShootoutKick(event)) continue;
    if (isMissedPenalty(event)) {
      missed.push({ minute: s.minute, side: s.side, player: event.player.name, playerId: event.player.id });
      continue;
    }
    scoring.push(s);
  }
  // More Goal events than `goals` counts for a side: first the shoot-out kicks listed without their
  // "Penalty Shootout" comment (as before the comment existed: penalties at 120+n once the match
  // went to a shoot-out), then a goal VAR ruled out that is still listed beside its `Var` event —
  // latest first. Any other surplus is left to the events (the score stays `goals`).
  const counted = fixture.goals;
  const shootout = /^(P|PEN)$/i.test(fixture.status.short.trim()) || fixture.penalty !== null;
  if (counted !== null) {
    for (const side of ['home', 'away'] as const) {
      let surplus = scoring.filter((g) => g.side === side).length - counted[side];
      const cancels = events.filter((v) => v.side === side && isType(v.event, 'var') && cancelsGoal(v.event));
      const dropLatest = (matches: (goal: SidedEvent) => boolean): void => {
        for (let i = scoring.length - 1; i >= 0 && surplus > 0; i -= 1) {
          const goal = scoring[i] as SidedEvent;
          if (goal.side !== side || !matches(goal)) continue;
          scoring = scoring.filter((_, j) => j !== i);
          surplus -= 1;
        }
      };
      if (shootout) dropLatest((goal) => (goal.event.elapsed ?? 0) >= 120 && goal.event.extra !== null && isPenaltyGoal(goal.event));
      dropLatest((goal) => cancels.some((v) => sameRef(v.event.player, goal.event.player) && Math.abs(v.order - goal.order) <= 300));
    }
  }
  const running = { home: 0, away: 0 };
  const goals = scoring.map((s): GoalItem => {
    running[s.side] += 1;
    const own = isOwnGoal(s.event);
    return {
      minute: s.minute,
      side: s.side,
      scorer: s.event.player.name,
      scorerId: s.event.player.id,
      assist: own ? '' : s.event.assist.name,
      assistId: own ? '' : s.event.assist.id,
      score: { ...running },
      penalty: isPenaltyGoal(s.event),
      ownGoal: own,
    };
  });
  return { goals, missed, vars };
}

function cards(events: readonly SidedEvent[], fixture: ParsedFixture, warnings: string[]): CardItem[] {
  const coaches = new Map<Side, Ref>();
  for (const lineup of fixture.lineups ?? []) {
    const side = lineup.team.id === fixture.home.id ? 'home' : lineup.team.id === fixture.away.id ? 'away' : undefined;
    if (side !== undefined && (lineup.coach.id !== '' || lineup.coach.name !== '')) coaches.set(side, lineup.coach);
  }
  const all = events.filter((s) => isType(s.event, 'card'));
  const colour = (e: ParsedEvent): 'yellow' | 'red' | 'second' | undefined => {
    const d = lower(e.detail);
    if (d.includes('second') && d.includes('yellow')) return 'second';
    if (d.includes('red')) return 'red';
    if (d.includes('yellow')) return 'yellow';
    return undefined;
  };
  const named = (e: ParsedEvent): boolean => playerKey(e.player) !== '';
  // The yellow of a yellow+red pair (one player, one minute, either order) is part of the red.
  const absorbed = new Set<SidedEvent>();
  for (const red of all) {
    if (colour(red.event) !== 'red' || !named(red.event)) continue;
    const pair = all.find(
      (y) => !absorbed.has(y) && colour(y.event) === 'yellow' && y.side === red.side && y.order === red.order && sameRef(y.event.player, red.event.player),
    );
    if (pair !== undefined) absorbed.add(pair);
  }
  // VAR on cards (FORMAT.md §5 lists `Red card cancelled` and `Card upgrade` from the maintainers'
  // list; no recording has one, so read defensively): a red card VAR cancelled while its Card event is
  // still listed is left out (the detector then announces CARD_CANCELLED); a yellow VAR upgraded is
  // a straight red, unless the answer lists that player's red too. The review names the player and
  // comes at or after the card, within five minutes; a review naming no one changes nothing.
  const reviewed = (card: SidedEvent, review: SidedEvent): boolean =>
    card.side === review.side && sameRef(card.event.player, review.event.player) && card.order <= review.order + 100 && review.order - card.order <= 500;
  const isRed = (s: SidedEvent): boolean => {
    const kind = colour(s.event);
    return kind === 'red' || kind === 'second';
  };
  const cancelledByVar = new Set<SidedEvent>();
  const upgradedByVar = new Set<SidedEvent>();
  for (const review of events) {
    if (!isType(review.event, 'var') || !named(review.event)) continue;
    const detail = lower(review.event.detail);
    if (/red\s*card\s*cancel/.test(detail)) {
      const red = all.findLast((c) => isRed(c) && !cancelledByVar.has(c) && reviewed(c, review));
      if (red !== undefined) cancelledByVar.add(red);
    } else if (/card\s*upgrade/.test(detail) && !all.some((c) => isRed(c) && reviewed(c, review))) {
      const yellow = all.findLast((c) => colour(c.event) === 'yellow' && !absorbed.has(c) && !upgradedByVar.has(c) && reviewed(c, review));
      if (yellow !== undefined) upgradedByVar.add(yellow);
    }
  }
  const out: CardItem[] = [];
  for (const s of all) {
    if (absorbed.has(s) || cancelledByVar.has(s)) continue;
    const kind = upgradedByVar.has(s) ? 'red' : colour(s.event);
    if (kind === undefined) {
      warnings.push(`fixture ${fixture.id}: card skipped, unknown detail ${JSON.stringify(s.event.detail.slice(0, 40))}`);
      continue;
    }
    const pairedYellow = [...absorbed].some((y) => y.side === s.side && y.order === s.order && sameRef(y.event.player, s.event.player));
    const bookedEarlier =
      named(s.event) &&
      all.some((y) => y.order < s.order && !absorbed.has(y) && colour(y.event) === 'yellow' && y.side === s.side && sameRef(y.event.player, s.event.player));
    const coach = coaches.get(s.side);
    out.push({
      minute: s.minute,
      side: s.side,
      player: s.event.player.name,
      playerId: s.event.player.id,
      // The service's wording (the seed's `card_type`), whatever the provider's capitalisation:
      // clients compare it. A second yellow is a red card flagged `second_yellow`.
      card: kind === 'yellow' ? 'yellow card' : 'red card',
      color: kind === 'yellow' ? 'yellow' : 'red',
      secondYellow: !upgradedByVar.has(s) && (kind === 'second' || (kind === 'red' && (pairedYellow || bookedEarlier))),
      coach: coach !== undefined && named(s.event) && sameRef(coach, s.event.player),
    });
  }
  return out;
}

/** What the answer says about who was on the pitch: +1 on, -1 off (from the line-ups). */
function lineupRole(fixture: ParsedFixture, side: Side, player: Ref): 'starter' | 'bench' | undefined {
  const teamId = side === 'home' ? fixture.home.id : fixture.away.id;
  const lineup = (fixture.lineups ?? []).find((l) => l.team.id === teamId);
  if (lineup === undefined || playerKey(player) === '') return undefined;
  if (lineup.startXI.some((p) => sameRef(p, player))) return 'starter';
  if (lineup.substitutes.some((p) => sameRef(p, player))) return 'bench';
  return undefined;
}

function substitutions(events: readonly SidedEvent[], fixture: ParsedFixture): SubItem[] {
  const subs = events.filter((s) => /^subst/i.test(s.event.type));
  /** Resolved so far (chronological): who came on, who went off. */
  const cameOn: Array<{ side: Side; ref: Ref; order: number }> = [];
  const wentOff: Array<{ side: Side; ref: Ref; order: number }> = [];
  const onPitchClues = events.filter((s) => (isType(s.event, 'goal') && !isShootoutKick(s.event)) || isType(s.event, 'card'));

  /** Evidence that `ref` was on the pitch just before `order` (> 0) or not (< 0). */
  const onPitch = (side: Side, ref: Ref, order: number): number => {
    if (playerKey(ref) === '') return 0;
    let score = 0;
    const role = lineupRole(fixture, side, ref);
    // The line-ups are the provider's own account of who started: they outweigh every other clue.
    if (role === 'starter') score += 100;
    if (role === 'bench') score -= 100;
    if (cameOn.some((c) => c.side === side && c.order <= order && sameRef(c.ref, ref))) score += 5;
    if (wentOff.some((c) => c.side === side && c.order <= order && sameRef(c.ref, ref))) score -= 5;
    for (const clue of onPitchClues) {
      if (clue.side !== side) continue;
      const e = clue.event;
      // An own goal's player is the other side's; a card may go to a player on the bench (weak).
      const involved = (isType(e, 'goal') && !isOwnGoal(e) && (sameRef(e.player, ref) || sameRef(e.assist, ref))) || (isType(e, 'card') && sameRef(e.player, ref));
      if (!involved) continue;
      const weight = isType(e, 'goal') ? 2 : 1;
      // Involved before the substitution: on the pitch then; involved after: on the pitch after it.
      // Within CLUE_MARGIN of it the clue says nothing: minutes are corrected by a minute or two.
      if (clue.order < order - CLUE_MARGIN) score += weight;
      else if (clue.order > order + CLUE_MARGIN) score -= weight;
    }
    return score;
  };

  type Decided = { s: SidedEvent; playerIsOut: boolean | undefined };
  const decided: Decided[] = [];
  for (const s of subs) {
    const { player, assist } = s.event;
    // Positive: `player` is the one going off.
    const evidence = onPitch(s.side, player, s.order) - onPitch(s.side, assist, s.order);
    const playerIsOut = evidence > 0 ? true : evidence < 0 ? false : undefined;
    decided.push({ s, playerIsOut });
    if (playerIsOut !== undefined) {
      cameOn.push({ side: s.side, ref: playerIsOut ? assist : player, order: s.order });
      wentOff.push({ side: s.side, ref: playerIsOut ? player : assist, order: s.order });
    }
  }
  // Undecided ones follow the other substitutions of the match in the same period, then the match.
  const majority = (items: readonly Decided[]): boolean | undefined => {
    const out = items.filter((d) => d.playerIsOut === true).length;
    const inn = items.filter((d) => d.playerIsOut === false).length;
    return out > inn ? true : inn > out ? false : undefined;
  };
  return decided.map(({ s, playerIsOut }) => {
    const period = periodOf(s.event.elapsed ?? 0);
    const out =
      playerIsOut ??
      majority(decided.filter((d) => periodOf(d.s.event.elapsed ?? 0) === period)) ??
      majority(decided) ??
      DEFAULT_SUB_PLAYER_IS === 'out';
    const { player, assist } = s.event;
    const [goingOff, comingOn] = out ? [player, assist] : [assist, player];
    return { minute: s.minute, side: s.side, playerIn: comingOn.name, playerOut: goingOff.name, inId: comingOn.id, outId: goingOff.id };
  });
}

/** The normalised facts of one fixture. Throws `UpstreamFormatError` when a list would pass the contract's bounds (the caller drops and counts the fixture). */
export function toSnapshot(fixture: ParsedFixture, warnings: string[]): MatchSnapshot {
  const { short, elapsed, extra } = fixture.status;
  const phase = phaseOfCode(short);
  const text = statusText(short, elapsed, extra);
  const running = phase === 'first_half' || phase === 'second_half' || phase === 'extra_time';
  const events = sided(fixture, warnings);
  const { goals, missed, vars } = goalsAndVars(events, fixture);
  const cardItems = cards(events, fixture, warnings);
  const subs = substitutions(events, fixture);
  for (const [name, list] of [['goals', goals], ['cards', cardItems], ['substitutions', subs], ['vars', vars], ['missed penalties', missed]] as const) {
    if (list.length > MAX_LIST_ITEMS) throw new UpstreamFormatError(`fixture ${fixture.id}: more than ${MAX_LIST_ITEMS} ${name} (${list.length})`);
  }
  const code = short.trim().toUpperCase();
  const score: Score | null = fixture.goals;
  return {
    matchId: fixture.id,
    startTime: startTimeOf(fixture.date),
    homeTeam: fixture.home.name,
    awayTeam: fixture.away.name,
    homeTeamKey: fixture.home.id,
    awayTeamKey: fixture.away.id,
    leagueId: fixture.league.id,
    league: fixture.league.name,
    country: fixture.league.country,
    phase,
    minute: running ? text : null,
    statusText: text,
    live: isLiveCode(short),
    score,
    halftimeScore: fixture.halftime,
    shootoutScore: fixture.penalty,
    shootout: code === 'P' || code === 'PEN',
    goals,
    missedPenalties: missed,
    cards: cardItems,
    substitutions: subs,
    vars,
  };
}
