/**
 * Change detection from snapshot pairs (issue 2 "Detection: each event type", issue 3 "Event fidelity").
 * Every snapshot is provider-format JSON (test/helpers/wire.ts) through the real parser, so these
 * tests see exactly what the poller hands to `detect`.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MatchEvent } from '../../src/domain/events.js';
import type { MatchState } from '../../src/domain/match.js';
import type { MatchSnapshot } from '../../src/upstream/provider.js';
import { detect, detectAbsent } from '../../src/detect/diff.js';
import { parseReply } from '../../src/upstream/allsportsapi/parse.js';
import {
  wireCard,
  wireEnvelope,
  wireGoal,
  wireMatch,
  wireSub,
  wireVar,
  wireVars,
  type MatchSpec,
} from '../helpers/wire.js';

// ---------------------------------------------------------------------------------------------
// Helpers

function snap(spec: MatchSpec): MatchSnapshot {
  const reply = parseReply(JSON.parse(JSON.stringify(wireEnvelope(wireMatch(spec)))));
  if (!reply.ok) throw new Error(`test fixture does not parse: ${reply.error.message}`);
  const [match] = reply.value.matches;
  if (match === undefined) throw new Error('test fixture has no match');
  return match;
}

/** Feeds the snapshots in order, as the poller does; returns the last state and the events of each poll. */
function drive(specs: readonly MatchSpec[], start?: MatchState): { state: MatchState; polls: MatchEvent[][] } {
  let state = start;
  const polls: MatchEvent[][] = [];
  for (const spec of specs) {
    const detection = detect(state, snap(spec));
    if (detection.state === null) throw new Error('detect forgot a listed match');
    state = detection.state;
    polls.push(detection.events);
  }
  if (state === undefined) throw new Error('no snapshots');
  return { state, polls };
}

const types = (events: readonly MatchEvent[]): string[] => events.map((e) => e.type);

function only<T extends MatchEvent['type']>(events: readonly MatchEvent[], type: T): Extract<MatchEvent, { type: T }> {
  const found = events.filter((e) => e.type === type);
  expect(found, `exactly one ${type} in ${JSON.stringify(types(events))}`).toHaveLength(1);
  return found[0] as Extract<MatchEvent, { type: T }>;
}

const EVENT_ID = /^1001-[A-Za-z0-9_-]{16}$/;
const TEAMS = { home_team: 'Home FC', away_team: 'Away FC', league_id: '152' };

const g1 = wireGoal('home', '12', 'A. Striker', '1 - 0', { id: '501', assist: 'B. Winger', assistId: '502' });
const g2 = wireGoal('away', '34', 'C. Forward', '1 - 1', { id: '601' });
const g3 = wireGoal('home', '58', 'A. Striker', '2 - 1', { id: '501', info: 'Penalty' });

// ---------------------------------------------------------------------------------------------

describe('MATCH_STARTED', () => {
  it('announces a listed match at kick-off with the seed fields first, ids as strings', () => {
    const { polls } = drive([{ status: '' }, { status: '1' }]);
    expect(polls[0]).toEqual([]);
    const [started] = polls[1] ?? [];
    expect(polls[1]).toHaveLength(1);
    expect(Object.keys(started ?? {})).toEqual([
      'type', 'match_id', 'home_team', 'away_team', 'league', 'league_id', 'start_time',
      'home_team_key', 'away_team_key', 'country', 'score', 'status', 'phase', 'goals', 'cards', 'substitutions', 'event_id',
    ]);
    expect(started).toEqual({
      type: 'MATCH_STARTED',
      match_id: '1001',
      home_team: 'Home FC',
      away_team: 'Away FC',
      league: 'Premier League',
      league_id: '152',
      start_time: '2025-05-17 15:00',
      home_team_key: '11',
      away_team_key: '22',
      country: 'England',
      score: '0-0',
      status: '1',
      phase: 'first_half',
      goals: [],
      cards: [],
      substitutions: [],
      event_id: expect.stringMatching(EVENT_ID),
    });
  });

  it('a match first seen mid-game carries its incidents inside MATCH_STARTED and gets no GOAL_SCORED', () => {
    const { polls, state } = drive([
      {
        status: '40',
        goals: [g1, g2],
        cards: [wireCard('away', '20', 'D. Defender', 'yellow card', { id: '602' })],
        subs: [wireSub('home', '30', 'E. Sub', 'F. Tired', { in: 503, out: 504 })],
      },
    ]);
    expect(types(polls[0] ?? [])).toEqual(['MATCH_STARTED']);
    const started = only(polls[0] ?? [], 'MATCH_STARTED');
    expect(started.score).toBe('1-1');
    expect(started.phase).toBe('first_half');
    expect(started.goals).toEqual([
      { event_id: expect.stringMatching(EVENT_ID), minute: '12', scorer: 'A. Striker', team: 'home', assist: 'B. Winger', penalty: false, own_goal: false },
      { event_id: expect.stringMatching(EVENT_ID), minute: '34', scorer: 'C. Forward', team: 'away', assist: null, penalty: false, own_goal: false },
    ]);
    expect(started.cards).toEqual([
      {
        event_id: expect.stringMatching(EVENT_ID), minute: '20', player: 'D. Defender', team: 'away',
        card_type: 'yellow card', color: 'yellow', second_yellow: false, coach: false,
      },
    ]);
    expect(started.substitutions).toEqual([
      { event_id: expect.stringMatching(EVENT_ID), minute: '30', player_in: 'E. Sub', player_out: 'F. Tired', team: 'home' },
    ]);
    expect(state.started).toBe(true);
    // The next identical poll is silent: nothing inside MATCH_STARTED is announced again.
    expect(detect(state, snap({ status: '41', goals: [g1, g2], cards: [wireCard('away', '20', 'D. Defender', 'yellow card', { id: '602' })], subs: [wireSub('home', '30', 'E. Sub', 'F. Tired', { in: 503, out: 504 })] })).events).toEqual([]);
  });

  it('a match first seen at half time starts in phase half_time', () => {
    const { polls } = drive([{ status: 'Half Time', goals: [g1] }]);
    const started = only(polls[0] ?? [], 'MATCH_STARTED');
    expect(started.phase).toBe('half_time');
    expect(started.status).toBe('Half Time');
    expect(started.score).toBe('1-0');
  });

  it('a listed match that is not started yet, or delayed, is followed silently', () => {
    const { polls, state } = drive([{ status: '' }, { status: '' }, { status: 'Delayed' }]);
    expect(polls.flat()).toEqual([]);
    expect(state.started).toBe(false);
  });
});

