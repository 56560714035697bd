import { Agent, get, type IncomingMessage } from 'node:http';
import { describe, it, expect } from 'vitest';
import { Status, parseMinute } from '../../src/sim/clock.js';
import {
  incidentSecs,
  matchdayLengthSecs,
  renderFixture,
  renderLivescore,
  scriptedMatches,
  toProviderJson,
  type ScriptedMatchInfo,
  type WireMatch,
} from '../../src/sim/render/allsportsapi/index.js';
import { EVENT_KEY_CYCLE_STRIDE, MATCHDAY, type PlayedMatchScript } from '../../src/sim/script.js';
import { startSimServer } from '../../src/sim/server.js';

// ---------------------------------------------------------------------------------------------
// Shape checks against FORMAT.md §3, §5–§8. Each returns problems as "path: what was wrong".

type Check = (value: unknown) => boolean;

const SCORE = /^\d+ - \d+$/;
const NUMERIC_ID = /^\d+$/;
const isString: Check = (v) => typeof v === 'string';
const isInteger: Check = (v) => typeof v === 'number' && Number.isInteger(v);
const isScoreOrEmpty: Check = (v) => v === '' || (typeof v === 'string' && SCORE.test(v));
const isIdOrEmpty: Check = (v) => v === '' || (typeof v === 'string' && NUMERIC_ID.test(v));
const isStringOrNull: Check = (v) => v === null || typeof v === 'string';
const isArray: Check = (v) => Array.isArray(v);
const isObject: Check = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const isUrl: Check = (v) => typeof v === 'string' && v.startsWith('https://');

const MINUTE_STATUS = /^(\d{1,3})$/;
const STOPPAGE_STATUSES = new Set(['45+', '90+', '105+', '120+']);
const WORD_STATUSES = new Set<string>(Object.values(Status));
const FINAL_STATUSES = new Set<string>([Status.Finished, Status.AfterExtraTime, Status.AfterPenalties]);
const INFO_TIMES = new Set(['1st Half', '2nd Half', 'Extra Time']);

function isKnownStatus(status: unknown): boolean {
  if (typeof status !== 'string') return false;
  const minute = MINUTE_STATUS.exec(status);
  if (minute !== null) return Number(minute[1]) >= 1 && Number(minute[1]) <= 120;
  return STOPPAGE_STATUSES.has(status) || WORD_STATUSES.has(status);
}

const MATCH_FIELDS: ReadonlyArray<readonly [string, Check]> = [
  ['event_key', isInteger],
  ['event_date', (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)],
  ['event_time', (v) => typeof v === 'string' && /^\d{2}:\d{2}$/.test(v)],
  ['event_home_team', isString],
  ['home_team_key', isInteger],
  ['event_away_team', isString],
  ['away_team_key', isInteger],
  ['event_halftime_result', isScoreOrEmpty],
  ['event_final_result', (v) => v === '-' || isScoreOrEmpty(v)],
  ['event_ft_result', isScoreOrEmpty],
  ['event_penalty_result', isScoreOrEmpty],
  ['event_status', isKnownStatus],
  ['country_name', isString],
  ['league_name', isString],
  ['league_key', isInteger],
  ['league_round', isString],
  ['league_season', isString],
  ['event_live', (v) => v === '0' || v === '1'],
  ['event_stadium', isString],
  ['event_referee', isString],
  ['home_team_logo', isUrl],
  ['away_team_logo', isUrl],
  ['event_country_key', isInteger],
  ['league_logo', isStringOrNull],
  ['country_logo', isStringOrNull],
  ['event_home_formation', isString],
  ['event_away_formation', isString],
  ['fk_stage_key', isInteger],
  ['stage_name', isString],
  ['league_group', (v) => v === null],
  ['goalscorers', isArray],
  ['substitutes', isArray],
  ['cards', isArray],
  ['vars', isObject],
  ['lineups', isObject],
  ['statistics', isArray],
];

const GOAL_FIELDS = [
  'time',
  'home_scorer',
  'home_scorer_id',
  'home_assist',
  'home_assist_id',
  'score',
  'away_scorer',
  'away_scorer_id',
  'away_assist',
  'away_assist_id',
  'info',
  'info_time',
];
const CARD_FIELDS = ['time', 'home_fault', 'card', 'away_fault', 'info', 'home_player_id', 'away_player_id', 'info_time'];
const SUB_FIELDS = ['time', 'home_scorer', 'home_assist', 'score', 'away_scorer', 'away_assist', 'info', 'info_time'];
const VAR_FIELDS = ['var_player_name', 'var_minute', 'var_player_id', 'var_type', 'var_event_decision', 'var_decision'];
const PLAYER_FIELDS = ['player', 'player_number', 'player_position', 'player_country', 'player_key', 'info_time'];
const LINEUP_SIDE_FIELDS = ['starting_lineups', 'substitutes', 'coaches', 'missing_players'];

type Row = Record<string, unknown>;

function keysProblem(value: unknown, expected: readonly string[], path: string): string[] {
  if (!isObject(value)) return [`${path}: expected an object`];
  const keys = Object.keys(value as object);
  return keys.join(',') === expected.join(',') ? [] : [`${path}: keys ${keys.join(',')} != ${expected.join(',')}`];
}

