/**
 * API-Football's quirks (../shared/api-football/FORMAT.md §5, §6, §8; issue 21 "Fidelity"), each
 * through the real parser and the one detector, poll by poll. Each case names what breaks without
 * its handling.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MatchEvent } from '../../../src/domain/events.js';
import type { MatchState } from '../../../src/domain/match.js';
import { detect, detectAbsent } from '../../../src/detect/diff.js';
import { parseApiFootballReply } from '../../../src/upstream/api-football/parser.js';
import { phaseOfCode, STATUS_CODES } from '../../../src/upstream/api-football/status.js';
import type { MatchSnapshot } from '../../../src/upstream/provider.js';

const HOME = { id: 100, name: 'Home FC' };
const AWAY = { id: 200, name: 'Away FC' };

interface EventSpec {
  at: [number, number | null];
  team: 'home' | 'away';
  player: [number | null, string | null];
  assist?: [number | null, string | null];
  type: string;
  detail: string;
  comments?: string | null;
}

interface FixtureSpec {
  short: string;
  elapsed?: number | null;
  extra?: number | null;
  goals?: [number | null, number | null];
  penalty?: [number | null, number | null];
  events?: EventSpec[];
  lineups?: { home: number[]; homeBench: number[]; away?: number[] };
}

function fixture(spec: FixtureSpec): unknown {
  const team = (side: 'home' | 'away') => (side === 'home' ? HOME : AWAY);
  const pair = (p?: [number | null, number | null]) => ({ home: p?.[0] ?? null, away: p?.[1] ?? null });
  return {
    fixture: {
      id: 42,
      referee: null,
      timezone: 'UTC',
      date: '2026-12-07T15:00:00+00:00',
      timestamp: 1_796_655_600,
      periods: { first: null, second: null },
      venue: { id: null, name: null, city: null },
      status: { long: 'whatever', short: spec.short, elapsed: spec.elapsed ?? null, extra: spec.extra ?? null },
    },
    league: { id: 7, name: 'League', country: 'World', logo: null, flag: null, season: 2026, round: 'R1' },
    teams: { home: { ...HOME, logo: null, winner: null }, away: { ...AWAY, logo: null, winner: null } },
    goals: pair(spec.goals ?? (spec.short === 'NS' ? [null, null] : [0, 0])),
    score: { halftime: pair(), fulltime: pair(), extratime: pair(), penalty: pair(spec.penalty) },
    events: (spec.events ?? []).map((e) => ({
      time: { elapsed: e.at[0], extra: e.at[1] },
      team: { ...team(e.team), logo: null },
      player: { id: e.player[0], name: e.player[1] },
      assist: { id: e.assist?.[0] ?? null, name: e.assist?.[1] ?? null },
      type: e.type,
      detail: e.detail,
      comments: e.comments ?? null,
    })),
    ...(spec.lineups
      ? {
          lineups: [
            {
              team: { ...HOME, logo: null },
              startXI: spec.lineups.home.map((id) => ({ player: { id, name: `P${id}` } })),
              substitutes: spec.lineups.homeBench.map((id) => ({ player: { id, name: `P${id}` } })),
              coach: { id: 9, name: 'Coach Home' },
            },
          ],
        }
      : {}),
  };
}

function snapshot(spec: FixtureSpec | unknown): MatchSnapshot {
  const raw = typeof spec === 'object' && spec !== null && 'short' in spec ? fixture(spec as FixtureSpec) : spec;
  const reply = parseApiFootballReply({ get: 'fixtures', parameters: { live: 'all' }, errors: [], results: 1, response: [raw] });
  if (!reply.ok) throw new Error(reply.error.message);
  const [match] = reply.value.matches;
  if (!match) throw new Error(`fixture dropped: ${reply.value.warnings.join('; ')}`);
  return match;
}

/** Polls the snapshots in order; returns every event after the first poll's. */
function run(...polls: Array<FixtureSpec | MatchSnapshot>): { events: MatchEvent[]; state: MatchState | undefined } {
  let state: MatchState | undefined;
  const events: MatchEvent[] = [];
  polls.forEach((poll, index) => {
    const snap = 'matchId' in poll ? poll : snapshot(poll);
    const detection = detect(state, snap);
    state = detection.state ?? undefined;
    if (index > 0) events.push(...detection.events);
  });
  return { events, state };
}

