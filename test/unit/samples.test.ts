/**
 * Parses every recorded AllSportsAPI response in test/fixtures/allsportsapi/samples/ (copied from
 * ../shared/allsportsapi/samples/ with their .source.txt provenance, so a clean clone runs them too,
 * as the API-Football samples do) and spot-checks facts stated in the .source.txt notes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import type { MatchSnapshot } from '../../src/upstream/provider.js';
import { parseReply } from '../../src/upstream/allsportsapi/parse.js';

const SAMPLES = new URL('../fixtures/allsportsapi/samples/', import.meta.url);
const sampleFiles = readdirSync(SAMPLES).filter((name) => name.endsWith('.json')).sort();

/** Matches per file, from each file's .source.txt. */
const EXPECTED_MATCH_COUNTS: Readonly<Record<string, number>> = {
  'fixtures_2023-06_finished_redcards_and_notstarted.json': 2,
  'fixtures_2023-11_ghana_postponed_notstarted_nameless_cards.json': 18,
  'fixtures_2025-04_finished_vars_penalties_tunisia.json': 8,
  'fixtures_docexample_after_pen_napoli_cremonese.json': 1,
  'fixtures_docexample_finished_var_penalty_juventus_frosinone.json': 1,
  'livescore_2022-11-12_six_live_matches.json': 6,
  'livescore_2023-05-10_halftime_goals_cards_sub.json': 1,
  'match_2023-02-24_finished_but_event_live_1_fulham_wolves.json': 1,
};

/**
 * Some samples are a full envelope, some only the `result` array, one a single match object:
 * wrap the partial ones the way the provider sends them.
 */
function asEnvelope(json: unknown): unknown {
  if (Array.isArray(json)) return { success: 1, result: json };
  if (typeof json === 'object' && json !== null && 'event_key' in json) return { success: 1, result: [json] };
  return json;
}

function parseSample(name: string): MatchSnapshot[] {
  const json: unknown = JSON.parse(readFileSync(new URL(name, SAMPLES), 'utf8'));
  const result = parseReply(asEnvelope(json));
  if (!result.ok) throw new Error(`${name}: ${result.error.kind}: ${result.error.message}`);
  expect(result.value.warnings, `${name}: warnings`).toEqual([]);
  return result.value.matches;
}

function matchById(matches: readonly MatchSnapshot[], id: string): MatchSnapshot {
  const match = matches.find((m) => m.matchId === id);
  if (!match) throw new Error(`match ${id} not found`);
  return match;
}

describe('recorded samples folder', () => {
  it('holds every recorded sample named in FORMAT.md', () => {
    expect(sampleFiles).toEqual(Object.keys(EXPECTED_MATCH_COUNTS).sort());
  });
});