/** Sort key of a minute string, for chronology checks: "45+2" sorts after "45" and before "46". */
function minuteOrder(minute: string): number {
  const { base, added } = parseMinute(minute);
  return base + added / 100;
}

function checkGoal(goal: unknown, path: string): string[] {
  const problems = keysProblem(goal, GOAL_FIELDS, path);
  if (problems.length > 0) return problems;
  const g = goal as Row;
  for (const field of GOAL_FIELDS) if (typeof g[field] !== 'string') problems.push(`${path}.${field}: not a string`);
  const isHome = g['home_scorer'] !== '';
  const isAway = g['away_scorer'] !== '';
  if (isHome === isAway) problems.push(`${path}: exactly one scorer expected`);
  const quiet = isHome ? 'away' : 'home';
  for (const field of ['scorer', 'scorer_id', 'assist', 'assist_id']) {
    if (g[`${quiet}_${field}`] !== '') problems.push(`${path}.${quiet}_${field}: must be "" on the other side`);
  }
  for (const field of ['home_scorer_id', 'home_assist_id', 'away_scorer_id', 'away_assist_id']) {
    if (!isIdOrEmpty(g[field])) problems.push(`${path}.${field}: not a numeric string or ""`);
  }
  if (!SCORE.test(String(g['score']))) problems.push(`${path}.score: not "h - a"`);
  if (g['info'] !== '' && g['info'] !== 'Penalty') problems.push(`${path}.info: ${String(g['info'])}`);
  if (!INFO_TIMES.has(String(g['info_time']))) problems.push(`${path}.info_time: ${String(g['info_time'])}`);
  return problems;
}

function checkCard(card: unknown, path: string): string[] {
  const problems = keysProblem(card, CARD_FIELDS, path);
  if (problems.length > 0) return problems;
  const c = card as Row;
  for (const field of CARD_FIELDS) if (typeof c[field] !== 'string') problems.push(`${path}.${field}: not a string`);
  if (c['card'] !== 'yellow card' && c['card'] !== 'red card') problems.push(`${path}.card: ${String(c['card'])}`);
  const isNameless = c['home_fault'] === '' && c['away_fault'] === '';
  if (isNameless && c['info'] !== 'home' && c['info'] !== 'away') problems.push(`${path}: nameless card without side in info`);
  if (!isNameless && c['info'] !== '') problems.push(`${path}.info: expected "" on a named card`);
  if (c['home_fault'] !== '' && c['away_fault'] !== '') problems.push(`${path}: both sides named`);
  if (!isIdOrEmpty(c['home_player_id']) || !isIdOrEmpty(c['away_player_id'])) problems.push(`${path}: bad player id`);
  return problems;
}

function checkSubSide(value: unknown, path: string): 'acting' | 'empty' | 'bad' {
  if (Array.isArray(value)) return value.length === 0 ? 'empty' : 'bad';
  if (keysProblem(value, ['in', 'out', 'in_id', 'out_id'], path).length > 0) return 'bad';
  const s = value as Row;
  const isShaped = isString(s['in']) && isString(s['out']) && isInteger(s['in_id']) && isInteger(s['out_id']);
  return isShaped ? 'acting' : 'bad';
}

function checkSubstitution(sub: unknown, path: string): string[] {
  const problems = keysProblem(sub, SUB_FIELDS, path);
  if (problems.length > 0) return problems;
  const s = sub as Row;
  const sides = [checkSubSide(s['home_scorer'], `${path}.home_scorer`), checkSubSide(s['away_scorer'], `${path}.away_scorer`)];
  if (sides.includes('bad') || sides.filter((x) => x === 'acting').length !== 1) {
    problems.push(`${path}: one side must be {in,out,in_id,out_id} and the other []`);
  }
  if (s['score'] !== 'substitution') problems.push(`${path}.score: ${String(s['score'])}`);
  const empties = [s['home_assist'], s['away_assist'], s['info']];
  if (!(empties.every((v) => v === null) || empties.every((v) => v === ''))) {
    problems.push(`${path}: home_assist/away_assist/info must be all null or all ""`);
  }
  if (!isString(s['time']) || !INFO_TIMES.has(String(s['info_time']))) problems.push(`${path}: bad time/info_time`);
  return problems;
}

function checkLineupSide(side: unknown, path: string): string[] {
  const problems = keysProblem(side, LINEUP_SIDE_FIELDS, path);
  if (problems.length > 0) return problems;
  const s = side as Row;
  for (const list of ['starting_lineups', 'substitutes']) {
    const players = s[list];
    if (!Array.isArray(players)) {
      problems.push(`${path}.${list}: not an array`);
      continue;
    }
    players.forEach((player: unknown, i) => {
      const p = `${path}.${list}[${i}]`;
      problems.push(...keysProblem(player, PLAYER_FIELDS, p));
      const row = player as Row;
      const isShaped =
        isString(row['player']) &&
        isInteger(row['player_number']) &&
        isInteger(row['player_position']) &&
        row['player_country'] === null &&
        isInteger(row['player_key']) &&
        row['info_time'] === '';
      if (!isShaped) problems.push(`${p}: bad field types`);
      if (list === 'substitutes' && row['player_position'] !== 0) problems.push(`${p}: bench player_position must be 0`);
    });
  }
  const coaches = s['coaches'];
  if (!Array.isArray(coaches)) problems.push(`${path}.coaches: not an array`);
  else {
    coaches.forEach((coach: unknown, i) => {
      problems.push(...keysProblem(coach, ['coache', 'coache_country'], `${path}.coaches[${i}]`));
      if (!isString((coach as Row)['coache']) || (coach as Row)['coache_country'] !== null) {
        problems.push(`${path}.coaches[${i}]: bad field types`);
      }
    });
  }
  if (!Array.isArray(s['missing_players'])) problems.push(`${path}.missing_players: not an array`);
  return problems;
}