const types = (events: MatchEvent[]) => events.map((e) => e.type);
/** The incidents and scores of a run, without the phase changes its polls went through. */
const play = (events: MatchEvent[]) => events.filter((e) => e.type !== 'STATUS_CHANGED');
const kickOff: FixtureSpec = { short: '1H', elapsed: 1, goals: [0, 0] };
const sub = (minute: number, player: number, assist: number, team: 'home' | 'away' = 'home'): EventSpec => ({
  at: [minute, null],
  team,
  player: [player, `P${player}`],
  assist: [assist, `P${assist}`],
  type: 'subst',
  detail: 'Substitution 1',
});
const goal = (minute: number, scorer: number, detail = 'Normal Goal', team: 'home' | 'away' = 'home', extra: number | null = null): EventSpec => ({
  at: [minute, extra],
  team,
  player: [scorer, `P${scorer}`],
  type: 'Goal',
  detail,
});

describe('substitutions: which side is in and which is out (FORMAT.md §5)', () => {
  it('line-ups decide: the starter goes off, whichever of player/assist names him (the convention would say the opposite here)', () => {
    const { events } = run(kickOff, { short: '2H', elapsed: 60, events: [sub(60, 12, 5)], lineups: { home: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], homeBench: [12, 13] } });
    expect(play(events)).toMatchObject([{ type: 'SUBSTITUTION', player_in: 'P12', player_out: 'P5' }]);
  });

  it('without line-ups, who was on the pitch decides: a player who scored earlier goes off', () => {
    const { events } = run(kickOff, { short: '2H', elapsed: 60, goals: [1, 0], events: [goal(20, 5), sub(60, 12, 5)] });
    expect(events.filter((e) => e.type === 'SUBSTITUTION')).toMatchObject([{ player_in: 'P12', player_out: 'P5' }]);
  });

  it('a player who came on earlier and goes off again later is read from the earlier substitution', () => {
    const { events } = run(kickOff, {
      short: '2H',
      elapsed: 80,
      events: [sub(50, 12, 5), sub(80, 14, 12)],
      lineups: { home: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], homeBench: [12, 13, 14] },
    });
    expect(events.filter((e) => e.type === 'SUBSTITUTION')).toMatchObject([
      { player_in: 'P12', player_out: 'P5' },
      { player_in: 'P14', player_out: 'P12' },
    ]);
  });

  it('a direction corrected later (line-ups arrive, or the provider swaps the pair) is a SUBSTITUTION_UPDATED, never a second substitution', () => {
    // First poll: nothing to go on, the convention (player = off) says P5 came on for P12.
    const first: FixtureSpec = { short: '2H', elapsed: 60, events: [sub(60, 12, 5)] };
    const corrected: FixtureSpec = { ...first, elapsed: 61, lineups: { home: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], homeBench: [12] } };
    const events = play(run(kickOff, first, corrected).events);
    expect(types(events)).toEqual(['SUBSTITUTION', 'SUBSTITUTION_UPDATED']);
    expect(events[0]).toMatchObject({ player_in: 'P5', player_out: 'P12' });
    expect(events[1]).toMatchObject({ player_in: 'P12', player_out: 'P5', substitution_event_id: events[0]?.event_id });
  });
});