describe('recorded AllSportsAPI samples', () => {
  it.each(sampleFiles)('%s parses with no format error or warning, with the right number of matches', (name) => {
    const matches = parseSample(name);
    expect(matches).toHaveLength(EXPECTED_MATCH_COUNTS[name] ?? -1);
    // Ids stay exact decimal text; every match has teams.
    for (const match of matches) {
      expect(match.matchId).toMatch(/^\d+$/);
      expect(match.homeTeam).not.toBe('');
      expect(match.awayTeam).not.toBe('');
    }
  });

  it('After Pen. (Napoli–Cremonese): ft 2-2, penalties 4-5, provider final 2-3', () => {
    const [match] = parseSample('fixtures_docexample_after_pen_napoli_cremonese.json');
    expect(match).toMatchObject({
      matchId: '1158301',
      homeTeam: 'Napoli',
      awayTeam: 'Cremonese',
      statusText: 'After Pen.',
      phase: 'finished',
      live: false,
      halftimeScore: { home: 2, away: 1 },
      // The provider's final result (2 - 3) folds the shoot-out in: the trusted score is the ft result.
      score: { home: 2, away: 2 },
      shootoutScore: { home: 4, away: 5 },
      shootout: true,
      vars: [],
    });
  });

  it('Ghana Fixtures: nameless cards take their side from info; postponed and not-started matches', () => {
    const matches = parseSample('fixtures_2023-11_ghana_postponed_notstarted_nameless_cards.json');
    expect(matchById(matches, '1299041').cards).toEqual([
      { minute: '50', side: 'home', player: '', playerId: '', card: 'yellow card', color: 'yellow', secondYellow: false, coach: false },
      { minute: '62', side: 'away', player: '', playerId: '', card: 'yellow card', color: 'yellow', secondYellow: false, coach: false },
    ]);
    const nameless = matches.flatMap((m) => m.cards.filter((c) => c.player === ''));
    expect(nameless).toHaveLength(17);
    expect(nameless.map((c) => c.minute)).toContain('90+3');

    const postponed = matches.filter((m) => m.statusText === 'Postponed');
    expect(postponed.map((m) => [m.matchId, m.startTime.slice(-5), m.score, m.live, m.phase])).toEqual([
      ['1299038', '00:00', null, false, 'postponed'],
      ['1299042', '00:00', null, false, 'postponed'],
    ]);
    expect(matchById(matches, '1299036')).toMatchObject({ statusText: '', phase: 'not_started', score: null, halftimeScore: null, live: false });
    // A Penalty goal whose scorer id is "".
    expect(matchById(matches, '1299031').goals).toEqual([
      { minute: '60', side: 'home', scorer: 'M. Sherif', scorerId: '', assist: '', assistId: '', score: { home: 1, away: 0 }, penalty: true, ownGoal: false },
    ]);
  });

  it('Fulham–Wolves: Finished while event_live is "1"; substitutions grouped by side, not in time order', () => {
    const [match] = parseSample('match_2023-02-24_finished_but_event_live_1_fulham_wolves.json');
    expect(match).toMatchObject({ matchId: '1059491', statusText: 'Finished', phase: 'finished', live: true, score: { home: 1, away: 1 } });
    expect(match?.substitutions.map((s) => [s.minute, s.side])).toEqual([
      ['60', 'away'],
      ['76', 'away'],
      ['84', 'away'],
      ['76', 'away'],
      ['83', 'home'],
      ['46', 'home'],
      ['46', 'home'],
    ]);
    expect(match?.substitutions[0]).toEqual({
      minute: '60',
      side: 'away',
      playerIn: 'Adama Traoré',
      playerOut: 'Matheus Cunha',
      inId: '3535917074',
      outId: '3425600851',
    });
    expect(match?.goals.map((g) => [g.minute, g.side, g.scorer, g.assist])).toEqual([
      ['23', 'away', 'P. Sarabia', 'R. Jimenez'],
      ['64', 'home', 'M. Solomon', 'A. Robinson'],
    ]);
  });

  it('Atalanta–Monza: unsorted substitutions, a red card to the coach, a not-started fixture', () => {
    const matches = parseSample('fixtures_2023-06_finished_redcards_and_notstarted.json');
    const atalanta = matchById(matches, '1071579');
    expect(atalanta.substitutions.map((s) => s.minute)).toEqual(['62', '81', '81', '60', '60', '88', '83', '88']);
    expect(atalanta.cards.map((c) => [c.minute, c.side, c.player, c.color])).toEqual([
      ['33', 'away', 'N. Rovella', 'yellow'],
      ['63', 'away', 'A. Izzo', 'yellow'],
      ['64', 'home', 'R. Toloi', 'yellow'],
      ['67', 'home', 'G. Gasperini', 'red'],
      ['70', 'away', 'Marlon', 'red'],
    ]);
    expect(atalanta.goals.map((g) => g.minute)).toEqual(['12', '45+1', '51', '74', '79', '81', '90+2']);
    expect(atalanta).toMatchObject({ statusText: 'Finished', score: { home: 5, away: 2 }, vars: [] });
    expect(matchById(matches, '1223924')).toMatchObject({ statusText: '', score: null, goals: [], cards: [] });
  });

  it('Tunisia 2025: vars present, null league_logo, a nameless red card with side from info', () => {
    const matches = parseSample('fixtures_2025-04_finished_vars_penalties_tunisia.json');
    expect(matches.every((m) => m.statusText === 'Finished' && m.vars.length === 0)).toBe(true);
    expect(matchById(matches, '1433008').cards.filter((c) => c.player === '')).toEqual([
      { minute: '90', side: 'away', player: '', playerId: '', card: 'red card', color: 'red', secondYellow: false, coach: false },
    ]);
    // Non-ASCII names arrive intact.
    expect(matches.map((m) => m.homeTeam)).toContain('Olympique Béja');
    expect(matches.reduce((n, m) => n + m.substitutions.length, 0)).toBe(56);
  });

  it('Juventus–Frosinone: a VAR item and a Penalty goal', () => {
    const [match] = parseSample('fixtures_docexample_finished_var_penalty_juventus_frosinone.json');
    expect(match?.vars).toEqual([
      { side: 'home', minute: '59', player: 'Arkadiusz Milik', playerId: '755943754', cancelsGoal: false },
    ]);
    expect(match?.goals).toEqual([
      { minute: '11', side: 'home', scorer: 'A. Milik', scorerId: '622912986', assist: '', assistId: '', score: { home: 1, away: 0 }, penalty: true, ownGoal: false },
    ]);
  });

  it('Livescore 2022-11-12: six live matches, bare-minute statuses, 45+, Half Time, no vars key', () => {
    const matches = parseSample('livescore_2022-11-12_six_live_matches.json');
    expect(matches.map((m) => [m.matchId, m.statusText, m.live])).toEqual([
      ['1061500', '1', true],
      ['1069763', '45+', true],
      ['1074089', '30', true],
      ['1116285', '32', true],
      ['1116389', 'Half Time', true],
      ['1116391', '31', true],
    ]);
    const krylya = matchById(matches, '1069763');
    expect(krylya.goals.map((g) => [g.minute, g.side, g.scorer, g.scorerId, g.penalty])).toEqual([
      ['29', 'away', 'D. Glebov', '958745255', false],
      ['39', 'away', 'D. Poloz', '3567294284', true],
    ]);
    expect(krylya.cards.map((c) => c.minute)).toEqual(['40', '45+3']);
    expect(krylya.halftimeScore).toEqual({ home: 0, away: 2 });
    expect(matches.every((m) => m.vars.length === 0 && !m.shootout)).toBe(true);
  });

  it('Livescore 2023-05-10: Half Time with assists and a first-half substitution with "" assists/info', () => {
    const [match] = parseSample('livescore_2023-05-10_halftime_goals_cards_sub.json');
    expect(match).toMatchObject({ statusText: 'Half Time', phase: 'half_time', live: true, score: { home: 3, away: 2 } });
    expect(match?.goals.map((g) => [g.minute, g.side, g.scorer, g.assist])).toEqual([
      ['3', 'away', 'A. Fernandez', 'J. Aguirre'],
      ['13', 'home', 'C. Garces', 'I. Santillan'],
      ['18', 'away', 'A. Fernandez', 'M. Cornejo'],
      ['27', 'home', 'C. Garces', ''],
      ['30', 'home', 'K. Sandoval', 'J. Romagnoli'],
    ]);
    expect(match?.cards).toHaveLength(5);
    expect(match?.substitutions).toEqual([
      { minute: '17', side: 'away', playerIn: 'J. A. Mendieta Rojas', playerOut: 'J. Racchumick', inId: '1693804939', outId: '331697454' },
    ]);
  });
});
