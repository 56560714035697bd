/**
 * Parses AllSportsAPI replies (see ../shared/allsportsapi/FORMAT.md): `unknown` JSON in, typed
 * snapshots out. Lossless coercions that the provider is known to need are applied (numeric ids
 * as strings, `null` for empty text); anything else that does not fit is rejected with the path of
 * the offending field, and the whole reply is refused so a malformed reply never produces events.
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
import { UpstreamError, redactApiKey, type ProviderMessage } from './errors.js';

/** A parsed reply: the matches, plus notes about items that were unusable and skipped. */
export interface ParsedReply {
  readonly matches: MatchSnapshot[];
  readonly warnings: string[];
}

class FormatError extends Error {}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
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
    if (typeof value === 'string') return value;
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
    if (typeof value === 'string' && /^\d+$/.test(value.trim())) return value.trim();
    if ((value === undefined || value === null || value === '') && !required) return '';
    if (value === undefined || value === null) throw new FormatError(`${this.at(key)}: missing`);
    throw new FormatError(`${this.at(key)}: expected an integer id, got ${describe(value)} ${JSON.stringify(value).slice(0, 40)}`);
  }

  /** Array field; `null`/absent as `[]`. */
  list(key: string): unknown[] {
    const value = this.object[key];
    if (Array.isArray(value)) return value;
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
    if (!isRecord(team) || !Array.isArray(team['coaches'])) continue;
    for (const coach of team['coaches']) {
      if (isRecord(coach) && typeof coach['coache'] === 'string' && coach['coache'].trim() !== '') {
        names.push(coach['coache'].trim());
      }
    }
  }
  return names;
}

function parseMatch(item: unknown, path: string, warnings: string[]): MatchSnapshot {
  if (!isRecord(item)) throw new FormatError(`${path}: expected a match object, got ${describe(item)}`);
  const f = new Fields(item, path);
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
  const result = body['result'];
  if (Array.isArray(result)) {
    for (const entry of result) {
      if (isRecord(entry) && typeof entry['msg'] === 'string') {
        const cod = entry['cod'];
        const param = entry['param'];
        messages.push({
          // A provider message may echo the request URL, key included.
          msg: redactApiKey(entry['msg']),
          cod: typeof cod === 'number' || typeof cod === 'string' ? cod : null,
          param: typeof param === 'string' ? param : null,
        });
      }
    }
  }
  for (const key of ['message', 'msg', 'error']) {
    const value = body[key];
    if (typeof value === 'string' && value !== '' && value !== '1' && messages.length === 0) {
      messages.push({ msg: redactApiKey(value), cod: null, param: null });
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
    const text = messages.length > 0 ? messages.map((m) => m.msg).join('; ') : 'no message';
    const detail =
      body['success'] === undefined ? 'success field missing' : `success is ${JSON.stringify(body['success'])}`;
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
  try {
    (result ?? []).forEach((item: unknown, index: number) => {
      matches.push(parseMatch(item, `result[${index}]`, warnings));
    });
  } catch (error) {
    if (error instanceof FormatError) return err(new UpstreamError('bad_format', error.message));
    throw error;
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
