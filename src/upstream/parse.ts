/**
 * Parses AllSportsAPI replies (see ../shared/allsportsapi/FORMAT.md): `unknown` JSON in, typed
 * snapshots out. Lossless coercions that the provider is known to need are applied (numeric ids
 * as strings, `null` for empty text); anything else that does not fit is rejected with the path of
 * the offending field, and the whole reply is refused so a malformed reply never produces events.
 *
 * Every input is bounded: text fields, ids and item lists have a maximum length (far above anything
 * the provider sends, far below what would flood the store and every client), provider messages and
 * warnings are cut short, and nothing provider-supplied is ever serialised whole (an unknown field
 * nested thousands of levels deep is never touched at all).
 */
import type {
  CardItem,
  GoalItem,
  MatchSnapshot,
  Score,
  Side,
  SubItem,
  VarItem,
} from '../domain/match.js';
import { err, ok, type Result } from '../domain/result.js';
import { UpstreamFormatError as FormatError } from '../errors.js';
import { UpstreamError, redactApiKey, type ProviderMessage } from './errors.js';

/** A parsed reply: the matches, plus notes about items that were unusable and skipped. */
export interface ParsedReply {
  readonly matches: MatchSnapshot[];
  readonly warnings: string[];
}

/** Longest text field accepted (team, league, player names, statuses): real ones are under 100. */
export const MAX_TEXT_LENGTH = 1_000;
/** Longest id accepted, in digits. */
const MAX_ID_LENGTH = 32;
/**
 * Most items in one list of a match (goals, cards, substitutions, VAR decisions, coaches): above any
 * real match (the record is 149 goals), and low enough that detection, which grows faster than
 * linearly with a list, stays in the tens of milliseconds for one match.
 */
export const MAX_LIST_ITEMS = 200;
/** Warnings kept per reply; the rest are counted in one last line. */
const MAX_WARNINGS = 100;
/** Provider messages kept from an error envelope, and the length each is cut to. */
const MAX_PROVIDER_MESSAGES = 5;
const MAX_PROVIDER_MESSAGE_LENGTH = 300;


function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * A value as an error message shows it: scalars as (short) JSON, anything else by its type only.
 * Never serialises a provider object (one nested thousands deep would overflow the stack).
 */
export function preview(value: unknown, max = 40): string {
  if (typeof value === 'string') return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return describe(value);
}

function bounded(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads typed fields of one provider object, naming the path on failure. */
class Fields {
  constructor(
    private readonly object: Record<string, unknown>,
    private readonly path: string,
  ) {}

  at(key: string): string {
    return `${this.path}.${key}`;
  }

  raw(key: string): unknown {
    return this.object[key];
  }

  /** Text field; numbers are taken as their decimal text, `null`/absent as `""`. */
  text(key: string, { required = false } = {}): string {
    const value = this.object[key];
    if (typeof value === 'string') {
      if (value.length > MAX_TEXT_LENGTH) throw new FormatError(`${this.at(key)}: text longer than ${MAX_TEXT_LENGTH} characters (${value.length})`);
      return value;
    }
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (value === null || value === undefined) {
      if (required) throw new FormatError(`${this.at(key)}: missing`);
      return '';
    }
    throw new FormatError(`${this.at(key)}: expected string, got ${describe(value)}`);
  }

  /** Id field: a non-negative integer or its decimal text; `""` when absent, empty or 0 (unknown). */
  id(key: string, { required = false } = {}): string {
    const value = this.object[key];
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
      if (value === 0 && !required) return '';
      return String(value);
    }
    if (typeof value === 'string' && /^\d+$/.test(value.trim())) {
      const id = value.trim();
      if (id.length > MAX_ID_LENGTH) throw new FormatError(`${this.at(key)}: id longer than ${MAX_ID_LENGTH} digits (${id.length})`);
      return id;
    }
    if ((value === undefined || value === null || value === '') && !required) return '';
    if (value === undefined || value === null) throw new FormatError(`${this.at(key)}: missing`);
    const shown = typeof value === 'object' ? '' : ` ${preview(value)}`;
    throw new FormatError(`${this.at(key)}: expected an integer id, got ${describe(value)}${shown}`);
  }

  /** Array field; `null`/absent as `[]`. */
  list(key: string): unknown[] {
    const value = this.object[key];
    if (Array.isArray(value)) {
      if (value.length > MAX_LIST_ITEMS) throw new FormatError(`${this.at(key)}: more than ${MAX_LIST_ITEMS} items (${value.length})`);
      return value;
    }
    if (value === null || value === undefined) return [];
    throw new FormatError(`${this.at(key)}: expected array, got ${describe(value)}`);
  }
}

