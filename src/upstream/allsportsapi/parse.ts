/**
 * Parses AllSportsAPI replies (see ../shared/allsportsapi/FORMAT.md): `unknown` JSON in, the
 * provider contract's normalised facts out (`../provider.ts`). This is the only place that reads
 * AllSportsAPI's fields and marker texts (`info: "Penalty"`, `"(o.g.)"` in a scorer's name, the
 * shoot-out pseudo-score in `event_final_result`, `coache`). Lossless coercions that the provider
 * is known to need are applied (numeric ids as strings, `null` for empty text); anything else that
 * does not fit is rejected with the path of the offending field, and the whole reply is refused so a
 * malformed reply never produces events.
 *
 * Every input is bounded: text fields, ids and item lists have a maximum length (far above anything
 * the provider sends, far below what would flood the store and every client), provider messages and
 * warnings are cut short, and nothing provider-supplied is ever serialised whole (an unknown field
 * nested thousands of levels deep is never touched at all).
 */
import { normaliseName } from '../../domain/names.js';
import { err, ok, type Result } from '../../domain/result.js';
import { UpstreamError } from '../errors.js';
import {
  MAX_LIST_ITEMS,
  MAX_TEXT_LENGTH,
  type CardItem,
  type GoalItem,
  type MatchSnapshot,
  type MissedPenaltyItem,
  type ParsedMatch,
  type ParsedReply,
  type Score,
  type Side,
  type SubItem,
  type VarItem,
} from '../provider.js';
import { refusal } from './errors.js';
import { FormatError, Fields, bounded, describe, isRecord, parseScore } from './fields.js';
import { isShootoutStatus, minuteOf, phaseOf } from './status.js';

export { MAX_LIST_ITEMS, MAX_TEXT_LENGTH, type ParsedReply } from '../provider.js';
export { parseScore, preview } from './fields.js';

/** Warnings kept per reply (or pushed object); the rest are counted in one last line. */
const MAX_WARNINGS = 100;

/** At most `MAX_WARNINGS` warnings, and one last line counting the others. */
function capped(warnings: string[]): string[] {
  if (warnings.length <= MAX_WARNINGS) return warnings;
  const more = warnings.length - MAX_WARNINGS;
  return [...warnings.slice(0, MAX_WARNINGS), `… and ${more} more items skipped`];
}

function sideFromInfo(info: string): Side | undefined {
  const normalised = info.trim().toLowerCase();
  if (normalised === 'home' || normalised === 'away') return normalised;
  return undefined;
}

/** What `info` (and a scorer's name) says about a goal: `""`, `"Penalty"`; own goals by an `(o.g.)` suffix. */
const isPenaltyInfo = (info: string): boolean => /penalty/i.test(info) && !/miss/i.test(info);
const isMissedPenaltyInfo = (info: string): boolean => /penalty/i.test(info) && /miss/i.test(info);
const isOwnGoal = (info: string, scorer: string): boolean => /own/i.test(info) || /\(o\.?g\.?\)/i.test(scorer);

/** One `goalscorers` item: a goal, a missed penalty, or nothing (its side cannot be told). */
function parseGoal(
  item: unknown,
  path: string,
  previous: Score | null,
  warnings: string[],
): { goal: GoalItem } | { missed: MissedPenaltyItem } | undefined {
  if (!isRecord(item)) throw new FormatError(`${path}: expected object, got ${describe(item)}`);
  const f = new Fields(item, path);
  const homeScorer = f.text('home_scorer').trim();
  const awayScorer = f.text('away_scorer').trim();
  const info = f.text('info');
  const score = parseScore(f.text('score'));
  let side: Side | undefined;
  if (homeScorer !== '' && awayScorer === '') side = 'home';
  else if (awayScorer !== '' && homeScorer === '') side = 'away';
  else if (homeScorer === '' && awayScorer === '') {
    // Unknown scorer: the running score says which side's count went up.
    const before = previous ?? { home: 0, away: 0 };
    if (score && score.home === before.home + 1 && score.away === before.away) side = 'home';
    else if (score && score.away === before.away + 1 && score.home === before.home) side = 'away';
    else side = sideFromInfo(info);
  }
  if (side === undefined) {
    warnings.push(`${path}: goal skipped, its side cannot be determined`);
    return undefined;
  }
  const minute = f.text('time').trim();
  const scorer = side === 'home' ? homeScorer : awayScorer;
  const scorerId = f.id(`${side}_scorer_id`);
  if (isMissedPenaltyInfo(info)) return { missed: { minute, side, player: scorer, playerId: scorerId } };
  return {
    goal: {
      minute,
      side,
      scorer,
      scorerId,
      assist: f.text(`${side}_assist`).trim(),
      assistId: f.id(`${side}_assist_id`),
      score,
      penalty: isPenaltyInfo(info),
      ownGoal: isOwnGoal(info, scorer),
    },
  };
}