/** Every field, item and cross-field rule a consumer may rely on, for one rendered match. */
function checkMatch(match: unknown, path: string): string[] {
  const problems = keysProblem(
    match,
    MATCH_FIELDS.map(([name]) => name),
    path,
  );
  if (problems.length > 0) return problems;
  const m = match as Row;
  for (const [name, check] of MATCH_FIELDS) {
    if (!check(m[name])) problems.push(`${path}.${name}: unexpected value ${JSON.stringify(m[name])}`);
  }
  if (problems.length > 0) return problems;

  const goals = m['goalscorers'] as Row[];
  const cards = m['cards'] as Row[];
  goals.forEach((g, i) => problems.push(...checkGoal(g, `${path}.goalscorers[${i}]`)));
  cards.forEach((c, i) => problems.push(...checkCard(c, `${path}.cards[${i}]`)));
  (m['substitutes'] as unknown[]).forEach((s, i) => problems.push(...checkSubstitution(s, `${path}.substitutes[${i}]`)));
  (m['statistics'] as unknown[]).forEach((stat, i) => {
    problems.push(...keysProblem(stat, ['type', 'home', 'away'], `${path}.statistics[${i}]`));
    const row = stat as Row;
    if (!isString(row['type']) || !isString(row['home']) || !isString(row['away'])) {
      problems.push(`${path}.statistics[${i}]: values must be strings`);
    }
  });
  const vars = m['vars'] as Row;
  problems.push(...keysProblem(vars, ['home_team', 'away_team'], `${path}.vars`));
  for (const side of ['home_team', 'away_team']) {
    const items = vars[side];
    if (!Array.isArray(items)) continue;
    items.forEach((item: unknown, i) => {
      const p = `${path}.vars.${side}[${i}]`;
      problems.push(...keysProblem(item, VAR_FIELDS, p));
      const v = item as Row;
      if (!isInteger(v['var_player_id']) || !isString(v['var_minute']) || (v['var_decision'] !== 'True' && v['var_decision'] !== 'False')) {
        problems.push(`${p}: bad field types`);
      }
    });
  }
  const lineups = m['lineups'] as Row;
  problems.push(...keysProblem(lineups, ['home_team', 'away_team'], `${path}.lineups`));
  problems.push(...checkLineupSide(lineups['home_team'], `${path}.lineups.home_team`));
  problems.push(...checkLineupSide(lineups['away_team'], `${path}.lineups.away_team`));
  if (problems.length > 0) return problems;

  // Cross-field rules.
  const status = m['event_status'] as string;
  const isNotStarted = status === '' || status === Status.Postponed;
  if (isNotStarted) {
    if (m['event_final_result'] !== '-' || m['event_live'] !== '0' || goals.length > 0) {
      problems.push(`${path}: not started/postponed must show final "-", live "0" and no goals`);
    }
    return problems;
  }
  let home = 0;
  let away = 0;
  goals.forEach((g, i) => {
    if (g['home_scorer'] !== '') home += 1;
    else away += 1;
    if (g['score'] !== `${home} - ${away}`) problems.push(`${path}.goalscorers[${i}].score: ${String(g['score'])} != ${home} - ${away}`);
    const previous = goals[i - 1];
    if (previous !== undefined && minuteOrder(String(previous['time'])) > minuteOrder(String(g['time']))) {
      problems.push(`${path}.goalscorers: not chronological at ${i}`);
    }
  });
  cards.forEach((c, i) => {
    const previous = cards[i - 1];
    if (previous !== undefined && minuteOrder(String(previous['time'])) > minuteOrder(String(c['time']))) {
      problems.push(`${path}.cards: not chronological at ${i}`);
    }
  });
  const isAfterPenalties = status === Status.AfterPenalties;
  const scoreOfGoals = `${home} - ${away}`;
  const runningField = isAfterPenalties ? 'event_ft_result' : 'event_final_result';
  if (m[runningField] !== scoreOfGoals) problems.push(`${path}.${runningField}: ${String(m[runningField])} != goals ${scoreOfGoals}`);
  const isFinal = FINAL_STATUSES.has(status);
  if (!isFinal && m['event_live'] !== '1') problems.push(`${path}: live status ${status} with event_live ${String(m['event_live'])}`);
  if (!isFinal && (m['event_ft_result'] !== '' || m['event_penalty_result'] !== '')) {
    problems.push(`${path}: ft/penalty results must be "" while live`);
  }
  if (isFinal && m['event_ft_result'] === '') problems.push(`${path}: ft result missing at ${status}`);
  if ((m['event_penalty_result'] !== '') !== isAfterPenalties) problems.push(`${path}: penalty result only after penalties`);
  const isFirstHalf = /^([1-9]|[1-3]\d|4[0-5])$/.test(status) || status === '45+';
  const firstHalfGoals = goals.filter((g) => g['info_time'] === '1st Half');
  const halftime = `${firstHalfGoals.filter((g) => g['home_scorer'] !== '').length} - ${firstHalfGoals.filter((g) => g['away_scorer'] !== '').length}`;
  if (!isFirstHalf && m['event_halftime_result'] !== halftime) {
    problems.push(`${path}.event_halftime_result: ${String(m['event_halftime_result'])} != first-half goals ${halftime}`);
  }
  if (isFirstHalf && m['event_halftime_result'] !== m['event_final_result']) {
    problems.push(`${path}: during the first half the halftime result is the running score`);
  }
  const stat = (type: string): Row | undefined => (m['statistics'] as Row[]).find((s) => s['type'] === type);
  for (const [type, card] of [
    ['Yellow Cards', 'yellow card'],
    ['Red Cards', 'red card'],
  ] as const) {
    const counted = stat(type);
    const sideOf = (c: Row): string => (c['home_fault'] !== '' || c['info'] === 'home' ? 'home' : 'away');
    const homeCount = cards.filter((c) => c['card'] === card && sideOf(c) === 'home').length;
    const awayCount = cards.filter((c) => c['card'] === card && sideOf(c) === 'away').length;
    if (counted === undefined || counted['home'] !== String(homeCount) || counted['away'] !== String(awayCount)) {
      problems.push(`${path}.statistics ${type}: does not match the cards list`);
    }
  }
  return problems;
}