describe('GOAL_SCORED and SCORE_UPDATE', () => {
  it('a new goal: GOAL_SCORED with the seed fields, then SCORE_UPDATE', () => {
    const { polls } = drive([{ status: '10' }, { status: '12', goals: [g1] }]);
    expect(types(polls[1] ?? [])).toEqual(['GOAL_SCORED', 'SCORE_UPDATE']);
    const [goal, score] = polls[1] ?? [];
    expect(Object.keys(goal ?? {})).toEqual([
      'type', 'match_id', 'minute', 'scorer', 'team', 'score', 'home_team', 'away_team', 'league_id',
      'assist', 'penalty', 'own_goal', 'event_id',
    ]);
    expect(goal).toEqual({
      type: 'GOAL_SCORED',
      match_id: '1001',
      minute: '12',
      scorer: 'A. Striker',
      team: 'home',
      score: '1-0',
      ...TEAMS,
      assist: 'B. Winger',
      penalty: false,
      own_goal: false,
      event_id: expect.stringMatching(EVENT_ID),
    });
    expect(Object.keys(score ?? {})).toEqual(['type', 'match_id', 'home_team', 'away_team', 'score', 'status', 'league_id', 'event_id']);
    expect(score).toEqual({
      type: 'SCORE_UPDATE',
      match_id: '1001',
      home_team: 'Home FC',
      away_team: 'Away FC',
      score: '1-0',
      status: '12',
      league_id: '152',
      event_id: expect.stringMatching(EVENT_ID),
    });
  });

  it('flags penalties, own goals (where the provider marks them) and assists', () => {
    const own = wireGoal('away', '70', 'G. Unlucky (o.g.)', '2 - 2', { info: 'Own Goal' });
    const { polls } = drive([{ status: '50', goals: [g1, g2] }, { status: '71', goals: [g1, g2, g3, own] }]);
    const goals = (polls[1] ?? []).filter((e) => e.type === 'GOAL_SCORED');
    expect(goals.map((g) => [g.minute, g.penalty, g.own_goal, g.assist, g.score])).toEqual([
      ['58', true, false, null, '2-1'],
      ['70', false, true, null, '2-2'],
    ]);
    expect(only(polls[1] ?? [], 'SCORE_UPDATE').score).toBe('2-2');
  });

  it('several goals in one poll are announced in time order, each with its running score', () => {
    const { polls } = drive([{ status: '50' }, { status: '60', goals: [g3, g1, g2], final: '2 - 1' }]);
    expect((polls[1] ?? []).map((e) => (e.type === 'GOAL_SCORED' ? `${e.minute}:${e.score}` : e.type))).toEqual([
      '12:1-0', '34:1-1', '58:2-1', 'SCORE_UPDATE',
    ]);
  });

  it('a score change without a new goal entry still emits SCORE_UPDATE', () => {
    const { polls } = drive([{ status: '10' }, { status: '11', final: '1 - 0' }]);
    expect(types(polls[1] ?? [])).toEqual(['SCORE_UPDATE']);
  });
});