const SCORE_PATTERN = /^\s*(\d+)\s*[-:]\s*(\d+)\s*$/;

/** `"2 - 1"`, `"2-1"`, `"2:1"` → a score; `"-"`, `""` and anything else → `null`. */
export function parseScore(text: string): Score | null {
  const match = SCORE_PATTERN.exec(text);
  if (!match) return null;
  return { home: Number(match[1]), away: Number(match[2]) };
}

function sideFromInfo(info: string): Side | undefined {
  const normalised = info.trim().toLowerCase();
  if (normalised === 'home' || normalised === 'away') return normalised;
  return undefined;
}

function parseGoal(item: unknown, path: string, previous: Score | null, warnings: string[]): GoalItem | undefined {
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
  const prefix = side === 'home' ? 'home' : 'away';
  return {
    minute: f.text('time').trim(),
    side,
    scorer: side === 'home' ? homeScorer : awayScorer,
    scorerId: f.id(`${prefix}_scorer_id`),
    assist: f.text(`${prefix}_assist`).trim(),
    assistId: f.id(`${prefix}_assist_id`),
    score,
    info,
    infoTime: f.text('info_time'),
  };
}

function parseCard(item: unknown, path: string, warnings: string[]): CardItem | undefined {
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
  return {
    minute: f.text('time').trim(),
    side,
    player: side === 'home' ? homeFault : awayFault,
    playerId: f.id(side === 'home' ? 'home_player_id' : 'away_player_id'),
    card,
    // Only "yellow card" and "red card" were ever recorded; any other text naming red is a red.
    color: /red/i.test(card) ? 'red' : 'yellow',
    infoTime: f.text('info_time'),
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
    infoTime: f.text('info_time'),
  };
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
        type: v.text('var_type'),
        decision: v.text('var_event_decision'),
      });
    });
  }
  return items;
}