function parseCard(item: unknown, path: string, coaches: ReadonlySet<string>, warnings: string[]): CardItem | undefined {
  if (!isRecord(item)) throw new FormatError(`${path}: expected object, got ${describe(item)}`);
  const f = new Fields(item, path);
  const homeFault = f.text('home_fault').trim();
  const awayFault = f.text('away_fault').trim();
  const info = f.text('info');
  let side: Side | undefined;
  if (homeFault !== '' && awayFault === '') side = 'home';
  else if (awayFault !== '' && homeFault === '') side = 'away';
  else if (homeFault === '' && awayFault === '') side = sideFromInfo(info);
  if (side === undefined) {
    warnings.push(`${path}: card skipped, its side cannot be determined`);
    return undefined;
  }
  const card = f.text('card').trim();
  const player = side === 'home' ? homeFault : awayFault;
  // Only "yellow card" and "red card" were ever recorded; any other text naming red is a red.
  const color = /red/i.test(card) ? 'red' : 'yellow';
  return {
    minute: f.text('time').trim(),
    side,
    player,
    playerId: f.id(side === 'home' ? 'home_player_id' : 'away_player_id'),
    card,
    color,
    // A red whose text names the yellow too ("yellow red card") is a second booking.
    secondYellow: color === 'red' && /yellow/i.test(card),
    // The provider does not say; a name among the line-ups' coaches does.
    coach: player !== '' && coaches.has(normaliseName(player)),
  };
}

function parseSubstitution(item: unknown, path: string, warnings: string[]): SubItem | undefined {
  if (!isRecord(item)) throw new FormatError(`${path}: expected object, got ${describe(item)}`);
  const f = new Fields(item, path);
  const home = f.raw('home_scorer');
  const away = f.raw('away_scorer');
  // The acting side is an object {in, out, in_id, out_id}; the other side is [] (or, defensively, null/{}).
  const isActing = (value: unknown): value is Record<string, unknown> =>
    isRecord(value) && ('in' in value || 'out' in value);
  let side: Side;
  let acting: Record<string, unknown>;
  if (isActing(home) && !isActing(away)) {
    side = 'home';
    acting = home;
  } else if (isActing(away) && !isActing(home)) {
    side = 'away';
    acting = away;
  } else {
    for (const [key, value] of [['home_scorer', home], ['away_scorer', away]] as const) {
      if (!(value === null || value === undefined || value === '' || Array.isArray(value) || isRecord(value))) {
        throw new FormatError(`${path}.${key}: expected object or [], got ${describe(value)}`);
      }
    }
    warnings.push(`${path}: substitution skipped, its side cannot be determined`);
    return undefined;
  }
  const players = new Fields(acting, `${path}.${side}_scorer`);
  return {
    minute: f.text('time').trim(),
    side,
    playerIn: players.text('in').trim(),
    playerOut: players.text('out').trim(),
    inId: players.id('in_id'),
    outId: players.id('out_id'),
  };
}

/**
 * A VAR entry that cancelled a goal. The decision says what VAR decided; the type only what was
 * reviewed (FORMAT.md §8 records type "Goal cancelled" with decision "Goal confirmed"), so the type
 * decides only when the provider gave no decision.
 */
function cancelsGoal(type: string, decision: string): boolean {
  const verdict = decision.trim() !== '' ? decision : type;
  return /goal\s*cancel/i.test(verdict);
}