describe('CARD_ISSUED', () => {
  it('a new card: seed fields, then colour, second_yellow, coach and event_id', () => {
    const { polls } = drive([{ status: '40' }, { status: '45', cards: [wireCard('away', '45', 'S. Ramos', 'yellow card', { id: '777' })] }]);
    const [card] = polls[1] ?? [];
    expect(polls[1]).toHaveLength(1);
    expect(Object.keys(card ?? {})).toEqual([
      'type', 'match_id', 'minute', 'player', 'team', 'card_type', 'home_team', 'away_team', 'league_id',
      'color', 'second_yellow', 'coach', 'event_id',
    ]);
    expect(card).toEqual({
      type: 'CARD_ISSUED',
      match_id: '1001',
      minute: '45',
      player: 'S. Ramos',
      team: 'away',
      card_type: 'yellow card',
      ...TEAMS,
      color: 'yellow',
      second_yellow: false,
      coach: false,
      event_id: expect.stringMatching(EVENT_ID),
    });
  });

  it('yellow then red for the same player is a second yellow; a straight red is not', () => {
    const yellow = wireCard('home', '30', 'P. Hothead', 'yellow card');
    const second = wireCard('home', '61', 'P. Hothead', 'red card');
    const straight = wireCard('away', '62', 'Q. Lunge', 'red card', { id: '88' });
    const { polls } = drive([{ status: '31', cards: [yellow] }, { status: '62', cards: [yellow, second, straight] }]);
    const cards = (polls[1] ?? []).filter((e) => e.type === 'CARD_ISSUED');
    expect(cards.map((c) => [c.player, c.color, c.second_yellow])).toEqual([
      ['P. Hothead', 'red', true],
      ['Q. Lunge', 'red', false],
    ]);
  });

  it('a yellow and the red for the same player in one poll: the red is the second yellow', () => {
    const { polls } = drive([
      { status: '20' },
      { status: '70', cards: [wireCard('home', '65', 'P. Hothead', 'red card'), wireCard('home', '30', 'P. Hothead', 'yellow card')] },
    ]);
    const cards = (polls[1] ?? []).filter((e) => e.type === 'CARD_ISSUED');
    expect(cards.map((c) => [c.minute, c.color, c.second_yellow])).toEqual([
      ['30', 'yellow', false],
      ['65', 'red', true],
    ]);
  });

  it('"yellowred card" is a red card and a second yellow', () => {
    const { polls } = drive([{ status: '70' }, { status: '71', cards: [wireCard('away', '71', 'R. Twice', 'yellowred card')] }]);
    const card = only(polls[1] ?? [], 'CARD_ISSUED');
    expect([card.card_type, card.color, card.second_yellow]).toEqual(['yellowred card', 'red', true]);
  });

  it('a card without a player name takes its side from info', () => {
    const { polls } = drive([{ status: '30' }, { status: '33', cards: [wireCard('away', '33', '', 'red card')] }]);
    const card = only(polls[1] ?? [], 'CARD_ISSUED');
    expect([card.player, card.team, card.color, card.second_yellow, card.coach]).toEqual(['', 'away', 'red', false, false]);
  });

  it('a card shown to a coach is flagged coach', () => {
    const { polls } = drive([
      { status: '79', coaches: { home: ['G. Gasperini'] } },
      { status: '80', coaches: { home: ['G. Gasperini'] }, cards: [wireCard('home', '80', 'G. Gasperini', 'red card')] },
    ]);
    const card = only(polls[1] ?? [], 'CARD_ISSUED');
    expect([card.player, card.coach, card.color]).toEqual(['G. Gasperini', true, 'red']);
  });
});

describe('SUBSTITUTION', () => {
  it('a new substitution: the seed fields and event_id', () => {
    const { polls } = drive([{ status: '59' }, { status: '60', subs: [wireSub('home', '60', 'A. Griezmann', 'O. Dembélé')] }]);
    const [sub] = polls[1] ?? [];
    expect(Object.keys(sub ?? {})).toEqual([
      'type', 'match_id', 'minute', 'player_in', 'player_out', 'team', 'home_team', 'away_team', 'league_id', 'event_id',
    ]);
    expect(sub).toEqual({
      type: 'SUBSTITUTION',
      match_id: '1001',
      minute: '60',
      player_in: 'A. Griezmann',
      player_out: 'O. Dembélé',
      team: 'home',
      ...TEAMS,
      event_id: expect.stringMatching(EVENT_ID),
    });
  });

  it('substitutions listed grouped by side and unsorted are announced in time order', () => {
    const subs = [
      wireSub('away', '76', 'A1', 'B1', {}, null),
      wireSub('away', '60', 'A2', 'B2', {}, null),
      wireSub('away', '84', 'A3', 'B3', {}, null),
      wireSub('home', '46', 'H1', 'K1', {}, ''),
      wireSub('home', '45+1', 'H2', 'K2', {}, ''),
      wireSub('home', '90+2', 'H3', 'K3', {}, ''),
      wireSub('home', '83', 'H4', 'K4', {}, ''),
    ];
    const { polls } = drive([{ status: '40' }, { status: '90+', subs }]);
    expect((polls[1] ?? []).filter((e) => e.type === 'SUBSTITUTION').map((e) => e.minute)).toEqual([
      '45+1', '46', '60', '76', '83', '84', '90+2',
    ]);
    // Inside MATCH_STARTED too.
    const first = detect(undefined, snap({ status: '90+', subs }));
    expect(only(first.events, 'MATCH_STARTED').substitutions.map((s) => s.minute)).toEqual([
      '45+1', '46', '60', '76', '83', '84', '90+2',
    ]);
  });
});

