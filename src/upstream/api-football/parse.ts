/**
 * Parses API-Football v3 `/fixtures` answers (../shared/api-football/FORMAT.md): `unknown` JSON in,
 * checked fixtures out. Never throws on what the provider sends: every field is read by path and
 * type, every list is bounded, and what cannot be used is dropped and counted (`dropped`) with a
 * bounded warning — an event with no usable team is dropped, not the fixture; a fixture without an
 * id or teams is dropped, not the answer.
 *
 * The envelope is checked first: an `errors` object (HTTP 200, `response: []`) is a refusal,
 * classified (auth, quota, rate limit, plan, bad parameter), never an empty live list (§2, §6.1).
 */
import { err, ok, type Result } from '../../domain/result.js';
// A field the parser cannot use without making something up (the catalogue's UpstreamFormatError): the item holding it is dropped.
import { UpstreamFormatError as Unusable } from '../../errors.js';
import { UpstreamError, redactApiKey, type ProviderMessage } from '../errors.js';
import { MAX_TEXT_LENGTH } from '../provider.js';

/** Fixtures read from one answer: the busiest recorded `live=all` held 246 (FORMAT.md §3). */
export const MAX_FIXTURES = 5_000;
/** Events per fixture: a match has a few dozen; a fixture with more is refused (dropped and counted). */
export const MAX_EVENTS = 400;
/** Players read per line-up list (starting XI, bench). */
const MAX_LINEUP_PLAYERS = 60;
const MAX_WARNINGS = 100;
const MAX_PROVIDER_MESSAGES = 5;
const MAX_PROVIDER_MESSAGE_LENGTH = 300;

/** A player or team reference; `""` for an unknown id or name. */
export interface Ref {
  readonly id: string;
  readonly name: string;
}

/** One event as read: numbers checked, text bounded, references normalised. */
export interface ParsedEvent {
  readonly elapsed: number | null;
  readonly extra: number | null;
  readonly team: Ref;
  readonly player: Ref;
  readonly assist: Ref;
  readonly type: string;
  readonly detail: string;
  readonly comments: string;
}

export interface ParsedLineup {
  readonly team: Ref;
  readonly startXI: readonly Ref[];
  readonly substitutes: readonly Ref[];
  readonly coach: Ref;
}

export interface Pair {
  readonly home: number;
  readonly away: number;
}

/** One fixture as read. */
export interface ParsedFixture {
  readonly id: string;
  /** `fixture.date` as given: `YYYY-MM-DDTHH:MM:SS+HH:MM` in the requested zone, `""` if unusable. */
  readonly date: string;
  readonly timestamp: number | null;
  readonly status: { readonly short: string; readonly elapsed: number | null; readonly extra: number | null };
  readonly league: { readonly id: string; readonly name: string; readonly country: string };
  readonly home: Ref;
  readonly away: Ref;
  /** The running score incl. extra time, excl. the shoot-out; `null` before kick-off. */
  readonly goals: Pair | null;
  readonly halftime: Pair | null;
  readonly penalty: Pair | null;
  /** `null`: the answer carried no `events` key (e.g. `date=`); `[]`: none yet. */
  readonly events: readonly ParsedEvent[] | null;
  /** `null`: no line-ups in this answer (`live=` never has them). */
  readonly lineups: readonly ParsedLineup[] | null;
}