function checkEnvelope(body: unknown, path: string): string[] {
  const problems = keysProblem(body, ['success', 'result'], path);
  if (problems.length > 0) return problems;
  const b = body as Row;
  if (b['success'] !== 1) problems.push(`${path}.success: ${String(b['success'])}`);
  if (!Array.isArray(b['result'])) return [...problems, `${path}.result: not an array`];
  (b['result'] as unknown[]).forEach((m, i) => problems.push(...checkMatch(m, `${path}.result[${i}]`)));
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Helpers

const CYCLE0 = scriptedMatches(0);

function info(label: string): ScriptedMatchInfo {
  const found = CYCLE0.find((m) => m.label === label);
  if (found === undefined) throw new Error(`no match ${label}`);
  return found;
}

function played(label: string): ScriptedMatchInfo & { kickoffSecs: number; endSecs: number } {
  const m = info(label);
  if (m.kickoffSecs === null || m.endSecs === null) throw new Error(`${label} is not played`);
  return { ...m, kickoffSecs: m.kickoffSecs, endSecs: m.endSecs };
}

function fixture(label: string, simSecs: number, cycle = 0): WireMatch {
  const key = info(label).eventKey + cycle * EVENT_KEY_CYCLE_STRIDE;
  const match = renderFixture(key, simSecs).result[0];
  if (match === undefined) throw new Error(`Fixtures returned nothing for ${label} at ${simSecs}`);
  return match;
}

function livescoreKeys(simSecs: number): number[] {
  return renderLivescore(simSecs).result.map((m) => m.event_key);
}

/** Distinct consecutive statuses of a match sampled every 10 sim seconds over [from, to). */
function statusSequence(label: string, from: number, to: number): string[] {
  const sequence: string[] = [];
  for (let t = from; t < to; t += 10) {
    const status = fixture(label, t).event_status;
    if (sequence[sequence.length - 1] !== status) sequence.push(status);
  }
  return sequence;
}

function minutes(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
}

function httpGet(url: string, agent: Agent): Promise<{ res: IncomingMessage; body: string; localPort: number | undefined }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent }, (res) => {
      const localPort = res.socket.localPort;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ res, body, localPort }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------