describe('MATCH_ENDED', () => {
  it('"Finished" ends the match at once, with the seed fields first', () => {
    const { polls, state } = drive([
      { status: '90+', goals: [g1, g2, g3], halftime: '1 - 1' },
      { status: 'Finished', goals: [g1, g2, g3], halftime: '1 - 1', ft: '2 - 1', live: '0' },
    ]);
    expect(types(polls[1] ?? [])).toEqual(['STATUS_CHANGED', 'MATCH_ENDED']);
    const ended = only(polls[1] ?? [], 'MATCH_ENDED');
    expect(Object.keys(ended)).toEqual([
      'type', 'match_id', 'home_team', 'home_team_key', 'away_team', 'away_team_key', 'final_score', 'halftime_score',
      'league', 'league_key', 'country', 'league_id', 'status', 'winner', 'event_id',
    ]);
    expect(ended).toEqual({
      type: 'MATCH_ENDED',
      match_id: '1001',
      home_team: 'Home FC',
      home_team_key: '11',
      away_team: 'Away FC',
      away_team_key: '22',
      final_score: '2-1',
      halftime_score: '1-1',
      league: 'Premier League',
      league_key: '152',
      country: 'England',
      league_id: '152',
      status: 'Finished',
      winner: 'home',
      event_id: expect.stringMatching(EVENT_ID),
    });
    expect(state.ended).toBe(true);
  });

  it('is emitted once: later polls stay silent even while the match is listed with event_live "1"', () => {
    const finished: MatchSpec = { status: 'Finished', goals: [g1], ft: '1 - 0', live: '1' };
    const { polls, state } = drive([{ status: '89', goals: [g1] }, finished, finished, finished, { ...finished, goals: [g1, g2] }]);
    expect(polls.flat().filter((e) => e.type === 'MATCH_ENDED')).toHaveLength(1);
    expect(polls.slice(2).flat()).toEqual([]);
    expect(detectAbsent(state, { kind: 'unconfirmed' }, 3).events).toEqual([]);
    expect(detectAbsent(state, { kind: 'found', snapshot: snap(finished) }, 3).events).toEqual([]);
  });

  it('"After ET": final_score is the final result, winner by it', () => {
    const goals = [wireGoal('away', '57', 'V. One', '0 - 1'), wireGoal('home', '88', 'D. Two', '1 - 1'), wireGoal('home', '109', 'P. Three', '2 - 1')];
    const { polls } = drive([
      { status: '118', goals },
      { status: 'After ET', goals, halftime: '0 - 0', ft: '1 - 1', final: '2 - 1', live: '0' },
    ]);
    expect(types(polls[1] ?? [])).toEqual(['STATUS_CHANGED', 'MATCH_ENDED']);
    const ended = only(polls[1] ?? [], 'MATCH_ENDED');
    expect([ended.final_score, ended.winner, ended.status, ended.penalty_score]).toEqual(['2-1', 'home', 'After ET', undefined]);
  });

  it('"After Pen.": final_score from event_ft_result, penalty_score and winner; the provider final "2 - 3" is no score', () => {
    const goals = [
      wireGoal('away', '17', 'M. One', '0 - 1'),
      wireGoal('home', '39', 'L. Two', '1 - 1'),
      wireGoal('home', '44', 'R. Three', '2 - 1', { info: 'Penalty' }),
      wireGoal('away', '81', 'I. Four', '2 - 2'),
    ];
    const { polls } = drive([
      { status: '120+', goals, halftime: '2 - 1' },
      { status: 'Penalties', goals, halftime: '2 - 1', final: '2 - 2', ft: '' },
      { status: 'After Pen.', goals, halftime: '2 - 1', final: '2 - 3', ft: '2 - 2', penalty: '4 - 5', live: '0' },
    ]);
    expect(types(polls[1] ?? [])).toEqual(['STATUS_CHANGED']);
    expect(only(polls[1] ?? [], 'STATUS_CHANGED').phase).toBe('penalties');
    expect(types(polls[2] ?? [])).toEqual(['STATUS_CHANGED', 'MATCH_ENDED']);
    const ended = only(polls[2] ?? [], 'MATCH_ENDED');
    expect(Object.keys(ended)).toEqual([
      'type', 'match_id', 'home_team', 'home_team_key', 'away_team', 'away_team_key', 'final_score', 'halftime_score',
      'league', 'league_key', 'country', 'league_id', 'status', 'winner', 'penalty_score', 'event_id',
    ]);
    expect([ended.final_score, ended.halftime_score, ended.penalty_score, ended.winner, ended.status]).toEqual([
      '2-2', '2-1', '4-5', 'away', 'After Pen.',
    ]);
  });

  it('a match seen before kick-off and next at "Finished" is started, given its goals, and ended', () => {
    const { polls } = drive([{ status: '' }, { status: 'Finished', goals: [g1], ft: '1 - 0', live: '0' }]);
    expect(types(polls[1] ?? [])).toEqual(['MATCH_STARTED', 'GOAL_SCORED', 'SCORE_UPDATE', 'STATUS_CHANGED', 'MATCH_ENDED']);
    expect(only(polls[1] ?? [], 'MATCH_ENDED').final_score).toBe('1-0');
  });

  it('a match first seen already finished is never announced', () => {
    const { polls, state } = drive([
      { status: 'Finished', goals: [g1], ft: '1 - 0', live: '1' },
      { status: 'Finished', goals: [g1], ft: '1 - 0', live: '1' },
    ]);
    expect(polls.flat()).toEqual([]);
    expect(state.ended).toBe(true);
  });
});