describe('cards', () => {
  it.each([
    ['yellow first', ['Yellow Card', 'Red Card']],
    ['red first', ['Red Card', 'Yellow Card']],
  ])('a second yellow recorded as a yellow and a red at one minute (%s) is one CARD_ISSUED second yellow', (_order, details) => {
    const card = (minute: number, detail: string): EventSpec => ({ at: [minute, null], team: 'away', player: [7, 'P7'], type: 'Card', detail, comments: 'Foul' });
    const { events } = run(kickOff, {
      short: '2H',
      elapsed: 71,
      events: [card(38, 'Yellow Card'), ...details.map((d) => card(71, d))],
    });
    const cards = events.filter((e) => e.type === 'CARD_ISSUED');
    expect(cards).toMatchObject([
      { minute: '38', color: 'yellow', second_yellow: false },
      { minute: '71', color: 'red', second_yellow: true },
    ]);
  });

  it('a second yellow whose red arrives a poll after its yellow: the yellow at 71 is issued, then cancelled and replaced by the red second yellow — one card at 71 in the end', () => {
    const card = (minute: number, detail: string): EventSpec => ({ at: [minute, null], team: 'away', player: [7, 'P7'], type: 'Card', detail, comments: 'Foul' });
    const yellows = [card(38, 'Yellow Card'), card(71, 'Yellow Card')];
    const yellowOnly: FixtureSpec = { short: '2H', elapsed: 71, events: yellows };
    const withRed: FixtureSpec = { short: '2H', elapsed: 72, events: [...yellows, card(71, 'Red Card')] };
    const events = play(run(kickOff, yellowOnly, withRed).events).filter((e) => e.type.startsWith('CARD_'));
    // The provider's own order: what it showed first is corrected, not silently rewritten. A
    // CARD_UPDATED corrects a card's minute or player; a yellow that becomes a red is another card.
    expect(events).toMatchObject([
      { type: 'CARD_ISSUED', minute: '38', color: 'yellow', second_yellow: false },
      { type: 'CARD_ISSUED', minute: '71', color: 'yellow', second_yellow: false },
      { type: 'CARD_CANCELLED', minute: '71', card_type: 'yellow card' },
      { type: 'CARD_ISSUED', minute: '71', color: 'red', second_yellow: true },
    ]);
    expect(events[2]).toMatchObject({ card_event_id: events[1]?.event_id });
  });

  it('VAR "Red card cancelled" while the red Card event is still listed: the red is cancelled (CARD_CANCELLED), once', () => {
    const red: EventSpec = { at: [30, null], team: 'home', player: [5, 'P5'], type: 'Card', detail: 'Red Card', comments: 'Serious foul' };
    const review: EventSpec = { at: [32, null], team: 'home', player: [5, 'P5 Full Name'], type: 'Var', detail: 'Red card cancelled' };
    const { events } = run(kickOff, { short: '1H', elapsed: 31, events: [red] }, { short: '1H', elapsed: 33, events: [red, review] }, { short: '1H', elapsed: 35, events: [red, review] });
    expect(play(events)).toMatchObject([
      { type: 'CARD_ISSUED', minute: '30', color: 'red', second_yellow: false },
      { type: 'CARD_CANCELLED', minute: '30', card_type: 'red card' },
    ]);
    expect(play(events)[1]).toMatchObject({ card_event_id: play(events)[0]?.event_id });
  });

  it('VAR "Card upgrade" of a listed yellow: the yellow is cancelled and a straight red issued; a red the answer lists too is not a second one', () => {
    const yellow: EventSpec = { at: [30, null], team: 'away', player: [8, 'P8'], type: 'Card', detail: 'Yellow Card' };
    const review: EventSpec = { at: [31, null], team: 'away', player: [8, 'P8'], type: 'Var', detail: 'Card upgrade' };
    const { events } = run(kickOff, { short: '1H', elapsed: 30, events: [yellow] }, { short: '1H', elapsed: 33, events: [yellow, review] });
    expect(play(events)).toMatchObject([
      { type: 'CARD_ISSUED', minute: '30', color: 'yellow' },
      { type: 'CARD_CANCELLED', minute: '30', card_type: 'yellow card' },
      { type: 'CARD_ISSUED', minute: '30', color: 'red', second_yellow: false },
    ]);
    const redCard: EventSpec = { at: [30, null], team: 'away', player: [8, 'P8'], type: 'Card', detail: 'Red Card' };
    const listed = run(kickOff, { short: '1H', elapsed: 33, events: [redCard, review] });
    expect(listed.state?.cards).toHaveLength(1);
    // A review that names no one, or another player, changes nothing.
    const other = run(kickOff, { short: '1H', elapsed: 33, events: [yellow, { ...review, player: [9, 'P9'] }] });
    expect(other.state?.cards).toMatchObject([{ color: 'yellow' }]);
  });

  it('"Second Yellow card" is a second yellow too', () => {
    const { events } = run(kickOff, { short: '2H', elapsed: 70, events: [{ at: [70, null], team: 'home', player: [3, 'P3'], type: 'Card', detail: 'Second Yellow card' }] });
    expect(play(events)).toMatchObject([{ type: 'CARD_ISSUED', color: 'red', second_yellow: true }]);
  });
});