function parseVars(value: unknown, path: string): VarItem[] {
  // PHP encodes an empty associative array as [], so an empty list means "no VAR decisions".
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) return [];
  if (!isRecord(value)) throw new FormatError(`${path}: expected object, got ${describe(value)}`);
  const f = new Fields(value, path);
  const items: VarItem[] = [];
  for (const side of ['home', 'away'] as const) {
    f.list(`${side}_team`).forEach((entry, index) => {
      const entryPath = `${path}.${side}_team[${index}]`;
      if (!isRecord(entry)) throw new FormatError(`${entryPath}: expected object, got ${describe(entry)}`);
      const v = new Fields(entry, entryPath);
      items.push({
        side,
        minute: v.text('var_minute').trim(),
        player: v.text('var_player_name').trim(),
        playerId: v.id('var_player_id'),
        cancelsGoal: cancelsGoal(v.text('var_type'), v.text('var_event_decision')),
      });
    });
  }
  return items;
}

/** Coach names from the line-ups, normalised, to flag cards shown to coaches. */
function parseCoaches(lineups: unknown): Set<string> {
  // Line-ups are informational; a shape we do not expect just yields no coaches.
  const names = new Set<string>();
  if (!isRecord(lineups)) return names;
  for (const side of ['home_team', 'away_team']) {
    const team = lineups[side];
    if (!isRecord(team) || !Array.isArray(team['coaches']) || team['coaches'].length > MAX_LIST_ITEMS) continue;
    for (const coach of team['coaches']) {
      const name = isRecord(coach) && typeof coach['coache'] === 'string' ? coach['coache'].trim() : '';
      if (name !== '' && name.length <= MAX_TEXT_LENGTH) names.add(normaliseName(name));
    }
  }
  return names;
}

/** The top-level fields of a match object that the parser reads; every other field is ignored. */
const MATCH_FIELDS = [
  'event_key',
  'event_date',
  'event_time',
  'event_home_team',
  'event_away_team',
  'home_team_key',
  'away_team_key',
  'league_key',
  'league_name',
  'country_name',
  'event_status',
  'event_live',
  'event_final_result',
  'event_halftime_result',
  'event_ft_result',
  'event_penalty_result',
  'goalscorers',
  'cards',
  'substitutes',
  'vars',
  'lineups',
] as const;

/**
 * What the parser reads of a match object: its own fields among `MATCH_FIELDS` (line-ups reduced
 * to their coaches). Unknown fields — statistics, logos, whatever the provider adds, however deep —
 * are left behind, so whoever keeps a match object (the push decoder) keeps only this. The parser
 * itself reads through it, so the list cannot drift from what it reads.
 */
export function projectMatch(item: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const projected: Record<string, unknown> = {};
  for (const key of MATCH_FIELDS) if (Object.hasOwn(item, key)) projected[key] = item[key];
  const lineups = projected['lineups'];
  if (isRecord(lineups)) {
    const coachesOf = (team: unknown) => (isRecord(team) ? { coaches: team['coaches'] } : team);
    projected['lineups'] = { home_team: coachesOf(lineups['home_team']), away_team: coachesOf(lineups['away_team']) };
  }
  return projected;
}