describe('STATUS_CHANGED', () => {
  it('fires on each phase change through a whole match, never on a new minute', () => {
    const statuses = [
      '1', '2', '30', '45', '45+', 'Half Time', 'Half Time', '46', '70', '90', '90+', '91', '105', '105+', '106', '120', '120+',
      'Penalties', 'Penalties', 'After Pen.',
    ];
    const { polls } = drive([{ status: '' }, ...statuses.map((status) => ({ status, ft: status === 'After Pen.' ? '0 - 0' : '', penalty: status === 'After Pen.' ? '5 - 4' : '' }))]);
    const changes = polls.flat().filter((e) => e.type === 'STATUS_CHANGED');
    expect(changes.map((c) => [c.previous_phase, c.phase, c.status])).toEqual([
      ['first_half', 'half_time', 'Half Time'],
      ['half_time', 'second_half', '46'],
      ['second_half', 'extra_time', '91'],
      ['extra_time', 'penalties', 'Penalties'],
      ['penalties', 'finished', 'After Pen.'],
    ]);
    const first = changes[0];
    expect(Object.keys(first ?? {})).toEqual([
      'type', 'match_id', 'home_team', 'away_team', 'league_id', 'status', 'phase', 'previous_phase', 'score', 'event_id',
    ]);
    expect(first).toEqual({
      type: 'STATUS_CHANGED', match_id: '1001', ...TEAMS, status: 'Half Time', phase: 'half_time',
      previous_phase: 'first_half', score: '0-0', event_id: expect.stringMatching(EVENT_ID),
    });
    expect(only(polls.flat(), 'MATCH_ENDED').winner).toBe('home');
    expect(new Set(changes.map((c) => c.event_id)).size).toBe(changes.length);
  });

  it('postponed before kick-off: STATUS_CHANGED postponed, no MATCH_STARTED, no MATCH_ENDED, then silence', () => {
    const postponed: MatchSpec = { status: 'Postponed', final: '-', live: '0' };
    const { polls, state } = drive([{ status: '' }, postponed, postponed]);
    expect(types(polls.flat())).toEqual(['STATUS_CHANGED']);
    const change = only(polls[1] ?? [], 'STATUS_CHANGED');
    expect([change.status, change.phase, change.previous_phase]).toEqual(['Postponed', 'postponed', 'not_started']);
    expect(state.ended).toBe(true);
  });

  it('cancelled before kick-off likewise; first seen postponed: silence', () => {
    expect(types(drive([{ status: '' }, { status: 'Cancelled', final: '-', live: '0' }]).polls.flat())).toEqual(['STATUS_CHANGED']);
    expect(drive([{ status: 'Postponed', final: '-', live: '0' }]).polls.flat()).toEqual([]);
  });

  it('abandoned mid-match: STATUS_CHANGED abandoned and MATCH_ENDED', () => {
    const { polls } = drive([{ status: '60', goals: [g1] }, { status: 'Interrupted', goals: [g1] }, { status: 'Abandoned', goals: [g1] }]);
    expect(types(polls[1] ?? [])).toEqual(['STATUS_CHANGED']);
    expect(only(polls[1] ?? [], 'STATUS_CHANGED').phase).toBe('interrupted');
    expect(types(polls[2] ?? [])).toEqual(['STATUS_CHANGED', 'MATCH_ENDED']);
    expect(only(polls[2] ?? [], 'STATUS_CHANGED').phase).toBe('abandoned');
    expect(only(polls[2] ?? [], 'MATCH_ENDED')).toMatchObject({ status: 'Abandoned', final_score: '1-0' });
  });

  it('an unknown status is carried through as phase "unknown", and play resumes afterwards', () => {
    const { polls } = drive([{ status: '60' }, { status: 'Water Break!' }, { status: '61' }]);
    expect(only(polls[1] ?? [], 'STATUS_CHANGED')).toMatchObject({ status: 'Water Break!', phase: 'unknown', previous_phase: 'second_half' });
    expect(only(polls[2] ?? [], 'STATUS_CHANGED')).toMatchObject({ status: '61', phase: 'second_half', previous_phase: 'unknown' });
  });

  it('an unknown status on first sight: started only when the provider flags the match live', () => {
    expect(only(detect(undefined, snap({ status: 'Q1', live: '1' })).events, 'MATCH_STARTED').phase).toBe('unknown');
    expect(detect(undefined, snap({ status: 'Q1', live: '0' })).events).toEqual([]);
  });

  it('a late reply cannot move a match backwards ("Half Time" after "46")', () => {
    const { polls, state } = drive([{ status: '44' }, { status: 'Half Time' }, { status: '46' }, { status: 'Half Time' }, { status: '47' }]);
    expect(polls.slice(3).flat()).toEqual([]);
    expect(state.phase).toBe('second_half');
  });

  it('never crashes on any status text sequence', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom('', '1', '45+', 'Half Time', '46', '90+', '91', 'Penalties', 'Finished', 'After Pen.', 'Postponed', 'Abandoned'), fc.string({ maxLength: 8 })), { minLength: 1, maxLength: 12 }), (statuses) => {
        const { polls } = drive(statuses.map((status) => ({ status })));
        expect(polls.flat().filter((e) => e.type === 'MATCH_ENDED').length).toBeLessThanOrEqual(1);
        expect(polls.flat().filter((e) => e.type === 'MATCH_STARTED').length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });
});