describe('goals', () => {
  it('a VAR-cancelled goal: the Goal event disappears and a Var "Goal cancelled" appears → GOAL_CANCELLED (reason VAR) + SCORE_UPDATE', () => {
    const { events } = run(
      kickOff,
      { short: '1H', elapsed: 40, goals: [1, 0], events: [goal(40, 9)] },
      { short: '1H', elapsed: 43, goals: [0, 0], events: [{ at: [40, null], team: 'home', player: [9, 'P9 Full Name'], type: 'Var', detail: 'Goal cancelled' }] },
    );
    expect(types(events)).toEqual(['GOAL_SCORED', 'SCORE_UPDATE', 'GOAL_CANCELLED', 'SCORE_UPDATE']);
    expect(events[2]).toMatchObject({ reason: 'VAR', score: '0-0' });
  });

  it('a cancelled goal still listed beside its Var event, no longer counted in goals, is cancelled too', () => {
    const { events } = run(
      kickOff,
      { short: '1H', elapsed: 40, goals: [1, 0], events: [goal(40, 9)] },
      { short: '1H', elapsed: 42, goals: [0, 0], events: [goal(40, 9), { at: [41, null], team: 'home', player: [9, 'P9'], type: 'Var', detail: 'Goal Disallowed - offside' }] },
    );
    expect(types(events)).toEqual(['GOAL_SCORED', 'SCORE_UPDATE', 'GOAL_CANCELLED', 'SCORE_UPDATE']);
  });

  it('a Var cancel for a goal never announced says nothing', () => {
    const { events } = run(kickOff, { short: '1H', elapsed: 47, extra: 2, goals: [0, 0], events: [{ at: [45, 2], team: 'home', player: [9, 'P9'], type: 'Var', detail: 'Goal cancelled' }] });
    expect(events).toEqual([]);
  });

  it('events lagging goals: the score at once, the scorer when the event arrives — one GOAL_SCORED, one SCORE_UPDATE', () => {
    const { events } = run(
      kickOff,
      { short: '2H', elapsed: 77, goals: [0, 1], events: [] },
      { short: '2H', elapsed: 78, goals: [0, 1], events: [goal(76, 21, 'Normal Goal', 'away')] },
      { short: '2H', elapsed: 79, goals: [0, 1], events: [goal(76, 21, 'Normal Goal', 'away')] },
    );
    expect(types(play(events))).toEqual(['SCORE_UPDATE', 'GOAL_SCORED']);
    expect(play(events)[1]).toMatchObject({ team: 'away', scorer: 'P21', score: '0-1' });
  });

  it('a missed penalty is no goal', () => {
    const { events } = run(kickOff, { short: '1H', elapsed: 30, goals: [0, 0], events: [{ ...goal(30, 9, 'Missed Penalty'), assist: [9, 'P9'] }] });
    expect(events).toEqual([]);
  });

  it('an own goal is credited to the side the event names (the beneficiary), with the other side\'s player', () => {
    const { events } = run(kickOff, { short: '1H', elapsed: 30, goals: [1, 0], events: [{ at: [30, null], team: 'home', player: [77, 'Lenglet'], type: 'Goal', detail: 'Own Goal' }] });
    expect(events.filter((e) => e.type === 'GOAL_SCORED')).toMatchObject([{ team: 'home', scorer: 'Lenglet', own_goal: true, score: '1-0' }]);
  });

  it('a penalty in play is a goal with the penalty flag', () => {
    const { events } = run(kickOff, { short: '1H', elapsed: 30, goals: [1, 0], events: [goal(30, 9, 'Penalty')] });
    expect(events.filter((e) => e.type === 'GOAL_SCORED')).toMatchObject([{ penalty: true, own_goal: false }]);
  });

  it('shoot-out kicks are no goals: goals excludes them, score.penalty is the shoot-out, the winner is decided by it', () => {
    const kick = (n: number, team: 'home' | 'away', scored: boolean): EventSpec => ({
      at: [120, n],
      team,
      player: [null, `${team} taker ${n}`],
      type: 'Goal',
      detail: scored ? 'Penalty' : 'Missed Penalty',
      comments: 'Penalty Shootout',
    });
    const inEt: FixtureSpec = { short: 'ET', elapsed: 118, goals: [1, 1], events: [goal(30, 9), goal(70, 21, 'Normal Goal', 'away')] };
    const { events } = run(
      kickOff,
      inEt,
      { short: 'P', elapsed: 120, goals: [1, 1], penalty: [2, 3], events: [...(inEt.events ?? []), kick(1, 'home', true), kick(2, 'away', true), kick(3, 'home', false)] },
      { short: 'PEN', elapsed: 120, goals: [1, 1], penalty: [3, 4], events: [...(inEt.events ?? []), kick(1, 'home', true), kick(2, 'away', true), kick(3, 'home', true)] },
    );
    expect(events.filter((e) => e.type === 'GOAL_SCORED')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'SCORE_UPDATE').map((e) => e.score)).toEqual(['1-1']);
    const ended = events.find((e) => e.type === 'MATCH_ENDED');
    expect(ended).toMatchObject({ final_score: '1-1', penalty_score: '3-4', winner: 'away' });
  });
});