export interface ParsedFixtures {
  readonly fixtures: ParsedFixture[];
  /** Fixtures, events and line-up entries that could not be used. */
  readonly dropped: number;
  readonly warnings: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function bounded(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A record field, or `undefined`. Never walks further than the paths the parser names. */
function field(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}

/** Text: strings (trimmed), finite numbers as text; anything else `""`. Over-long text is refused, never cut. */
function text(value: unknown): string {
  if (typeof value === 'string') {
    if (value.length > MAX_TEXT_LENGTH) throw new Unusable(`text longer than ${MAX_TEXT_LENGTH} characters (${value.length})`);
    return value.trim();
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return '';
}

/** An id: a non-negative safe integer or its decimal text; `""` when absent or anything else. */
function id(value: unknown): string {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return String(value);
  if (typeof value === 'string' && /^\d{1,20}$/.test(value.trim()) && Number(value) > 0) return value.trim();
  return '';
}

/** A small non-negative integer (minutes, goals); `null` when absent or not one. */
function count(value: unknown, max = 10_000): number | null {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max) return value;
  if (typeof value === 'string' && /^\d{1,5}$/.test(value.trim())) {
    const n = Number(value);
    return n <= max ? n : null;
  }
  return null;
}

function ref(value: unknown): Ref {
  return { id: id(field(value, 'id')), name: text(field(value, 'name')) };
}

function pair(value: unknown): Pair | null {
  const home = count(field(value, 'home'));
  const away = count(field(value, 'away'));
  return home === null || away === null ? null : { home, away };
}

class Notes {
  dropped = 0;
  readonly warnings: string[] = [];
  drop(message: string): void {
    this.dropped += 1;
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(message);
  }
}

function parseEvent(item: unknown, path: string, notes: Notes): ParsedEvent | undefined {
  try {
    return readEvent(item, path, notes);
  } catch (error) {
    if (!(error instanceof Unusable)) throw error;
    notes.drop(`${path}: event skipped, ${error.message}`);
    return undefined;
  }
}

function readEvent(item: unknown, path: string, notes: Notes): ParsedEvent | undefined {
  if (!isRecord(item)) {
    notes.drop(`${path}: event skipped, expected an object, got ${describe(item)}`);
    return undefined;
  }
  const type = text(item['type']);
  if (type === '') {
    notes.drop(`${path}: event skipped, no type`);
    return undefined;
  }
  const team = ref(item['team']);
  if (team.id === '' && team.name === '') {
    notes.drop(`${path}: event skipped, no team`);
    return undefined;
  }
  const time = item['time'];
  return {
    elapsed: count(field(time, 'elapsed'), 200),
    extra: count(field(time, 'extra'), 60),
    team,
    player: ref(item['player']),
    assist: ref(item['assist']),
    type,
    detail: text(item['detail']),
    comments: text(item['comments']),
  };
}

function players(value: unknown, path: string, notes: Notes): Ref[] {
  if (!Array.isArray(value)) return [];
  if (value.length > MAX_LINEUP_PLAYERS) notes.drop(`${path}: line-up cut to ${MAX_LINEUP_PLAYERS} players (${value.length})`);
  const out: Ref[] = [];
  for (const entry of value.slice(0, MAX_LINEUP_PLAYERS)) {
    const player = ref(field(entry, 'player'));
    if (player.id !== '' || player.name !== '') out.push(player);
  }
  return out;
}

function parseLineups(value: unknown, path: string, notes: Notes): ParsedLineup[] | null {
  if (!Array.isArray(value)) return null;
  const lineups: ParsedLineup[] = [];
  // Two teams; anything past a handful is not a line-up list.
  value.slice(0, 4).forEach((entry, index) => {
    if (!isRecord(entry)) {
      notes.drop(`${path}[${index}]: line-up skipped, expected an object`);
      return;
    }
    lineups.push({
      team: ref(entry['team']),
      startXI: players(entry['startXI'], `${path}[${index}].startXI`, notes),
      substitutes: players(entry['substitutes'], `${path}[${index}].substitutes`, notes),
      coach: ref(entry['coach']),
    });
  });
  return lineups;
}

function parseFixture(item: unknown, path: string, notes: Notes): ParsedFixture | undefined {
  const fixture = field(item, 'fixture');
  const fixtureId = id(field(fixture, 'id'));
  if (fixtureId === '') {
    notes.drop(`${path}: fixture skipped, no usable fixture.id`);
    return undefined;
  }
  const teams = field(item, 'teams');
  const home = ref(field(teams, 'home'));
  const away = ref(field(teams, 'away'));
  if (home.name === '' || away.name === '') {
    notes.drop(`${path}: fixture ${fixtureId} skipped, a team has no name`);
    return undefined;
  }
  const status = field(fixture, 'status');
  const league = field(item, 'league');
  const score = field(item, 'score');
  const rawEvents = isRecord(item) ? item['events'] : undefined;
  let events: ParsedEvent[] | null = null;
  if (Array.isArray(rawEvents)) {
    events = [];
    if (rawEvents.length > MAX_EVENTS) throw new Unusable(`more than ${MAX_EVENTS} events (${rawEvents.length})`);
    rawEvents.forEach((event, index) => {
      const parsed = parseEvent(event, `${path}.events[${index}]`, notes);
      if (parsed) events?.push(parsed);
    });
  } else if (rawEvents !== undefined && rawEvents !== null) {
    notes.drop(`${path}.events: skipped, expected an array, got ${describe(rawEvents)}`);
    events = [];
  }
  const date = text(field(fixture, 'date'));
  const timestamp = field(fixture, 'timestamp');
  return {
    id: fixtureId,
    date: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(date) ? date : '',
    timestamp: typeof timestamp === 'number' && Number.isSafeInteger(timestamp) ? timestamp : null,
    status: {
      short: text(field(status, 'short')).slice(0, 40),
      elapsed: count(field(status, 'elapsed'), 200),
      extra: count(field(status, 'extra'), 60),
    },
    league: { id: id(field(league, 'id')), name: text(field(league, 'name')), country: text(field(league, 'country')) },
    home,
    away,
    goals: pair(field(item, 'goals')),
    halftime: pair(field(score, 'halftime')),
    penalty: pair(field(score, 'penalty')),
    events,
    lineups: parseLineups(isRecord(item) ? item['lineups'] : undefined, `${path}.lineups`, notes),
  };
}

/** Which refusal an `errors` object is (FORMAT.md §2). */
export type RefusalKind = 'auth' | 'quota' | 'rate_limit' | 'plan' | 'parameter' | 'provider';

export interface Refusal {
  readonly kind: RefusalKind;
  readonly messages: readonly ProviderMessage[];
  /** `plan` refusals: the parameter the plan refused, lower case (`ids`, `last`, `season`…), when named. */
  readonly parameter?: string;
}

const clean = (message: string): string => bounded(redactApiKey(message.slice(0, 64 * 1024)), MAX_PROVIDER_MESSAGE_LENGTH);

/** Reads a non-empty `errors` value; `undefined` when it says nothing went wrong. */
export function readRefusal(errors: unknown): Refusal | undefined {
  const messages: ProviderMessage[] = [];
  if (isRecord(errors)) {
    for (const [key, value] of Object.entries(errors)) {
      if (messages.length >= MAX_PROVIDER_MESSAGES) break;
      messages.push({ msg: clean(typeof value === 'string' ? value : describe(value)), cod: null, param: bounded(key, 40) });
    }
    if (messages.length === 0) return undefined;
  } else if (Array.isArray(errors)) {
    if (errors.length === 0) return undefined;
    for (const value of errors.slice(0, MAX_PROVIDER_MESSAGES)) {
      messages.push({ msg: clean(typeof value === 'string' ? value : describe(value)), cod: null, param: null });
    }
  } else if (errors === undefined || errors === null) {
    return undefined;
  } else {
    messages.push({ msg: clean(text(errors) || describe(errors)), cod: null, param: null });
  }
  const keys = new Set(messages.map((m) => (m.param ?? '').toLowerCase()));
  if (keys.has('token')) return { kind: 'auth', messages };
  if (keys.has('requests')) return { kind: 'quota', messages };
  if (keys.has('ratelimit')) return { kind: 'rate_limit', messages };
  if (keys.has('plan')) {
    const planText = messages.find((m) => m.param?.toLowerCase() === 'plan')?.msg ?? '';
    const named = /to the (\w+) parameter/i.exec(planText)?.[1];
    const parameter = named !== undefined ? named.toLowerCase() : /season/i.test(planText) ? 'season' : undefined;
    return parameter === undefined ? { kind: 'plan', messages } : { kind: 'plan', messages, parameter };
  }
  if (keys.has('time') || keys.has('bug') || keys.has('report')) return { kind: 'provider', messages };
  if (messages.some((m) => m.param !== null)) return { kind: 'parameter', messages };
  return { kind: 'provider', messages };
}

/** The `UpstreamError` of a refusal (the client adds the variable names and back-off). */
export function refusalError(refusal: Refusal, status?: number): UpstreamError {
  const quoted = refusal.messages.map((m) => (m.param ? `${m.param}: ${m.msg}` : m.msg)).join('; ');
  const kind =
    refusal.kind === 'auth'
      ? 'auth'
      : refusal.kind === 'quota'
        ? 'quota'
        : refusal.kind === 'rate_limit'
          ? 'rate_limited'
          : refusal.kind === 'plan'
            ? 'plan'
            : 'provider_error';
  const what =
    refusal.kind === 'plan' && refusal.parameter !== undefined
      ? `the API-Football plan refuses the ${refusal.parameter} parameter`
      : 'API-Football refused the request';
  return new UpstreamError(kind, `${what} (${bounded(quoted, 2 * MAX_PROVIDER_MESSAGE_LENGTH)})`, {
    providerMessages: refusal.messages,
    ...(status === undefined ? {} : { status }),
  });
}

/**
 * Checks the envelope and reads every fixture of a `/fixtures` answer. An `errors` object is a
 * refusal (an `UpstreamError`), whatever `response` holds; a `response` that is not an array is a
 * format error; the fixtures are read one by one, the unusable ones dropped and counted.
 */
export function parseFixturesReply(body: unknown): Result<ParsedFixtures, UpstreamError> {
  if (!isRecord(body)) return err(new UpstreamError('bad_format', `reply: expected a JSON object, got ${describe(body)}`));
  const refusal = readRefusal(body['errors']);
  if (refusal !== undefined) return err(refusalError(refusal));
  if (!('errors' in body) && typeof body['message'] === 'string') {
    // 499/500 answers carry `{"message": …}` and no envelope (FORMAT.md §2).
    return err(new UpstreamError('provider_error', `API-Football answered without data: ${clean(body['message'])}`));
  }
  const response = body['response'];
  if (!Array.isArray(response)) {
    return err(new UpstreamError('bad_format', `reply.response: expected an array, got ${describe(response)}`));
  }
  const notes = new Notes();
  const fixtures: ParsedFixture[] = [];
  if (response.length > MAX_FIXTURES) notes.drop(`response: ${response.length - MAX_FIXTURES} fixtures past ${MAX_FIXTURES} skipped`);
  const seen = new Set<string>();
  response.slice(0, MAX_FIXTURES).forEach((item, index) => {
    try {
      const fixture = parseFixture(item, `response[${index}]`, notes);
      if (fixture === undefined) return;
      if (seen.has(fixture.id)) {
        notes.drop(`response[${index}]: fixture ${fixture.id} listed twice, the later one skipped`);
        return;
      }
      seen.add(fixture.id);
      fixtures.push(fixture);
    } catch (error) {
      // Unusable data, or a parser bug meeting data nobody foresaw: that fixture goes, never the process.
      notes.drop(`response[${index}]: fixture skipped (${bounded(error instanceof Error ? error.message : String(error), 120)})`);
    }
  });
  const warnings = [...notes.warnings];
  if (notes.dropped > warnings.length) warnings.push(`… and ${notes.dropped - warnings.length} more items skipped`);
  return ok({ fixtures, dropped: notes.dropped, warnings });
}

/** Parses a raw body (text). */
export function parseFixturesText(body: string): Result<ParsedFixtures, UpstreamError> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return err(new UpstreamError('bad_json', `reply is not valid JSON (${body.length} bytes): ${reason.slice(0, 120)}`));
  }
  return parseFixturesReply(value);
}