describe('noise emits nothing', () => {
  const full: MatchSpec = {
    status: '70',
    goals: [g1, g2, g3],
    cards: [wireCard('away', '20', 'D. Defender'), wireCard('home', '33', '', 'yellow card')],
    subs: [wireSub('away', '65', 'X1', 'Y1'), wireSub('home', '46', 'X2', 'Y2'), wireSub('home', '60', 'X3', 'Y3')],
  };

  it('re-polling an unchanged feed, any number of times', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), (times) => {
        const { polls } = drive([full, ...Array.from({ length: times }, () => full)]);
        expect(polls.slice(1).flat()).toEqual([]);
      }),
      { numRuns: 20 },
    );
  });

  it('reordered lists', () => {
    const reordered: MatchSpec = {
      ...full,
      final: '2 - 1',
      goals: [...(full.goals ?? [])].reverse(),
      cards: [...(full.cards ?? [])].reverse(),
      subs: [...(full.subs ?? [])].reverse(),
    };
    const { polls } = drive([full, reordered, full]);
    expect(polls.slice(1).flat()).toEqual([]);
  });

  it('a scorer id appearing where it was ""', () => {
    const before = wireGoal('away', '34', 'J. Mabry', '0 - 1', { id: '' });
    const after = wireGoal('away', '34', 'J. Mabry', '0 - 1', { id: '3000730209' });
    const { polls, state } = drive([{ status: '35', goals: [before] }, { status: '36', goals: [after] }, { status: '37', goals: [after] }]);
    expect(polls.slice(1).flat()).toEqual([]);
    expect(state.goals[0]?.scorerId).toBe('3000730209');
  });

  it('a card player id and substitution ids appearing later', () => {
    const { polls } = drive([
      { status: '50', cards: [wireCard('home', '40', 'P. X', 'yellow card', { id: '' })], subs: [wireSub('home', '46', 'I', 'O', { in: 0, out: 0 })] },
      { status: '51', cards: [wireCard('home', '40', 'P. X', 'yellow card', { id: '42' })], subs: [wireSub('home', '46', 'I', 'O', { in: 7, out: 8 })] },
    ]);
    expect(polls[1]).toEqual([]);
  });
});