function parseCoaches(lineups: unknown): string[] {
  // Line-ups are informational; a shape we do not expect just yields no coaches.
  if (!isRecord(lineups)) return [];
  const names: string[] = [];
  for (const side of ['home_team', 'away_team']) {
    const team = lineups[side];
    if (!isRecord(team) || !Array.isArray(team['coaches']) || team['coaches'].length > MAX_LIST_ITEMS) continue;
    for (const coach of team['coaches']) {
      const name = isRecord(coach) && typeof coach['coache'] === 'string' ? coach['coache'].trim() : '';
      if (name !== '' && name.length <= MAX_TEXT_LENGTH) names.push(name);
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

function parseMatch(item: unknown, path: string, warnings: string[]): MatchSnapshot {
  if (!isRecord(item)) throw new FormatError(`${path}: expected a match object, got ${describe(item)}`);
  const f = new Fields(projectMatch(item), path);
  const matchId = f.id('event_key', { required: true });
  const goals: GoalItem[] = [];
  let previous: Score | null = null;
  f.list('goalscorers').forEach((goal, index) => {
    const parsed = parseGoal(goal, `${f.at('goalscorers')}[${index}]`, previous, warnings);
    if (parsed) goals.push(parsed);
    previous = parsed?.score ?? previous;
  });
  const cards: CardItem[] = [];
  f.list('cards').forEach((card, index) => {
    const parsed = parseCard(card, `${f.at('cards')}[${index}]`, warnings);
    if (parsed) cards.push(parsed);
  });
  const substitutions: SubItem[] = [];
  f.list('substitutes').forEach((sub, index) => {
    const parsed = parseSubstitution(sub, `${f.at('substitutes')}[${index}]`, warnings);
    if (parsed) substitutions.push(parsed);
  });
  const live = f.raw('event_live');
  return {
    matchId,
    date: f.text('event_date').trim(),
    time: f.text('event_time').trim(),
    homeTeam: f.text('event_home_team', { required: true }).trim(),
    awayTeam: f.text('event_away_team', { required: true }).trim(),
    homeTeamKey: f.id('home_team_key'),
    awayTeamKey: f.id('away_team_key'),
    leagueId: f.id('league_key'),
    league: f.text('league_name').trim(),
    country: f.text('country_name').trim(),
    status: f.text('event_status').trim(),
    live: live === '1' || live === 1 || live === true,
    finalResult: parseScore(f.text('event_final_result')),
    halftimeResult: parseScore(f.text('event_halftime_result')),
    ftResult: parseScore(f.text('event_ft_result')),
    penaltyResult: parseScore(f.text('event_penalty_result')),
    goals,
    cards,
    substitutions,
    vars: parseVars(f.raw('vars'), f.at('vars')),
    coaches: parseCoaches(f.raw('lineups')),
  };
}

function providerMessages(body: Record<string, unknown>): ProviderMessage[] {
  const messages: ProviderMessage[] = [];
  // Redacted before it is cut (a cut through a URL's credentials would hide them from the pattern);
  // only a message longer than 64 KB is cut first, far past anything that is kept.
  const clean = (text: string) => bounded(redactApiKey(text.slice(0, 64 * 1024)), MAX_PROVIDER_MESSAGE_LENGTH);
  const result = body['result'];
  if (Array.isArray(result)) {
    for (const entry of result) {
      if (messages.length >= MAX_PROVIDER_MESSAGES) break;
      if (isRecord(entry) && typeof entry['msg'] === 'string') {
        const cod = entry['cod'];
        const param = entry['param'];
        messages.push({
          // A provider message may echo the request URL, key included.
          msg: clean(entry['msg']),
          cod: typeof cod === 'number' || (typeof cod === 'string' && cod.length <= 40) ? cod : null,
          param: typeof param === 'string' ? bounded(param, 100) : null,
        });
      }
    }
  }
  for (const key of ['message', 'msg', 'error']) {
    const value = body[key];
    if (typeof value === 'string' && value !== '' && value !== '1' && messages.length === 0) {
      messages.push({ msg: clean(value), cod: null, param: null });
    }
  }
  return messages;
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
  if (body['success'] !== 1) {
    const messages = providerMessages(body);
    // 1004 "Wrong login credentials"; 1005 "The field is mandatory" only when the field is the key.
    const isAuth = messages.some(
      (m) =>
        String(m.cod) === '1004' ||
        (String(m.cod) === '1005' && /^apikey$/i.test(m.param ?? '')) ||
        /login|credential/i.test(m.msg),
    );
    const text = messages.length > 0 ? bounded(messages.map((m) => m.msg).join('; '), 2 * MAX_PROVIDER_MESSAGE_LENGTH) : 'no message';
    const detail = body['success'] === undefined ? 'success field missing' : `success is ${preview(body['success'])}`;
    return err(
      new UpstreamError(isAuth ? 'auth' : 'provider_error', `provider refused the request (${detail}): ${text}`, {
        providerMessages: messages,
      }),
    );
  }
  const result = body['result'];
  if (result !== undefined && result !== null && !Array.isArray(result)) {
    return err(new UpstreamError('bad_format', `reply.result: expected array, got ${describe(result)}`));
  }
  const warnings: string[] = [];
  const matches: MatchSnapshot[] = [];
  let index = 0;
  try {
    for (const item of (result ?? []) as unknown[]) {
      matches.push(parseMatch(item, `result[${index}]`, warnings));
      index += 1;
    }
  } catch (error) {
    if (error instanceof FormatError) return err(new UpstreamError('bad_format', error.message));
    // A parser bug meeting data nobody foresaw: the reply is refused like a malformed one, never thrown.
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return err(new UpstreamError('bad_format', `result[${index}]: could not be read (${bounded(reason, 120)})`, { cause: error }));
  }
  if (warnings.length > MAX_WARNINGS) {
    const more = warnings.length - MAX_WARNINGS;
    warnings.length = MAX_WARNINGS;
    warnings.push(`… and ${more} more items skipped`);
  }
  return ok({ matches, warnings });
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