describe('shoot-out kicks without their comment', () => {
  it('penalties at 120+n beyond `goals` in a shoot-out are kicks, not goals (listed before the comment existed)', () => {
    const kick = (n: number, team: 'home' | 'away'): EventSpec => ({ at: [120, n], team, player: [null, `${team} taker ${n}`], type: 'Goal', detail: 'Penalty' });
    const events = [goal(30, 9), goal(70, 21, 'Normal Goal', 'away'), kick(1, 'home'), kick(2, 'away'), kick(3, 'home')];
    const m = snapshot({ short: 'PEN', elapsed: 120, goals: [1, 1], penalty: [2, 1], events });
    expect(m.goals.map((g) => g.minute)).toEqual(['30', '70']);
    // A penalty at 120+1 in extra time proper (no shoot-out, counted in goals) stays a goal.
    const inEt = snapshot({ short: 'ET', elapsed: 120, extra: 2, goals: [2, 1], events: [goal(30, 9), goal(70, 21, 'Normal Goal', 'away'), { ...kick(1, 'home'), player: [9, 'P9'] }] });
    expect(inEt.goals.map((g) => g.minute)).toEqual(['30', '70', '120+1']);
  });
});

describe('minutes and statuses', () => {
  it('elapsed stuck at 45 with extra → "45+3" in the first half (never "48", which would read as the second half)', () => {
    const { events, state } = run(kickOff, { short: '1H', elapsed: 45, extra: 3, goals: [1, 0], events: [goal(45, 9, 'Normal Goal', 'home', 2)] });
    expect(types(events)).toEqual(['GOAL_SCORED', 'SCORE_UPDATE']);
    expect(events[0]).toMatchObject({ minute: '45+2' });
    expect(state?.phase).toBe('first_half');
    expect(snapshot({ short: '1H', elapsed: 45, extra: 3 }).minute).toBe('45+3');
  });

  it('elapsed stuck at 90 with no extra for several polls: second half at "90", nothing announced', () => {
    const stuck: FixtureSpec = { short: '2H', elapsed: 90, extra: null };
    const { events, state } = run(kickOff, { short: '2H', elapsed: 89 }, stuck, stuck, stuck);
    expect(types(events)).toEqual(['STATUS_CHANGED']);
    expect(state?.phase).toBe('second_half');
    expect(snapshot(stuck).minute).toBe('90');
    expect(snapshot({ short: '2H', elapsed: 90, extra: 5 }).minute).toBe('90+5');
    // A second half reported past 90 (no extra field) stays in the second half.
    expect(snapshot({ short: '2H', elapsed: 93 }).phase).toBe('second_half');
    expect(snapshot({ short: '2H', elapsed: 93 }).minute).toBe('90+3');
  });

  it('every documented code maps to a phase; unknown codes are unknown', () => {
    expect(Object.fromEntries(STATUS_CODES.map((c) => [c, phaseOfCode(c)]))).toEqual({
      TBD: 'not_started',
      NS: 'not_started',
      '1H': 'first_half',
      HT: 'half_time',
      '2H': 'second_half',
      ET: 'extra_time',
      BT: 'extra_time_break',
      P: 'penalties',
      SUSP: 'suspended',
      INT: 'interrupted',
      FT: 'finished',
      AET: 'finished',
      PEN: 'finished',
      PST: 'postponed',
      CANC: 'cancelled',
      ABD: 'abandoned',
      AWD: 'awarded',
      WO: 'awarded',
      LIVE: 'unknown',
    });
    expect(phaseOfCode('Canc')).toBe('cancelled');
    expect(phaseOfCode('XYZ')).toBe('unknown');
  });

  it('SUSP and INT do not end a match; play resumes', () => {
    const { events } = run(kickOff, { short: 'SUSP', elapsed: 30 }, { short: 'INT', elapsed: 30 }, { short: '1H', elapsed: 31 });
    expect(types(events)).not.toContain('MATCH_ENDED');
    expect(events.map((e) => (e.type === 'STATUS_CHANGED' ? e.phase : e.type))).toEqual(['suspended', 'interrupted', 'first_half']);
  });

  it.each(['ABD', 'AWD', 'WO', 'CANC'])('%s ends a started match as not played normally (MATCH_ENDED with that status)', (code) => {
    const { events } = run(kickOff, { short: code, elapsed: 50 });
    expect(types(events)).toEqual(['STATUS_CHANGED', 'MATCH_ENDED']);
    expect(events[0]).toMatchObject({ phase: phaseOfCode(code) });
  });

  it('a match first seen live with the rare LIVE code still starts once', () => {
    const first = detect(undefined, snapshot({ short: 'LIVE', elapsed: null, goals: [0, 0] }));
    expect(types(first.events)).toEqual(['MATCH_STARTED']);
  });
});