describe('corrections', () => {
  it('"45" corrected to "45+2": one GOAL_UPDATED in the goal\'s family, never a second GOAL_SCORED', () => {
    const at45 = wireGoal('home', '45', 'E. Castellan', '1 - 0');
    const at47 = wireGoal('home', '45+2', 'E. Castellan', '1 - 0');
    const { polls } = drive([{ status: '45' }, { status: '45+', goals: [at45] }, { status: 'Half Time', goals: [at47] }, { status: '46', goals: [at47] }]);
    const scored = only(polls[1] ?? [], 'GOAL_SCORED');
    expect(types(polls[2] ?? [])).toEqual(['GOAL_UPDATED', 'STATUS_CHANGED']);
    const updated = only(polls[2] ?? [], 'GOAL_UPDATED');
    expect(Object.keys(updated)).toEqual([
      'type', 'match_id', 'minute', 'scorer', 'team', 'assist', 'penalty', 'own_goal', 'previous_minute', 'previous_scorer',
      'home_team', 'away_team', 'league_id', 'goal_event_id', 'event_id',
    ]);
    expect(updated).toEqual({
      type: 'GOAL_UPDATED',
      match_id: '1001',
      minute: '45+2',
      scorer: 'E. Castellan',
      team: 'home',
      assist: null,
      penalty: false,
      own_goal: false,
      previous_minute: '45',
      previous_scorer: 'E. Castellan',
      ...TEAMS,
      goal_event_id: scored.event_id,
      event_id: expect.stringMatching(EVENT_ID),
    });
    expect(updated.event_id).not.toBe(scored.event_id);
    expect(polls.flat().filter((e) => e.type === 'GOAL_SCORED')).toHaveLength(1);
    expect(polls[3]?.filter((e) => e.type.startsWith('GOAL'))).toEqual([]);
  });

  it('"14" corrected to "13", then to "15": two updates with distinct ids, same goal', () => {
    const at = (minute: string) => wireGoal('away', minute, 'N. Varga', '0 - 1', { id: '9' });
    const { polls } = drive([{ status: '14', goals: [at('14')] }, { status: '15', goals: [at('13')] }, { status: '16', goals: [at('15')] }]);
    const started = only(polls[0] ?? [], 'MATCH_STARTED');
    const goalId = started.goals[0]?.event_id;
    const updates = polls.flat().filter((e) => e.type === 'GOAL_UPDATED');
    expect(updates.map((u) => [u.previous_minute, u.minute, u.goal_event_id])).toEqual([
      ['14', '13', goalId],
      ['13', '15', goalId],
    ]);
    expect(new Set(updates.map((u) => u.event_id)).size).toBe(2);
    expect(polls.flat().filter((e) => e.type === 'GOAL_SCORED' || e.type === 'SCORE_UPDATE')).toEqual([]);
  });

  it('a name spelling corrected under the same id: GOAL_UPDATED with the previous scorer', () => {
    const { polls } = drive([
      { status: '20', goals: [wireGoal('home', '19', 'D. Fairly', '1 - 0', { id: '77' })] },
      { status: '21', goals: [wireGoal('home', '19', 'D. Fairley', '1 - 0', { id: '77' })] },
    ]);
    expect(types(polls[1] ?? [])).toEqual(['GOAL_UPDATED']);
    expect(only(polls[1] ?? [], 'GOAL_UPDATED')).toMatchObject({ scorer: 'D. Fairley', previous_scorer: 'D. Fairly', minute: '19', previous_minute: '19' });
  });

  it('card and substitution corrections: CARD_UPDATED, SUBSTITUTION_UPDATED', () => {
    const { polls } = drive([
      { status: '70', cards: [wireCard('home', '66', 'K. Osei', 'yellow card', { id: '5' })], subs: [wireSub('away', '60', 'I', 'O', { in: 1, out: 2 })] },
      { status: '71', cards: [wireCard('home', '67', 'K. Osei', 'yellow card', { id: '5' })], subs: [wireSub('away', '61', 'I', 'O', { in: 1, out: 2 })] },
    ]);
    // Corrections of one poll come in time order of their incidents.
    expect(types(polls[1] ?? [])).toEqual(['SUBSTITUTION_UPDATED', 'CARD_UPDATED']);
    const started = only(polls[0] ?? [], 'MATCH_STARTED');
    const card = only(polls[1] ?? [], 'CARD_UPDATED');
    expect(Object.keys(card)).toEqual([
      'type', 'match_id', 'minute', 'player', 'team', 'card_type', 'previous_minute', 'previous_player',
      'home_team', 'away_team', 'league_id', 'card_event_id', 'event_id',
    ]);
    expect(card).toEqual({
      type: 'CARD_UPDATED', match_id: '1001', minute: '67', player: 'K. Osei', team: 'home', card_type: 'yellow card',
      previous_minute: '66', previous_player: 'K. Osei', ...TEAMS, card_event_id: started.cards[0]?.event_id, event_id: expect.stringMatching(EVENT_ID),
    });
    const sub = only(polls[1] ?? [], 'SUBSTITUTION_UPDATED');
    expect(Object.keys(sub)).toEqual([
      'type', 'match_id', 'minute', 'player_in', 'player_out', 'team', 'previous_minute',
      'home_team', 'away_team', 'league_id', 'substitution_event_id', 'event_id',
    ]);
    expect(sub).toEqual({
      type: 'SUBSTITUTION_UPDATED', match_id: '1001', minute: '61', player_in: 'I', player_out: 'O', team: 'away', previous_minute: '60',
      ...TEAMS, substitution_event_id: started.substitutions[0]?.event_id, event_id: expect.stringMatching(EVENT_ID),
    });
  });

  it('a goal that disappears without a VAR entry: GOAL_CANCELLED (reason null) and SCORE_UPDATE', () => {
    const { polls } = drive([{ status: '60', goals: [g1, g2] }, { status: '61', goals: [g1], final: '1 - 0' }]);
    expect(types(polls[1] ?? [])).toEqual(['GOAL_CANCELLED', 'SCORE_UPDATE']);
    const cancelled = only(polls[1] ?? [], 'GOAL_CANCELLED');
    const goalId = only(polls[0] ?? [], 'MATCH_STARTED').goals[1]?.event_id;
    expect(Object.keys(cancelled)).toEqual([
      'type', 'match_id', 'minute', 'scorer', 'team', 'score', 'home_team', 'away_team', 'league_id', 'goal_event_id', 'reason', 'event_id',
    ]);
    expect(cancelled).toEqual({
      type: 'GOAL_CANCELLED', match_id: '1001', minute: '34', scorer: 'C. Forward', team: 'away', score: '1-0', ...TEAMS,
      goal_event_id: goalId, reason: null, event_id: expect.stringMatching(EVENT_ID),
    });
    expect(only(polls[1] ?? [], 'SCORE_UPDATE').score).toBe('1-0');
  });

  it('a goal that disappears with a vars "Goal cancelled" entry: reason "VAR"', () => {
    const goal = wireGoal('away', '67', 'T. Quayle', '1 - 1');
    const { polls } = drive([
      { status: '68', goals: [g1, goal], vars: wireVars() },
      { status: '70', goals: [g1], final: '1 - 0', vars: wireVars(wireVar('away', '67', 'Tobias Quayle')) },
    ]);
    expect(types(polls[1] ?? [])).toEqual(['GOAL_CANCELLED', 'SCORE_UPDATE']);
    expect(only(polls[1] ?? [], 'GOAL_CANCELLED')).toMatchObject({ minute: '67', scorer: 'T. Quayle', team: 'away', score: '1-0', reason: 'VAR' });
  });

  it('a card that disappears: CARD_CANCELLED', () => {
    const card = wireCard('away', '27', 'P. Lindqvist', 'yellow card', { id: '3' });
    const { polls } = drive([{ status: '28', cards: [card] }, { status: '30', cards: [] }]);
    expect(types(polls[1] ?? [])).toEqual(['CARD_CANCELLED']);
    const cancelled = only(polls[1] ?? [], 'CARD_CANCELLED');
    expect(Object.keys(cancelled)).toEqual([
      'type', 'match_id', 'minute', 'player', 'team', 'card_type', 'home_team', 'away_team', 'league_id', 'card_event_id', 'event_id',
    ]);
    expect(cancelled).toEqual({
      type: 'CARD_CANCELLED', match_id: '1001', minute: '27', player: 'P. Lindqvist', team: 'away', card_type: 'yellow card', ...TEAMS,
      card_event_id: only(polls[0] ?? [], 'MATCH_STARTED').cards[0]?.event_id, event_id: expect.stringMatching(EVENT_ID),
    });
  });

  it('a substitution that disappears: SUBSTITUTION_CANCELLED', () => {
    const { polls } = drive([{ status: '60', subs: [wireSub('home', '58', 'I', 'O')] }, { status: '61' }]);
    expect(types(polls[1] ?? [])).toEqual(['SUBSTITUTION_CANCELLED']);
    const cancelled = only(polls[1] ?? [], 'SUBSTITUTION_CANCELLED');
    expect(Object.keys(cancelled)).toEqual([
      'type', 'match_id', 'minute', 'player_in', 'player_out', 'team', 'home_team', 'away_team', 'league_id', 'substitution_event_id', 'event_id',
    ]);
    expect(cancelled).toMatchObject({
      minute: '58', player_in: 'I', player_out: 'O', team: 'home',
      substitution_event_id: only(polls[0] ?? [], 'MATCH_STARTED').substitutions[0]?.event_id,
    });
  });
});