function readMatch(item: unknown, path: string, warnings: string[]): MatchSnapshot {
  if (!isRecord(item)) throw new FormatError(`${path}: expected a match object, got ${describe(item)}`);
  const f = new Fields(projectMatch(item), path);
  const matchId = f.id('event_key', { required: true });
  const goals: GoalItem[] = [];
  const missedPenalties: MissedPenaltyItem[] = [];
  let previous: Score | null = null;
  f.list('goalscorers').forEach((goal, index) => {
    const parsed = parseGoal(goal, `${f.at('goalscorers')}[${index}]`, previous, warnings);
    if (parsed !== undefined && 'goal' in parsed) {
      goals.push(parsed.goal);
      previous = parsed.goal.score ?? previous;
    } else if (parsed !== undefined) missedPenalties.push(parsed.missed);
  });
  const coaches = parseCoaches(f.raw('lineups'));
  const cards: CardItem[] = [];
  f.list('cards').forEach((card, index) => {
    const parsed = parseCard(card, `${f.at('cards')}[${index}]`, coaches, warnings);
    if (parsed) cards.push(parsed);
  });
  const substitutions: SubItem[] = [];
  f.list('substitutes').forEach((sub, index) => {
    const parsed = parseSubstitution(sub, `${f.at('substitutes')}[${index}]`, warnings);
    if (parsed) substitutions.push(parsed);
  });
  const live = f.raw('event_live');
  const status = f.text('event_status').trim();
  const shootout = isShootoutStatus(status);
  return {
    matchId,
    startTime: `${f.text('event_date').trim()} ${f.text('event_time').trim()}`.trim(),
    homeTeam: f.text('event_home_team', { required: true }).trim(),
    awayTeam: f.text('event_away_team', { required: true }).trim(),
    homeTeamKey: f.id('home_team_key'),
    awayTeamKey: f.id('away_team_key'),
    leagueId: f.id('league_key'),
    league: f.text('league_name').trim(),
    country: f.text('country_name').trim(),
    phase: phaseOf(status),
    minute: minuteOf(status),
    statusText: status,
    live: live === '1' || live === 1 || live === true,
    // During and after a shoot-out event_final_result folds the shoot-out in (FORMAT.md §4: "2 - 3"
    // after a 2 - 2 and 4 - 5 on penalties); event_ft_result is the real score once the match is
    // over ("" during the shoot-out: no trusted score then).
    score: parseScore(f.text(shootout ? 'event_ft_result' : 'event_final_result')),
    halftimeScore: parseScore(f.text('event_halftime_result')),
    shootoutScore: parseScore(f.text('event_penalty_result')),
    shootout,
    goals,
    missedPenalties,
    cards,
    substitutions,
    vars: parseVars(f.raw('vars'), f.at('vars')),
  };
}

/** A parser bug meeting data nobody foresaw: refused like a malformed reply, never thrown. */
function unreadable(error: unknown, path: string): UpstreamError {
  if (error instanceof FormatError) return new UpstreamError('bad_format', error.message);
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new UpstreamError('bad_format', `${path}: could not be read (${bounded(reason, 120)})`, { cause: error });
}

/**
 * One match object on its own (a push frame's): the contract's `parseMatch`. Errors and warnings
 * name `path` (`frame[2].goalscorers[0].time: …`).
 */
export function parseMatch(raw: unknown, path: string): Result<ParsedMatch, UpstreamError> {
  const warnings: string[] = [];
  try {
    const snapshot = readMatch(raw, path, warnings);
    return ok({ snapshot, warnings: capped(warnings) });
  } catch (error) {
    return err(unreadable(error, path));
  }
}

/**
 * Validates the envelope and every match of a Livescore or Fixtures reply. An error envelope
 * (HTTP 200 with `success` other than 1) becomes an `UpstreamError` of kind `auth` or
 * `provider_error` carrying the provider's messages.
 */
export function parseReply(body: unknown): Result<ParsedReply, UpstreamError> {
  if (!isRecord(body)) {
    return err(new UpstreamError('bad_format', `reply: expected a JSON object, got ${describe(body)}`));
  }
  if (body['success'] !== 1) return err(refusal(body));
  const result = body['result'];
  if (result !== undefined && result !== null && !Array.isArray(result)) {
    return err(new UpstreamError('bad_format', `reply.result: expected array, got ${describe(result)}`));
  }
  const warnings: string[] = [];
  const matches: MatchSnapshot[] = [];
  let index = 0;
  try {
    for (const item of (result ?? []) as unknown[]) {
      matches.push(readMatch(item, `result[${index}]`, warnings));
      index += 1;
    }
  } catch (error) {
    return err(unreadable(error, `result[${index}]`));
  }
  return ok({ matches, warnings: capped(warnings) });
}

/** Parses a raw response body (text) as a reply. */
export function parseReplyText(text: string): Result<ParsedReply, UpstreamError> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return err(
      new UpstreamError('bad_json', `reply is not valid JSON (${text.length} bytes): ${reason.slice(0, 120)}`),
    );
  }
  return parseReply(body);
}