describe('matchday script', () => {
  it('has at least 7 matches in 3 leagues with staggered kick-offs and unique keys', () => {
    expect(CYCLE0.length).toBeGreaterThanOrEqual(7);
    expect(new Set(CYCLE0.map((m) => m.leagueName)).size).toBe(3);
    expect(new Set(CYCLE0.map((m) => m.eventKey)).size).toBe(CYCLE0.length);
    const kickoffs = CYCLE0.flatMap((m) => (m.kickoffSecs === null ? [] : [m.kickoffSecs])).sort((a, b) => a - b);
    expect(kickoffs.length).toBeGreaterThanOrEqual(7);
    expect(kickoffs[0]).toBe(2 * 60);
    expect(new Set(kickoffs).size).toBe(kickoffs.length);
    expect(kickoffs[kickoffs.length - 1]).toBeLessThanOrEqual((2 + 55) * 60);
    expect(CYCLE0.map((m) => m.finalStatus).sort()).toEqual(
      ['After ET', 'After Pen.', 'Finished', 'Finished', 'Finished', 'Finished', 'Finished', 'Postponed'].sort(),
    );
  });

  it('substitutes only players on the bench for players on the pitch', () => {
    const problems: string[] = [];
    for (const script of MATCHDAY) {
      if (script.kind !== 'played') continue;
      for (const side of ['home', 'away'] as const) {
        const team = side === 'home' ? script.home : script.away;
        const onPitch = new Set(team.starters.map((p) => p.name));
        const bench = new Set(team.bench.map((p) => p.name));
        const subs = script.incidents
          .flatMap((i) => (i.kind === 'sub' && i.side === side ? [i] : []))
          .sort((a, b) => minuteOrder(a.minute) - minuteOrder(b.minute));
        for (const sub of subs) {
          if (!onPitch.has(sub.playerOut) || !bench.has(sub.playerIn)) {
            problems.push(`${script.label} ${sub.minute}: ${sub.playerIn} for ${sub.playerOut}`);
          }
          onPitch.delete(sub.playerOut);
          bench.delete(sub.playerIn);
          onPitch.add(sub.playerIn);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('covers the required incidents', () => {
    const playedScripts = MATCHDAY.filter((m): m is PlayedMatchScript => m.kind === 'played');
    const incidents = playedScripts.flatMap((m) => m.incidents.map((i) => ({ match: m, i })));
    const goals = incidents.flatMap(({ i }) => (i.kind === 'goal' ? [i] : []));
    expect(goals.some((g) => g.penalty === true)).toBe(true);
    expect(goals.some((g) => g.assist !== undefined)).toBe(true);
    expect(goals.some((g) => g.scorerIdDelaySecs !== undefined)).toBe(true);
    expect(goals.some((g) => g.varCancelled !== undefined)).toBe(true);
    expect(goals.some((g) => g.firstListedAt !== undefined)).toBe(true);
    const cards = incidents.flatMap(({ match, i }) => (i.kind === 'card' ? [{ match, i }] : []));
    expect(cards.some(({ i }) => i.person === '')).toBe(true);
    const coachRed = cards.find(({ match, i }) => i.card === 'red card' && i.person === (i.side === 'home' ? match.home : match.away).coach);
    expect(coachRed).toBeDefined();
    const secondYellow = cards.find(
      ({ match, i }) => i.card === 'red card' && cards.some((o) => o.match === match && o.i.card === 'yellow card' && o.i.person === i.person && i.person !== ''),
    );
    expect(secondYellow).toBeDefined();
    expect(new Set(playedScripts.map((m) => m.subsEmptyValue))).toEqual(new Set([null, '']));
  });
});

describe('rendered responses', () => {
  it('have the provider shape and consistent scores at every moment of two cycles', () => {
    const problems: string[] = [];
    const STEP_SECS = 15;
    for (let t = 0; t < 2 * matchdayLengthSecs && problems.length < 20; t += STEP_SECS) {
      problems.push(...checkEnvelope(renderLivescore(t), `Livescore@${t}`));
      if (t % (4 * STEP_SECS) === 0) {
        const cycle = Math.floor(t / matchdayLengthSecs);
        for (const m of scriptedMatches(cycle)) {
          const body = renderFixture(m.eventKey, t);
          problems.push(...checkEnvelope(body, `Fixtures(${m.label})@${t}`));
          if (body.result.length !== 1) problems.push(`Fixtures(${m.label})@${t}: expected one match`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('never lets statistics or cards go backwards for a match', () => {
    const problems: string[] = [];
    for (const m of CYCLE0) {
      let previous: WireMatch | undefined;
      for (let t = 0; t < matchdayLengthSecs; t += 30) {
        const current = fixture(m.label, t);
        if (previous !== undefined) {
          if (current.cards.length < previous.cards.length) problems.push(`${m.label}@${t}: cards shrank`);
          for (const stat of current.statistics) {
            const before = previous.statistics.find((s) => s.type === stat.type);
            const isDown = before !== undefined && (parseInt(stat.home, 10) < parseInt(before.home, 10) || parseInt(stat.away, 10) < parseInt(before.away, 10));
            if (isDown) problems.push(`${m.label}@${t}: ${stat.type} went down`);
          }
        }
        previous = current;
      }
    }
    expect(problems).toEqual([]);
  });

  it('walks through the provider statuses in order', () => {
    const regular = played('var-cancel');
    expect(statusSequence('var-cancel', regular.kickoffSecs - 30, regular.endSecs + 30)).toEqual([
      '',
      ...minutes(1, 45),
      '45+',
      'Half Time',
      ...minutes(46, 90),
      '90+',
      'Finished',
    ]);
    const shootout = played('after-pen');
    expect(statusSequence('after-pen', shootout.kickoffSecs, shootout.endSecs + 30)).toEqual([
      ...minutes(1, 45),
      '45+',
      'Half Time',
      ...minutes(46, 90),
      '90+',
      ...minutes(91, 105),
      '105+',
      ...minutes(106, 120),
      '120+',
      'Penalties',
      'After Pen.',
    ]);
  });

  it('escapes slashes and non-ASCII like PHP', () => {
    const json = toProviderJson(renderLivescore(played('vanishing').kickoffSecs + 60));
    expect(json).toContain('"https:\\/\\/apiv2.allsportsapi.com\\/logo\\/');
    expect(json).toContain('"2024\\/2025"');
    expect(json).toContain('Citt\\u00e0 di Rovena');
    expect(json).not.toMatch(/[^\x20-\x7e]/);
    expect(JSON.parse(json)).toEqual(renderLivescore(played('vanishing').kickoffSecs + 60));
  });
});

describe('hard cases', () => {
  it('lists a VAR-cancelled goal, then removes it, lowers the score and adds a vars entry', () => {
    const appear = incidentSecs('var-cancel', '67');
    const before = fixture('var-cancel', appear - 1);
    const counted = fixture('var-cancel', appear + 1);
    const cancelled = fixture('var-cancel', appear + 121);
    expect(before.event_final_result).toBe('2 - 1');
    expect(counted.event_final_result).toBe('2 - 2');
    expect(counted.goalscorers.at(-1)).toMatchObject({ time: '67', away_scorer: 'T. Quayle', score: '2 - 2' });
    expect(counted.vars).toEqual({ home_team: [], away_team: [] });
    expect(cancelled.event_final_result).toBe('2 - 1');
    expect(cancelled.goalscorers.map((g) => g.time)).toEqual(['12', '34', '58']);
    expect(cancelled.vars.home_team).toEqual([]);
    expect(cancelled.vars.away_team).toEqual([
      {
        var_player_name: 'Tobias Quayle',
        var_minute: '67',
        var_player_id: expect.any(Number) as unknown as number,
        var_type: 'Goal cancelled',
        var_event_decision: 'Goal cancelled',
        var_decision: 'True',
      },
    ]);
    const final = fixture('var-cancel', played('var-cancel').endSecs);
    expect([final.event_status, final.event_final_result, final.event_ft_result]).toEqual(['Finished', '3 - 1', '3 - 1']);
  });

  it('fills in a scorer id that was missing at first', () => {
    const appear = incidentSecs('var-cancel', '34');
    const early = fixture('var-cancel', appear + 1).goalscorers.find((g) => g.time === '34');
    const later = fixture('var-cancel', appear + 200).goalscorers.find((g) => g.time === '34');
    expect(early).toMatchObject({ away_scorer: 'J. Mabry', away_scorer_id: '' });
    expect(later?.away_scorer).toBe('J. Mabry');
    expect(later?.away_scorer_id).toMatch(/^\d+$/);
  });

  it('corrects a goal minute from "45" to "45+2"', () => {
    const appear = incidentSecs('corrected-minute', '45+2');
    const first = fixture('corrected-minute', appear + 1);
    const corrected = fixture('corrected-minute', appear + 121);
    expect(first.event_status).toBe('45+');
    expect(first.goalscorers.map((g) => g.time)).toEqual(['45']);
    expect(corrected.goalscorers.map((g) => g.time)).toEqual(['45+2']);
    expect(corrected.event_status).toBe('Half Time');
    expect(corrected.event_halftime_result).toBe('1 - 0');
  });

  it('shows a second yellow as a red card for the same player', () => {
    const end = fixture('corrected-minute', played('corrected-minute').endSecs);
    expect(end.cards.filter((c) => c.away_fault === 'K. Osei').map((c) => [c.time, c.card])).toEqual([
      ['38', 'yellow card'],
      ['71', 'red card'],
    ]);
  });

  it('lists substitutions grouped by side and out of time order, with null fields, a nameless card and a coach red', () => {
    const end = fixture('unsorted-subs', played('unsorted-subs').endSecs);
    const listed = end.substitutes.map((s) => [Array.isArray(s.home_scorer) ? 'away' : 'home', s.time]);
    expect(listed).toEqual([
      ['away', '60'],
      ['away', '76'],
      ['away', '84'],
      ['away', '71'],
      ['home', '83'],
      ['home', '46'],
      ['home', '46'],
      ['home', '65'],
    ]);
    const times = end.substitutes.map((s) => Number(s.time));
    expect(times).not.toEqual([...times].sort((a, b) => a - b));
    expect(end.substitutes.every((s) => s.home_assist === null && s.away_assist === null && s.info === null)).toBe(true);
    const other = fixture('var-cancel', played('var-cancel').endSecs);
    expect(other.substitutes.every((s) => s.home_assist === '' && s.info === '')).toBe(true);
    expect(end.cards).toContainEqual(
      expect.objectContaining({ home_fault: '', away_fault: '', info: 'home', home_player_id: '', away_player_id: '' }),
    );
    const coach = end.lineups.home_team.coaches[0]?.coache;
    expect(coach).toBeTruthy();
    expect(end.cards).toContainEqual(expect.objectContaining({ home_fault: coach, card: 'red card', info: '' }));
  });

  it('drops a match from Livescore for 45 s while Fixtures still shows it live', () => {
    const m = played('vanishing');
    const gap = m.livescoreGap;
    expect(gap).not.toBeNull();
    if (gap === null) return;
    expect(gap.untilSecs - gap.fromSecs).toBe(45);
    expect(livescoreKeys(gap.fromSecs - 1)).toContain(m.eventKey);
    for (let t = gap.fromSecs; t < gap.untilSecs; t += 5) {
      expect(livescoreKeys(t)).not.toContain(m.eventKey);
      const shown = fixture('vanishing', t);
      expect(shown.event_live).toBe('1');
      expect(Number(shown.event_status)).toBeGreaterThan(45);
    }
    // The goal scored as it vanished is only visible through Fixtures until it comes back.
    expect(fixture('vanishing', gap.fromSecs).goalscorers.map((g) => g.time)).toContain('62');
    expect(livescoreKeys(gap.untilSecs)).toContain(m.eventKey);
    expect(renderLivescore(gap.untilSecs).result.find((x) => x.event_key === m.eventKey)?.event_final_result).toBe('1 - 2');
  });

  it('ends a shoot-out with the provider\'s odd "After Pen." values', () => {
    const m = played('after-pen');
    const during = fixture('after-pen', m.endSecs - 30);
    expect([during.event_status, during.event_final_result, during.event_ft_result, during.event_penalty_result, during.event_live]).toEqual([
      'Penalties',
      '2 - 2',
      '',
      '',
      '1',
    ]);
    const end = fixture('after-pen', m.endSecs);
    expect({
      status: end.event_status,
      halftime: end.event_halftime_result,
      ft: end.event_ft_result,
      penalties: end.event_penalty_result,
      final: end.event_final_result,
      live: end.event_live,
    }).toEqual({ status: 'After Pen.', halftime: '2 - 1', ft: '2 - 2', penalties: '4 - 5', final: '2 - 3', live: '0' });
  });

  it('ends an extra-time match "After ET" with the 90\' score in event_ft_result', () => {
    const end = fixture('after-et', played('after-et').endSecs);
    expect([end.event_status, end.event_halftime_result, end.event_ft_result, end.event_final_result, end.event_penalty_result]).toEqual([
      'After ET',
      '0 - 0',
      '1 - 1',
      '2 - 1',
      '',
    ]);
    expect(end.goalscorers.at(-1)).toMatchObject({ time: '109', info_time: 'Extra Time', score: '2 - 1' });
  });

  it('keeps one finished match listed with event_live "1" for 2 minutes, others for 1 minute', () => {
    const lingering = played('corrected-minute');
    const shown = renderLivescore(lingering.endSecs + 119).result.find((x) => x.event_key === lingering.eventKey);
    expect([shown?.event_status, shown?.event_live]).toEqual(['Finished', '1']);
    expect(livescoreKeys(lingering.endSecs + 120)).not.toContain(lingering.eventKey);
    const afterwards = fixture('corrected-minute', lingering.endSecs + 120);
    expect([afterwards.event_status, afterwards.event_live]).toEqual(['Finished', '0']);

    const ordinary = played('var-cancel');
    const justFinished = renderLivescore(ordinary.endSecs + 30).result.find((x) => x.event_key === ordinary.eventKey);
    expect(justFinished?.event_status).toBe('Finished');
    expect(livescoreKeys(ordinary.endSecs + 60)).not.toContain(ordinary.eventKey);
    expect(fixture('var-cancel', matchdayLengthSecs - 1).event_status).toBe('Finished');
  });

  it('lists one match as not started before kick-off', () => {
    const m = played('prelisted');
    expect(livescoreKeys(m.kickoffSecs - 301)).not.toContain(m.eventKey);
    const early = renderLivescore(m.kickoffSecs - 299).result.find((x) => x.event_key === m.eventKey);
    expect(early).toMatchObject({
      event_status: '',
      event_final_result: '-',
      event_halftime_result: '',
      event_live: '0',
      goalscorers: [],
      statistics: [],
    });
    expect(fixture('prelisted', m.kickoffSecs).event_status).toBe('1');
    // Ordinary matches only show up at kick-off.
    const ordinary = played('after-et');
    expect(livescoreKeys(ordinary.kickoffSecs - 1)).not.toContain(ordinary.eventKey);
    expect(livescoreKeys(ordinary.kickoffSecs)).toContain(ordinary.eventKey);
  });

  it('lists a postponed match for part of the matchday', () => {
    const m = info('postponed');
    const shown = renderLivescore(m.livescoreFromSecs + 60).result.find((x) => x.event_key === m.eventKey);
    expect(shown).toMatchObject({ event_status: 'Postponed', event_time: '00:00', event_final_result: '-', event_live: '0' });
    expect(livescoreKeys(m.livescoreUntilSecs)).not.toContain(m.eventKey);
    expect(fixture('postponed', m.livescoreUntilSecs + 60).event_status).toBe('Postponed');
  });
});

describe('looping', () => {
  it('starts the matchday over with new event keys and answers old keys with an empty list', () => {
    const t = played('var-cancel').kickoffSecs + 600;
    const first = renderLivescore(t);
    const second = renderLivescore(t + matchdayLengthSecs);
    expect(second.result.map((m) => m.event_key)).toEqual(first.result.map((m) => m.event_key + EVENT_KEY_CYCLE_STRIDE));
    const normalise = (m: WireMatch): Partial<WireMatch> => ({ ...m, event_key: 0, event_date: '' });
    expect(second.result.map(normalise)).toEqual(first.result.map(normalise));
    expect(second.result[0]?.event_date).not.toBe(first.result[0]?.event_date);

    const key = info('var-cancel').eventKey;
    expect(renderFixture(key, matchdayLengthSecs - 1).result).toHaveLength(1);
    expect(renderFixture(key, matchdayLengthSecs)).toEqual({ success: 1, result: [] });
    expect(renderFixture(key + EVENT_KEY_CYCLE_STRIDE, matchdayLengthSecs).result[0]?.event_status).toBe('');
    expect(renderFixture(999, 0)).toEqual({ success: 1, result: [] });
  });

  it('serves an empty list between the last match leaving and the loop', () => {
    expect(renderLivescore(matchdayLengthSecs - 1)).toEqual({ success: 1, result: [] });
    expect(scriptedMatches(1).map((m) => m.eventKey)).toEqual(CYCLE0.map((m) => m.eventKey + EVENT_KEY_CYCLE_STRIDE));
  });
});

describe('HTTP server', () => {
  it('serves Livescore and Fixtures at the manual clock\'s sim time', async () => {
    let nowMs = 1_700_000_000_000;
    const startAt = played('vanishing').kickoffSecs + 600;
    const server = await startSimServer({ now: () => nowMs, speed: 30, startAtSimSecs: startAt, port: 0 });
    try {
      expect(server.baseUrl).toBe(`http://127.0.0.1:${server.port}/football/`);
      expect(server.port).toBeGreaterThan(0);
      expect(server.simSecs()).toBe(startAt);

      const answered = server.waitForLivescore();
      const res = await fetch(`${server.baseUrl}?met=Livescore&APIkey=test-key`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      const raw = await res.text();
      await answered;
      expect(server.requests.livescore).toBe(1);
      expect(raw).toContain('"https:\\/\\/apiv2.allsportsapi.com\\/logo\\/');
      expect(raw).not.toContain('https://');
      expect(JSON.parse(raw)).toEqual(renderLivescore(startAt));

      nowMs += 10_000;
      expect(server.simSecs()).toBe(startAt + 300);
      const key = info('vanishing').eventKey;
      const fixtures = await fetch(`${server.baseUrl}?met=Fixtures&matchId=${key}&APIkey=test-key`);
      const body = (await fixtures.json()) as { success: number; result: WireMatch[] };
      expect(body).toEqual(renderFixture(key, startAt + 300));
      expect(body.result[0]?.event_key).toBe(key);
      expect(server.requests.fixtures).toBe(1);

      const unknown = await fetch(`${server.baseUrl}?met=Fixtures&matchId=42&APIkey=test-key`);
      expect(await unknown.json()).toEqual({ success: 1, result: [] });

      // Any path works; the service's base path is only a convention.
      const twice = server.waitForLivescore(2);
      await fetch(`http://127.0.0.1:${server.port}/?met=Livescore&APIkey=k`).then((r) => r.text());
      await fetch(`${server.baseUrl}?met=Livescore&APIkey=k`).then((r) => r.text());
      await twice;
      expect(server.requests.livescore).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('answers bad queries with the provider error shape', async () => {
    const server = await startSimServer({ now: () => 0 });
    try {
      const badMet = await fetch(`${server.baseUrl}?met=Livescores&APIkey=k`);
      expect(badMet.status).toBe(200);
      const body = (await badMet.json()) as { success: number; error: string; result: Row[] };
      expect(body).toEqual({ success: 0, error: '1', result: [{ param: 'met', msg: expect.any(String) as unknown, cod: 1005 }] });
      expect(body.result[0]).not.toHaveProperty('event_key');

      const noMatchId = await fetch(`${server.baseUrl}?met=Fixtures&APIkey=k`);
      expect(await noMatchId.json()).toMatchObject({ success: 0, error: '1', result: [{ param: 'matchId', cod: 1005 }] });

      const noMet = await fetch(`${server.baseUrl}?APIkey=k`);
      expect(await noMet.json()).toMatchObject({ success: 0, result: [{ param: 'met', cod: 1005 }] });
      expect(server.requests).toEqual({ livescore: 0, fixtures: 0, other: 3 });
    } finally {
      await server.close();
    }
  });

  it('keeps connections alive and still closes promptly', async () => {
    const server = await startSimServer({ now: () => 0 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await httpGet(`${server.baseUrl}?met=Livescore&APIkey=k`, agent);
      const second = await httpGet(`${server.baseUrl}?met=Livescore&APIkey=k`, agent);
      expect(first.res.headers['connection']).toBe('keep-alive');
      expect(first.localPort).toBeDefined();
      expect(second.localPort).toBe(first.localPort);
    } finally {
      // The agent's idle socket is still open: close() must not wait for it to time out.
      await server.close();
      agent.destroy();
    }
  });

  it('times out and rejects waiters instead of hanging', async () => {
    const server = await startSimServer({ now: () => 0 });
    try {
      await expect(server.waitForLivescore(1, 20)).rejects.toThrow(/not answered within 20 ms/);
      const pending = server.waitForLivescore(1, 60_000);
      await server.close();
      await expect(pending).rejects.toThrow(/closed/);
    } finally {
      await server.close();
    }
  });

  it('rejects invalid options', async () => {
    await expect(startSimServer({ speed: 0 })).rejects.toThrow(RangeError);
    await expect(startSimServer({ startAtSimSecs: -1 })).rejects.toThrow(RangeError);
    await expect(startSimServer({ port: 70_000 })).rejects.toThrow(RangeError);
  });
});