describe('detectAbsent', () => {
  const live: MatchSpec = { status: '62', goals: [g1] };
  const started = (): MatchState => drive([live]).state;

  it('found and finished: ends the match', () => {
    const result = detectAbsent(started(), { kind: 'found', snapshot: snap({ status: 'Finished', goals: [g1], ft: '1 - 0', live: '0' }) }, 3);
    expect(types(result.events)).toEqual(['STATUS_CHANGED', 'MATCH_ENDED']);
    expect(only(result.events, 'MATCH_ENDED').final_score).toBe('1-0');
    expect(result.state?.ended).toBe(true);
  });

  it('found and still live: silent, and the absence count is reset', () => {
    const once = detectAbsent(started(), { kind: 'unconfirmed' }, 3);
    expect(once.events).toEqual([]);
    expect(once.state?.absentPolls).toBe(1);
    const found = detectAbsent(once.state as MatchState, { kind: 'found', snapshot: snap({ ...live, status: '63' }) }, 3);
    expect(found.events).toEqual([]);
    expect(found.state?.absentPolls).toBe(0);
  });

  it('found with news: the news is announced like any poll', () => {
    const found = detectAbsent(started(), { kind: 'found', snapshot: snap({ status: '65', goals: [g1, g2] }) }, 3);
    expect(types(found.events)).toEqual(['GOAL_SCORED', 'SCORE_UPDATE']);
  });

  it('unconfirmed: ends only after N consecutive absences', () => {
    let state: MatchState | null = started();
    const seen: string[][] = [];
    for (let i = 0; i < 3; i += 1) {
      const result = detectAbsent(state as MatchState, { kind: 'unconfirmed' }, 3);
      seen.push(types(result.events));
      state = result.state;
    }
    expect(seen).toEqual([[], [], ['MATCH_ENDED']]);
    expect(state?.ended).toBe(true);
    // A reappearance in between restarts the count.
    const one = detectAbsent(started(), { kind: 'unconfirmed' }, 3).state as MatchState;
    const two = detectAbsent(one, { kind: 'unconfirmed' }, 3).state as MatchState;
    const back = detect(two, snap(live));
    expect(back.events).toEqual([]);
    expect(back.state?.absentPolls).toBe(0);
    const again = detectAbsent(back.state as MatchState, { kind: 'unconfirmed' }, 3);
    expect(again.events).toEqual([]);
  });

  it('a match that returns after a glitch gets no second MATCH_STARTED', () => {
    const gone = detectAbsent(started(), { kind: 'unconfirmed' }, 3).state as MatchState;
    const back = detect(gone, snap({ status: '64', goals: [g1] }));
    expect(back.events).toEqual([]);
  });

  it('never-started matches are forgotten silently after N absences', () => {
    const listed = drive([{ status: '' }]).state;
    const one = detectAbsent(listed, { kind: 'unconfirmed' }, 3);
    const two = detectAbsent(one.state as MatchState, { kind: 'unconfirmed' }, 3);
    const three = detectAbsent(two.state as MatchState, { kind: 'unconfirmed' }, 3);
    expect([one.events, two.events, three.events]).toEqual([[], [], []]);
    expect(two.state).not.toBeNull();
    expect(three.state).toBeNull();
  });
});

describe('event_id', () => {
  const sequence: MatchSpec[] = [
    { status: '' },
    { status: '5' },
    { status: '12', goals: [g1] },
    { status: '35', goals: [g1, g2], cards: [wireCard('away', '30', 'D. D')] },
    { status: 'Half Time', goals: [g1, g2], cards: [wireCard('away', '31', 'D. D')] },
    { status: '60', goals: [g1, g2, g3], cards: [wireCard('away', '31', 'D. D')], subs: [wireSub('home', '55', 'I', 'O')] },
    { status: '61', goals: [g1, g3], final: '2 - 0', subs: [wireSub('home', '55', 'I', 'O')] },
    { status: 'Finished', goals: [g1, g3], final: '2 - 0', ft: '2 - 0', subs: [wireSub('home', '55', 'I', 'O')] },
  ];

  it('rerunning detection from scratch on the same snapshots gives the same events and ids', () => {
    const first = drive(sequence).polls;
    const second = drive(sequence).polls;
    expect(second).toEqual(first);
    const ids = first.flat().map((e) => e.event_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('the same incident keeps its id whether it was seen in MATCH_STARTED or announced on its own', () => {
    const fromStart = only(drive([{ status: '12', goals: [g1] }]).polls[0] ?? [], 'MATCH_STARTED').goals[0]?.event_id;
    const announced = only(drive([{ status: '11' }, { status: '12', goals: [g1] }]).polls[1] ?? [], 'GOAL_SCORED').event_id;
    expect(fromStart).toBe(announced);
  });

  it('a goal cancelled then reinstated is announced again with a NEW event_id', () => {
    const { polls } = drive([
      { status: '40', goals: [g1] },
      { status: '41', goals: [], final: '0 - 0' },
      { status: '43', goals: [g1] },
    ]);
    const original = only(polls[0] ?? [], 'MATCH_STARTED').goals[0]?.event_id;
    expect(only(polls[1] ?? [], 'GOAL_CANCELLED').goal_event_id).toBe(original);
    const reinstated = only(polls[2] ?? [], 'GOAL_SCORED');
    expect(reinstated.event_id).not.toBe(original);
    expect(only(polls[2] ?? [], 'SCORE_UPDATE').score).toBe('1-0');
  });
});