describe('silent corrections after full time (the recorded Bayern–Augsburg pair, FORMAT.md §6.4)', () => {
  const dir = join(import.meta.dirname, '../../fixtures/api-football');
  const capture = (file: string, short: string): MatchSnapshot => {
    const body = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { response: Array<{ fixture: { status: { short: string } } }> };
    for (const f of body.response) f.fixture.status.short = short;
    const reply = parseApiFootballReply(body);
    if (!reply.ok || !reply.value.matches[0]) throw new Error('capture did not parse');
    return reply.value.matches[0];
  };
  const first = 'fixtures_id_2024-11-22_bayern_augsburg_first_capture.json';
  const later = 'fixtures_id_2024-11-23_bayern_augsburg_later_capture.json';

  it('while the match is still followed they are *_UPDATED events, never cancellations and re-announcements of substitutions', () => {
    const { events } = run(capture(first, '2H'), capture(later, '2H'));
    expect(types(events)).not.toContain('SUBSTITUTION');
    expect(types(events)).not.toContain('SUBSTITUTION_CANCELLED');
    expect(types(events)).not.toContain('GOAL_SCORED');
    expect(types(events)).not.toContain('GOAL_CANCELLED');
    expect(types(events).some((t) => t.endsWith('_UPDATED'))).toBe(true);
  });

  it('after MATCH_ENDED nothing more is announced', () => {
    const ended = detect(undefined, capture(first, '2H')).state;
    if (!ended) throw new Error('no state');
    const end = detectAbsent(ended, { kind: 'found', snapshot: capture(first, 'FT') }, 3);
    expect(types(end.events)).toContain('MATCH_ENDED');
    const afterwards = detect(end.state ?? undefined, capture(later, 'FT'));
    expect(afterwards.events).toEqual([]);
  });
});
