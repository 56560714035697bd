/**
 * The recorded API-Football answers (test/fixtures/api-football, copied from
 * ../shared/api-football/samples with their .source.txt provenance) parse into the facts FORMAT.md
 * says they hold.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseApiFootballReply } from '../../../src/upstream/api-football/parser.js';
import type { MatchSnapshot } from '../../../src/upstream/provider.js';

const DIR = join(import.meta.dirname, '../../fixtures/api-football');
const load = (name: string): unknown => JSON.parse(readFileSync(join(DIR, name), 'utf8'));
/** Two samples are bare fixture objects (their recording dropped the envelope). */
const asAnswer = (value: unknown): unknown =>
  typeof value === 'object' && value !== null && 'fixture' in value ? { get: 'fixtures', errors: [], response: [value] } : value;

function parse(name: string): { matches: MatchSnapshot[]; dropped: number } {
  const result = parseApiFootballReply(asAnswer(load(name)));
  if (!result.ok) throw new Error(`${name}: ${result.error.message}`);
  return result.value;
}

function match(name: string, id: string): MatchSnapshot {
  const found = parse(name).matches.find((m) => m.matchId === id);
  if (!found) throw new Error(`${name}: no fixture ${id}`);
  return found;
}

describe('API-Football recorded samples', () => {
  it('every fixture of every success sample parses, nothing dropped', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.json') && !f.startsWith('error_') && !f.startsWith('fixtures_events'));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const file of files) {
      const raw = asAnswer(load(file)) as { response: unknown[] };
      const { matches, dropped } = parse(file);
      expect({ file, dropped, count: matches.length }).toEqual({ file, dropped: 0, count: raw.response.length });
    }
  });

  it('the rate-limit body is a refusal, never an empty live list', () => {
    const result = parseApiFootballReply(load('error_ratelimit_10_per_minute_fixture_209214.json'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.kind).toBe('rate_limited');
  });

  it('Basel–Sion: the VAR-cancelled goal is no goal, the score is goals, 2H at 90 with no extra is "90"', () => {
    const m = match('fixture_live_2026-09-03_basel_sion_var_goal_cancelled.json', '1555381');
    expect(m.phase).toBe('second_half');
    expect(m.minute).toBe('90');
    expect(m.score).toEqual({ home: 1, away: 2 });
    const tally = { home: m.goals.filter((g) => g.side === 'home').length, away: m.goals.filter((g) => g.side === 'away').length };
    expect(tally).toEqual({ home: 1, away: 2 });
    expect(m.vars.filter((v) => v.cancelsGoal).map((v) => [v.minute, v.side, v.player])).toContainEqual(['45+2', 'home', 'Žan Celar']);
  });

  it('Juarez–Pachuca: PEN is finished after a shoot-out, the score excludes it, score.penalty carries it', () => {
    const m = match('fixture_date_2026-09-04_pen_juarez_pachuca.json', '1592833');
    expect(m.phase).toBe('finished');
    expect(m.shootout).toBe(true);
    expect(m.score).toEqual({ home: 1, away: 1 });
    expect(m.shootoutScore).toEqual({ home: 7, away: 8 });
    expect(m.startTime).toBe('2026-09-04 15:00');
  });

  it('the missed penalty of 2024-10-23 is no goal, and the recorded goals match `goals`', () => {
    const { matches } = parse('fixtures_live_2024-10-23_seven_inplay_missed_penalty.json');
    const withMiss = matches.filter((m) => m.missedPenalties.length > 0);
    expect(withMiss.length).toBeGreaterThan(0);
    for (const m of withMiss) {
      for (const miss of m.missedPenalties) expect(m.goals.some((g) => g.minute === miss.minute && g.scorer === miss.player)).toBe(false);
    }
  });

  it('Bayern–Augsburg: the yellow+red pairs are single second-yellow reds, and subs are oriented by the line-ups in both captures', () => {
    for (const file of ['fixtures_id_2024-11-22_bayern_augsburg_first_capture.json', 'fixtures_id_2024-11-23_bayern_augsburg_later_capture.json']) {
      const raw = load(file) as { response: Array<{ lineups: Array<{ team: { id: number }; startXI: Array<{ player: { id: number } }> }> }> };
      const starters = new Set(raw.response[0]?.lineups.flatMap((l) => l.startXI.map((p) => String(p.player.id))));
      const [m] = parse(file).matches;
      if (!m) throw new Error('no match');
      expect(m.substitutions.length).toBeGreaterThan(0);
      for (const sub of m.substitutions) {
        // The one going off started or came on earlier; the one coming on never started.
        expect(starters.has(sub.inId)).toBe(false);
      }
      const reds = m.cards.filter((c) => c.color === 'red');
      for (const red of reds) {
        const sameMinuteYellow = m.cards.some((c) => c.color === 'yellow' && c.minute === red.minute && c.playerId === red.playerId);
        expect(sameMinuteYellow).toBe(false);
      }
    }
  });

  it('the extra-time recording is extra time at 91+', () => {
    const { matches } = parse('fixtures_live_2024-05-11_extra_time_trimmed.json');
    const et = matches.filter((m) => m.phase === 'extra_time');
    expect(et.length).toBeGreaterThan(0);
    for (const m of et) expect(Number.parseInt(m.minute ?? '0', 10)).toBeGreaterThanOrEqual(91);
  });
});
