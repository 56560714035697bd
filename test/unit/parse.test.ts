/**
 * The upstream parser against hand-written fixtures in AllSportsAPI's wire format
 * (test/fixtures/allsportsapi/), one test per quirk of ../shared/allsportsapi/FORMAT.md §2–§10.
 * Every test asserts the exact parsed values or the exact error, never just "it parsed".
 */
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import type { MatchSnapshot } from '../../src/upstream/provider.js';
import { parseMatch, parseReply, parseReplyText, parseScore, type ParsedReply } from '../../src/upstream/allsportsapi/parse.js';
import type { UpstreamError } from '../../src/upstream/errors.js';
import { wireCard, wireEnvelope, wireGoal, wireMatch, wireSub, wireVar, wireVars, type WireObject } from '../helpers/wire.js';

const fixtureText = (name: string): string =>
  readFileSync(new URL(`../fixtures/allsportsapi/${name}`, import.meta.url), 'utf8');

function parsedOk(body: unknown): ParsedReply {
  const result = parseReply(body);
  if (!result.ok) throw new Error(`expected the reply to parse, got ${result.error.kind}: ${result.error.message}`);
  return result.value;
}

function parsedErr(body: unknown): UpstreamError {
  const result = parseReply(body);
  if (result.ok) throw new Error(`expected the reply to be refused, got ${result.value.matches.length} matches`);
  return result.error;
}

function textOk(text: string): ParsedReply {
  const result = parseReplyText(text);
  if (!result.ok) throw new Error(`expected the reply to parse, got ${result.error.kind}: ${result.error.message}`);
  return result.value;
}

function textErr(text: string): UpstreamError {
  const result = parseReplyText(text);
  if (result.ok) throw new Error('expected the reply to be refused');
  return result.error;
}

/** One match parsed on its own (through a full success envelope). */
function parseOne(match: WireObject): MatchSnapshot {
  const { matches, warnings } = parsedOk(wireEnvelope(match));
  expect(warnings).toEqual([]);
  expect(matches).toHaveLength(1);
  return matches[0] as MatchSnapshot;
}

/** A deep copy of a provider object, to break one field of it. */
const clone = <T>(value: T): T => structuredClone(value);

// ---------------------------------------------------------------------------------------------

describe('success envelope (§2)', () => {
  it('parses the Livescore fixture in PHP style (escaped slashes, \\u00e8) to exact snapshots', () => {
    const text = fixtureText('livescore_quirks.json');
    // The fixture really carries the PHP escapes this test is about.
    expect(text).toContain('\\/');
    expect(text).toContain('\\u00e8');
    const { matches, warnings } = textOk(text);
    expect(warnings).toEqual([]);
    expect(matches.map((m) => m.matchId)).toEqual(['3000000123', '1061501', '1223924']);

    expect(matches[0]).toEqual({
      matchId: '3000000123',
      startTime: '2025-05-17 15:00',
      homeTeam: 'Olympique Athènes',
      awayTeam: 'Sporting Crète',
      homeTeamKey: '7594',
      awayTeamKey: '7623',
      leagueId: '302',
      league: 'Ligue Élite / Groupe A',
      country: 'Grèce',
      phase: 'first_half',
      minute: '45+',
      statusText: '45+',
      live: true,
      score: { home: 1, away: 2 },
      halftimeScore: { home: 1, away: 2 },
      shootoutScore: null,
      shootout: false,
      goals: [
        {
          minute: '12',
          side: 'home',
          scorer: 'R. François',
          scorerId: '4294967040',
          assist: 'J. Léon',
          assistId: '3567294284',
          score: { home: 1, away: 0 },
          penalty: false,
          ownGoal: false,
        },
        {
          minute: '39',
          side: 'away',
          scorer: 'D. Poloz',
          scorerId: '',
          assist: '',
          assistId: '',
          score: { home: 1, away: 1 },
          penalty: true,
          ownGoal: false,
        },
        {
          // No scorer name on either side: the away count went up from 1-1 to 1-2.
          minute: '45+1',
          side: 'away',
          scorer: '',
          scorerId: '',
          assist: '',
          assistId: '',
          score: { home: 1, away: 2 },
          penalty: false,
          ownGoal: false,
        },
      ],
      missedPenalties: [],
      cards: [
        { minute: '20', side: 'home', player: 'A. Rahmanovic', playerId: '3858212000', card: 'yellow card', color: 'yellow', secondYellow: false, coach: false },
        { minute: '33', side: 'home', player: '', playerId: '', card: 'yellow card', color: 'yellow', secondYellow: false, coach: false },
        { minute: '44', side: 'away', player: '', playerId: '', card: 'red card', color: 'red', secondYellow: false, coach: false },
        { minute: '45+3', side: 'away', player: 'G. Gasperini', playerId: '', card: 'red card', color: 'red', secondYellow: false, coach: true },
      ],
      // Provider order is kept (40, 23, 18): sorting is the detector's job.
      substitutions: [
        { minute: '40', side: 'away', playerIn: 'K. Novák', playerOut: 'P. Horák', inId: '4294967001', outId: '870347753' },
        { minute: '23', side: 'home', playerIn: 'H. Mhamedi', playerOut: 'T. Alkhaly', inId: '870347754', outId: '3312626380' },
        // in_id 0 is the provider's "unknown".
        { minute: '18', side: 'home', playerIn: 'A. Ben Ali', playerOut: 'S. Trabelsi', inId: '', outId: '3312626381' },
      ],
      // No `vars` key at all (pre-late-2023 payload).
      vars: [],
    } satisfies MatchSnapshot);
  });

  it('parses ids given as strings, compact score forms, vars items and line-ups with missing keys', () => {
    const { matches } = textOk(fixtureText('livescore_quirks.json'));
    expect(matches[1]).toEqual({
      matchId: '1061501',
      startTime: '2025-05-17 15:00',
      homeTeam: 'Heidenheim',
      awayTeam: 'Regensburg',
      homeTeamKey: '3917',
      awayTeamKey: '3923',
      leagueId: '175',
      league: '2. Bundesliga',
      country: 'Germany',
      phase: 'half_time',
      minute: null,
      statusText: 'Half Time',
      live: true,
      score: { home: 2, away: 0 }, // "2-0"
      halftimeScore: { home: 2, away: 0 }, // "2:0"
      shootoutScore: null, // " - "
      shootout: false,
      goals: [
        {
          // Unnamed first goal: 0-0 → 1-0 is a home goal.
          minute: '5',
          side: 'home',
          scorer: '',
          scorerId: '',
          assist: '',
          assistId: '',
          score: { home: 1, away: 0 },
          penalty: false,
          ownGoal: false,
        },
        {
          minute: '30',
          side: 'home',
          scorer: 'T. Kleindienst',
          scorerId: '958745255',
          assist: '',
          assistId: '',
          score: { home: 2, away: 0 },
          penalty: false,
          ownGoal: false,
        },
      ],
      missedPenalties: [],
      cards: [],
      substitutions: [
        { minute: '41', side: 'away', playerIn: 'S. Singh', playerOut: 'A. Albers', inId: '1433003', outId: '1433004' },
      ],
      vars: [
        { side: 'home', minute: '59', player: 'Arkadiusz Milik', playerId: '755943754', cancelsGoal: false },
        // var_event_decision null → ""; var_player_id above int32 kept exactly.
        { side: 'away', minute: '44', player: 'B. Gimber', playerId: '4294960000', cancelsGoal: false },
      ],
    } satisfies MatchSnapshot);
  });

  it('parses a not-started match: status "", final "-", live "0", everything empty', () => {
    const { matches } = textOk(fixtureText('livescore_quirks.json'));
    expect(matches[2]).toEqual({
      matchId: '1223924',
      startTime: '2025-05-17 20:45',
      homeTeam: 'Spezia',
      awayTeam: 'Verona',
      homeTeamKey: '4977',
      awayTeamKey: '4980',
      leagueId: '207',
      league: 'Serie A - Relegation Round',
      country: 'Italy',
      phase: 'not_started',
      minute: null,
      statusText: '',
      live: false,
      score: null,
      halftimeScore: null,
      shootoutScore: null,
      shootout: false,
      goals: [],
      missedPenalties: [],
      cards: [],
      substitutions: [],
      vars: [],
    } satisfies MatchSnapshot);
  });

  it('parses the ended states: Finished with event_live "1", After ET, After Pen., Postponed', () => {
    const { matches, warnings } = textOk(fixtureText('fixtures_ended_states.json'));
    expect(warnings).toEqual([]);
    const summary = matches.map((m) => ({
      id: m.matchId,
      status: m.statusText,
      phase: m.phase,
      live: m.live,
      time: m.startTime.slice(-5),
      ht: m.halftimeScore,
      score: m.score,
      shootout: m.shootout,
      pen: m.shootoutScore,
    }));
    // After extra time the final result is the score after 120 minutes; after a shoot-out the
    // provider's final result folds the shoot-out in ("2 - 3"): the trusted score is the ft result.
    expect(summary).toEqual([
      { id: '1059491', status: 'Finished', phase: 'finished', live: true, time: '21:00', ht: { home: 0, away: 1 }, score: { home: 1, away: 1 }, shootout: false, pen: null },
      { id: '1158302', status: 'After ET', phase: 'finished', live: false, time: '21:00', ht: { home: 0, away: 0 }, score: { home: 2, away: 1 }, shootout: false, pen: null },
      { id: '1158301', status: 'After Pen.', phase: 'finished', live: false, time: '21:00', ht: { home: 2, away: 1 }, score: { home: 2, away: 2 }, shootout: true, pen: { home: 4, away: 5 } },
      { id: '1299038', status: 'Postponed', phase: 'postponed', live: false, time: '00:00', ht: null, score: null, shootout: false, pen: null },
    ]);
    expect(matches[0]?.goals).toEqual([
      { minute: '21', side: 'away', scorer: 'M. Cunha', scorerId: '', assist: 'J. Moutinho', assistId: '', score: { home: 0, away: 1 }, penalty: false, ownGoal: false },
      { minute: '55', side: 'home', scorer: 'A. Mitrovic', scorerId: '1160', assist: '', assistId: '', score: { home: 1, away: 1 }, penalty: true, ownGoal: false },
    ]);
  });

  it.each([
    ['an empty array', { success: 1, result: [] }],
    ['null', { success: 1, result: null }],
    ['absent', { success: 1 }],
  ])('accepts result as %s: no matches, no warnings', (_label, body) => {
    expect(parsedOk(body)).toEqual({ matches: [], warnings: [] });
  });

  it('refuses a result that is not an array', () => {
    const error = parsedErr({ success: 1, result: { event_key: 1 } });
    expect(error.kind).toBe('bad_format');
    expect(error.message).toBe('reply.result: expected array, got object');
  });

  it.each([
    ['an array', [wireMatch()], 'array'],
    ['null', null, 'null'],
    ['a string', 'OK', 'string'],
    ['a number', 1, 'number'],
  ])('refuses a body that is %s instead of an object', (_label, body, described) => {
    const error = parsedErr(body);
    expect(error.kind).toBe('bad_format');
    expect(error.message).toBe(`reply: expected a JSON object, got ${described}`);
  });
});

describe('error envelopes (§2, §10.11)', () => {
  it('an HTTP-200 "Wrong login credentials" body is an auth error with the provider message', () => {
    const error = textErr(fixtureText('error_wrong_credentials.json'));
    expect(error.kind).toBe('auth');
    expect(error.transient).toBe(false);
    expect(error.details.providerMessages).toEqual([{ msg: 'Wrong login credentials', cod: 1004, param: null }]);
    expect(error.message).toBe('provider refused the request (success field missing): Wrong login credentials');
  });

  it('the two-message variant (1005 + 1004, param "APIkey") keeps both messages in order', () => {
    const error = textErr(fixtureText('error_missing_key.json'));
    expect(error.kind).toBe('auth');
    expect(error.details.providerMessages).toEqual([
      { msg: 'The field is mandatory', cod: 1005, param: 'APIkey' },
      { msg: 'Wrong login credentials', cod: 1004, param: 'APIkey' },
    ]);
    expect(error.message).toContain('The field is mandatory; Wrong login credentials');
  });

  it('success: 0 is a provider error even with an empty result', () => {
    const error = parsedErr({ success: 0, result: [] });
    expect(error.kind).toBe('provider_error');
    expect(error.details.providerMessages).toEqual([]);
    expect(error.message).toBe('provider refused the request (success is 0): no message');
  });

  it('success: 0 with a top-level message carries that message', () => {
    const error = parsedErr({ success: 0, message: 'Daily request limit reached' });
    expect(error.kind).toBe('provider_error');
    expect(error.details.providerMessages).toEqual([{ msg: 'Daily request limit reached', cod: null, param: null }]);
  });

  it('a body without `success` is refused even when its result holds real matches', () => {
    const error = parsedErr({ result: [wireMatch({ key: 5 })] });
    expect(error.kind).toBe('provider_error');
    expect(error.message).toContain('success field missing');
  });

  it.each([['"1"', '1'], ['true', true]])('success as %s (not the number 1) is refused', (_label, success) => {
    const error = parsedErr({ success, result: [wireMatch()] });
    expect(error.kind).toBe('provider_error');
    expect(error.message).toContain(`success is ${JSON.stringify(success)}`);
  });

  it('error objects inside a success envelope are not taken for matches', () => {
    const error = parsedErr({ success: 1, result: [{ param: 'APIkey', msg: 'Wrong login credentials', cod: 1004 }] });
    expect(error.kind).toBe('bad_format');
    expect(error.message).toBe('result[0].event_key: missing');
  });
});

describe('bodies that are not JSON (kind bad_json)', () => {
  const full = fixtureText('livescore_quirks.json');

  it.each([
    ['truncated mid-way', full.slice(0, Math.floor(full.length / 2))],
    ['truncated one byte short', full.trimEnd().slice(0, -1)],
    ['an HTML error page', '<html><body><h1>502 Bad Gateway</h1></body></html>'],
    ['empty', ''],
    ['plain text', 'Too Many Requests'],
  ])('%s', (_label, text) => {
    const error = textErr(text);
    expect(error.kind).toBe('bad_json');
    expect(error.transient).toBe(false);
    expect(error.message).toMatch(new RegExp(`^reply is not valid JSON \\(${text.length} bytes\\): `));
    // The reason is bounded, whatever the body's size.
    expect(error.message.length).toBeLessThan(200);
  });
});

describe('items without event_key and non-object items (§2)', () => {
  it('names the index of the item that lacks event_key and refuses the whole reply', () => {
    const missing = wireMatch({ key: 2 });
    delete missing['event_key'];
    const error = parsedErr(wireEnvelope(wireMatch({ key: 1 }), missing, wireMatch({ key: 3 })));
    expect(error.kind).toBe('bad_format');
    expect(error.message).toBe('result[1].event_key: missing');
  });

  it.each([
    ['null', null, 'result[0].event_key: missing'],
    ['""', '', 'result[0].event_key: expected an integer id, got string ""'],
    ['"abc"', 'abc', 'result[0].event_key: expected an integer id, got string "abc"'],
    ['-5', -5, 'result[0].event_key: expected an integer id, got number -5'],
    ['1.5', 1.5, 'result[0].event_key: expected an integer id, got number 1.5'],
    // Objects are named, never serialised: one nested thousands of levels deep would overflow the stack.
    ['an object', { id: 1 }, 'result[0].event_key: expected an integer id, got object'],
  ])('event_key %s is refused', (_label, key, message) => {
    const match = wireMatch();
    match['event_key'] = key;
    const error = parsedErr(wireEnvelope(match));
    expect(error.kind).toBe('bad_format');
    expect(error.message).toBe(message);
  });

  it.each([
    ['a string', 'match', 'string'],
    ['an array', [], 'array'],
    ['null', null, 'null'],
    ['a number', 1061500, 'number'],
  ])('an item that is %s is refused with its path', (_label, item, described) => {
    const error = parsedErr({ success: 1, result: [wireMatch(), item] });
    expect(error.kind).toBe('bad_format');
    expect(error.message).toBe(`result[1]: expected a match object, got ${described}`);
  });

  it('a match without team names is refused', () => {
    const match = wireMatch();
    delete match['event_home_team'];
    expect(parsedErr(wireEnvelope(match)).message).toBe('result[0].event_home_team: missing');
  });
});

describe('ids (§10.1)', () => {
  it('event_key above int32 and as a string are both the same decimal text', () => {
    expect(parseOne(wireMatch({ key: 2_147_483_648 })).matchId).toBe('2147483648');
    const asString = wireMatch();
    asString['event_key'] = '1433003';
    expect(parseOne(asString).matchId).toBe('1433003');
  });

  it('team and league keys as numbers or strings', () => {
    const match = wireMatch({ homeKey: 4294967295, awayKey: 3077, leagueKey: 152 });
    match['away_team_key'] = '3077';
    const snapshot = parseOne(match);
    expect([snapshot.homeTeamKey, snapshot.awayTeamKey, snapshot.leagueId]).toEqual(['4294967295', '3077', '152']);
  });

  it('goal and card player ids: numeric strings kept, "" unknown, numbers taken as text', () => {
    const goalNumericId = wireGoal('home', '10', 'A', '1 - 0', { id: '4293967295' });
    const goalNumberId = wireGoal('away', '20', 'B', '1 - 1');
    goalNumberId['away_scorer_id'] = 3567294284;
    const card = wireCard('away', '30', 'C', 'yellow card', { id: '' });
    const snapshot = parseOne(wireMatch({ goals: [goalNumericId, goalNumberId], cards: [card] }));
    expect(snapshot.goals.map((g) => g.scorerId)).toEqual(['4293967295', '3567294284']);
    expect(snapshot.cards.map((c) => c.playerId)).toEqual(['']);
  });

  it('a non-numeric player id is refused with its path', () => {
    const goal = wireGoal('home', '10', 'A', '1 - 0');
    goal['home_scorer_id'] = 'p-12';
    const error = parsedErr(wireEnvelope(wireMatch({ goals: [goal] })));
    expect(error.message).toBe('result[0].goalscorers[0].home_scorer_id: expected an integer id, got string "p-12"');
  });
});

describe('scores (§10.4)', () => {
  it.each([
    ['2 - 1', { home: 2, away: 1 }],
    ['2-1', { home: 2, away: 1 }],
    ['2:1', { home: 2, away: 1 }],
    [' 10 - 0 ', { home: 10, away: 0 }],
    ['0 - 0', { home: 0, away: 0 }],
  ])('parseScore(%j) is a score', (text, score) => {
    expect(parseScore(text)).toEqual(score);
  });

  it.each(['-', '', ' - ', '2 - ', '- 1', 'a - b', '2 - 1 (4 - 5)', '2 – 1'])('parseScore(%j) is null', (text) => {
    expect(parseScore(text)).toBeNull();
  });

  it('every score field of a match goes through the same rule', () => {
    const snapshot = parseOne(wireMatch({ final: '3:2', halftime: '1-1', ft: ' - ', penalty: '-' }));
    expect([snapshot.score, snapshot.halftimeScore, snapshot.shootoutScore]).toEqual([{ home: 3, away: 2 }, { home: 1, away: 1 }, null]);
    const shootout = parseOne(wireMatch({ status: 'Penalties', final: '3:2', halftime: '1-1', ft: ' - ', penalty: '2-1' }));
    expect([shootout.score, shootout.shootoutScore, shootout.shootout]).toEqual([null, { home: 2, away: 1 }, true]);
  });
});

describe('status and event_live (§4, §10.2–3)', () => {
  it.each(['1', '30', '45+', '90+', '105', 'Half Time', 'Finished', 'After ET', 'After Pen.', 'Postponed', '', 'Cancelled', 'Awarded', 'Interrupted by weather'])(
    'status %j is carried through as is',
    (status) => {
      expect(parseOne(wireMatch({ status })).statusText).toBe(status);
    },
  );

  it('status text is trimmed', () => {
    expect(parseOne(wireMatch({ status: ' 67 ' })).statusText).toBe('67');
  });

  it('event_live "1" / "0"; a Finished match may still say "1"', () => {
    expect(parseOne(wireMatch({ status: '30', live: '1' })).live).toBe(true);
    expect(parseOne(wireMatch({ status: '', live: '0' })).live).toBe(false);
    const finished = parseOne(wireMatch({ status: 'Finished', live: '1', final: '1 - 1', ft: '1 - 1' }));
    expect({ status: finished.statusText, live: finished.live, score: finished.score }).toEqual({
      status: 'Finished',
      live: true,
      score: { home: 1, away: 1 },
    });
  });

  it('a missing event_live is not live', () => {
    const match = wireMatch({ status: '30' });
    delete match['event_live'];
    expect(parseOne(match).live).toBe(false);
  });

  it('a non-string status is refused with its path', () => {
    const match = wireMatch();
    match['event_status'] = true;
    expect(parsedErr(wireEnvelope(match)).message).toBe('result[0].event_status: expected string, got boolean');
  });
});

describe('goalscorers (§5)', () => {
  it('side, scorer, ids, assist and Penalty info', () => {
    const goals = [
      wireGoal('home', '29', 'T. Koopmeiners', '1 - 0', { id: '958745255', assist: 'R. Hojlund', assistId: '3312626380' }),
      wireGoal('away', '45+1', 'A. Petagna', '1 - 1', { info: 'Penalty' }),
      wireGoal('home', '90+5', 'L. Muriel', '2 - 1', { id: '' }),
    ];
    const snapshot = parseOne(wireMatch({ goals }));
    expect(snapshot.goals).toEqual([
      { minute: '29', side: 'home', scorer: 'T. Koopmeiners', scorerId: '958745255', assist: 'R. Hojlund', assistId: '3312626380', score: { home: 1, away: 0 }, penalty: false, ownGoal: false },
      { minute: '45+1', side: 'away', scorer: 'A. Petagna', scorerId: '', assist: '', assistId: '', score: { home: 1, away: 1 }, penalty: true, ownGoal: false },
      { minute: '90+5', side: 'home', scorer: 'L. Muriel', scorerId: '', assist: '', assistId: '', score: { home: 2, away: 1 }, penalty: false, ownGoal: false },
    ]);
  });

  it('a goal with no scorer name takes its side from the running score, both ways', () => {
    const goals = [
      wireGoal('home', '10', '', '0 - 1'), // unnamed, away count rose → away
      wireGoal('home', '20', 'Named', '1 - 1'),
      wireGoal('away', '30', '', '2 - 1'), // unnamed, home count rose → home
    ];
    // wireGoal put nothing on either side for the unnamed ones: check the raw input really is nameless.
    expect([goals[0]?.['home_scorer'], goals[0]?.['away_scorer']]).toEqual(['', '']);
    const snapshot = parseOne(wireMatch({ goals }));
    expect(snapshot.goals.map((g) => [g.minute, g.side, g.scorer])).toEqual([
      ['10', 'away', ''],
      ['20', 'home', 'Named'],
      ['30', 'home', ''],
    ]);
  });

  it('an unnamed goal whose score does not tell falls back to info "home"/"away"', () => {
    const goal = wireGoal('home', '50', '', '');
    goal['info'] = 'away';
    expect(parseOne(wireMatch({ goals: [goal], final: '0 - 1' })).goals.map((g) => g.side)).toEqual(['away']);
  });

  it('a goal whose side cannot be determined is skipped with a warning naming it', () => {
    const nameless = wireGoal('home', '50', '', '5 - 5'); // no name, score jump, no info
    const bothNamed = wireGoal('home', '60', 'A', '1 - 0');
    bothNamed['away_scorer'] = 'B';
    const kept = wireGoal('away', '70', 'C', '1 - 1');
    const { matches, warnings } = parsedOk(wireEnvelope(wireMatch({ goals: [nameless, bothNamed, kept] })));
    expect(matches[0]?.goals.map((g) => g.scorer)).toEqual(['C']);
    expect(warnings).toEqual([
      'result[0].goalscorers[0]: goal skipped, its side cannot be determined',
      'result[0].goalscorers[1]: goal skipped, its side cannot be determined',
    ]);
  });

  it.each([
    ['time', {}, 'result[0].goalscorers[0].time: expected string, got object'],
    ['time', ['39'], 'result[0].goalscorers[0].time: expected string, got array'],
    ['score', false, 'result[0].goalscorers[0].score: expected string, got boolean'],
    ['home_scorer', { name: 'X' }, 'result[0].goalscorers[0].home_scorer: expected string, got object'],
    ['info', [], 'result[0].goalscorers[0].info: expected string, got array'],
  ])('a goal whose %s is %j is refused with its path', (field, value, message) => {
    const goal = wireGoal('home', '39', 'A', '1 - 0');
    goal[field] = value;
    const error = parsedErr(wireEnvelope(wireMatch({ goals: [goal] })));
    expect(error.kind).toBe('bad_format');
    expect(error.message).toBe(message);
  });

  it('the path names the match and the item index', () => {
    const goals = [wireGoal('home', '10', 'A', '1 - 0'), wireGoal('home', '20', 'B', '2 - 0')];
    const bad = clone(goals);
    (bad[1] as WireObject)['time'] = { minute: 20 };
    const error = parsedErr(wireEnvelope(wireMatch({ key: 1, goals }), wireMatch({ key: 2, goals: bad })));
    expect(error.message).toBe('result[1].goalscorers[1].time: expected string, got object');
  });

  it('goalscorers that is not an array is refused; null is an empty list', () => {
    const match = wireMatch();
    match['goalscorers'] = {};
    expect(parsedErr(wireEnvelope(match)).message).toBe('result[0].goalscorers: expected array, got object');
    match['goalscorers'] = null;
    expect(parseOne(match).goals).toEqual([]);
  });

  it('a goal item that is not an object is refused', () => {
    const match = wireMatch({ goals: [wireGoal('home', '10', 'A', '1 - 0')] });
    (match['goalscorers'] as unknown[]).push(null);
    expect(parsedErr(wireEnvelope(match)).message).toBe('result[0].goalscorers[1]: expected object, got null');
  });
});

describe('normalised incident facts (issue 17 §3)', () => {
  it('penalty, own goal (by info or an "(o.g.)" suffix) and a missed penalty, which is no goal', () => {
    const snapshot = parseOne(
      wireMatch({
        goals: [
          wireGoal('home', '10', 'A. Striker', '1 - 0', { info: 'Penalty' }),
          wireGoal('away', '20', 'B. Back (o.g.)', '1 - 1'),
          wireGoal('home', '30', 'C. Back', '2 - 1', { info: 'Own Goal' }),
          wireGoal('away', '40', 'D. Taker', '2 - 1', { info: 'Missed Penalty' }),
        ],
      }),
    );
    expect(snapshot.goals.map((g) => [g.minute, g.penalty, g.ownGoal])).toEqual([
      ['10', true, false],
      ['20', false, true],
      ['30', false, true],
    ]);
    expect(snapshot.missedPenalties).toEqual([{ minute: '40', side: 'away', player: 'D. Taker', playerId: '' }]);
  });

  it('a red card naming the yellow is a second yellow; a VAR "Goal cancelled" decision cancels a goal', () => {
    const snapshot = parseOne(
      wireMatch({
        cards: [wireCard('home', '60', 'E. Mid', 'yellowred card'), wireCard('home', '70', 'F. Mid', 'red card')],
        vars: wireVars(wireVar('away', '59', 'G. Fwd'), wireVar('home', '80', 'H. Fwd', 'Penalty confirmed')),
      }),
    );
    expect(snapshot.cards.map((c) => [c.color, c.secondYellow])).toEqual([
      ['red', true],
      ['red', false],
    ]);
    expect(snapshot.vars.map((v) => [v.side, v.cancelsGoal])).toEqual([
      ['home', false],
      ['away', true],
    ]);
  });

  it('parseMatch reads one pushed object on its own: errors name the given path, warnings are capped', () => {
    const sideless = Array.from({ length: 150 }, () => ({ ...wireGoal('home', '5', '', '9 - 9'), info: '' }));
    const parsed = parseMatch(wireMatch({ key: 9, goals: sideless }), 'frame[3]');
    expect(parsed.ok && parsed.value.warnings.length).toBe(101);
    expect(parsed.ok && parsed.value.warnings[0]).toBe('frame[3].goalscorers[0]: goal skipped, its side cannot be determined');
    expect(parsed.ok && parsed.value.warnings[100]).toBe('… and 50 more items skipped');
    const broken = { ...wireMatch({ key: 9 }), event_status: [] };
    const refused = parseMatch(broken, 'frame[3]');
    expect(!refused.ok && [refused.error.kind, refused.error.message]).toEqual(['bad_format', 'frame[3].event_status: expected string, got array']);
  });

  it('phase and minute from the status; a word status has no minute', () => {
    expect(['23', '45+2', 'Half Time', '91', 'After Pen.', 'Weird'].map((status) => {
      const m = parseOne(wireMatch({ status }));
      return [m.phase, m.minute];
    })).toEqual([
      ['first_half', '23'],
      ['first_half', '45+2'],
      ['half_time', null],
      ['extra_time', '91'],
      ['finished', null],
      ['unknown', null],
    ]);
  });
});

describe('cards (§6)', () => {
  it('named cards on either side with their ids', () => {
    const cards = [
      wireCard('home', '45+3', 'A. Rahmanovic', 'yellow card', { id: '3858212000' }),
      wireCard('away', '70', 'Marlon', 'red card', { id: '2372991312' }),
    ];
    expect(parseOne(wireMatch({ cards })).cards).toEqual([
      { minute: '45+3', side: 'home', player: 'A. Rahmanovic', playerId: '3858212000', card: 'yellow card', color: 'yellow', secondYellow: false, coach: false },
      { minute: '70', side: 'away', player: 'Marlon', playerId: '2372991312', card: 'red card', color: 'red', secondYellow: false, coach: false },
    ]);
  });

  it('nameless cards take their side from info "home"/"away", a red card included', () => {
    const cards = [
      wireCard('home', '50', '', 'yellow card', { info: 'home' }),
      wireCard('home', '62', '', 'yellow card', { info: 'away' }),
      wireCard('home', '90', '', 'red card', { info: 'away' }),
    ];
    // Both names really are "" in the input.
    expect(cards.every((c) => c['home_fault'] === '' && c['away_fault'] === '')).toBe(true);
    expect(parseOne(wireMatch({ cards })).cards).toEqual([
      { minute: '50', side: 'home', player: '', playerId: '', card: 'yellow card', color: 'yellow', secondYellow: false, coach: false },
      { minute: '62', side: 'away', player: '', playerId: '', card: 'yellow card', color: 'yellow', secondYellow: false, coach: false },
      { minute: '90', side: 'away', player: '', playerId: '', card: 'red card', color: 'red', secondYellow: false, coach: false },
    ]);
  });

  it('a card to a coach keeps the coach name, and the coaches come from the line-ups', () => {
    const snapshot = parseOne(
      wireMatch({
        cards: [wireCard('home', '67', 'G. Gasperini', 'red card', { id: '2943725468' })],
        coaches: { home: ['G. Gasperini'], away: ['R. Palladino'] },
      }),
    );
    expect(snapshot.cards).toEqual([
      { minute: '67', side: 'home', player: 'G. Gasperini', playerId: '2943725468', card: 'red card', color: 'red', secondYellow: false, coach: true },
    ]);
  });

  it.each([
    ['yellow card', 'yellow'],
    ['red card', 'red'],
    ['yellowred card', 'red'],
    ['Red Card', 'red'],
    ['second yellow - red', 'red'],
    ['Yellow Card', 'yellow'],
  ])('card text %j is %s', (card, color) => {
    const snapshot = parseOne(wireMatch({ cards: [wireCard('away', '12', 'P', card)] }));
    expect(snapshot.cards.map((c) => [c.card, c.color])).toEqual([[card, color]]);
  });

  it('a card with no name and no side in info is skipped with a warning', () => {
    const unknown = wireCard('home', '50', '', 'yellow card', { info: '' });
    const { matches, warnings } = parsedOk(wireEnvelope(wireMatch({ cards: [unknown] })));
    expect(matches[0]?.cards).toEqual([]);
    expect(warnings).toEqual(['result[0].cards[0]: card skipped, its side cannot be determined']);
  });

  it('a card field of the wrong type is refused with its path', () => {
    const card = wireCard('home', '20', 'A', 'yellow card');
    card['card'] = ['yellow card'];
    expect(parsedErr(wireEnvelope(wireMatch({ cards: [card] }))).message).toBe(
      'result[0].cards[0].card: expected string, got array',
    );
  });
});

describe('substitutions (§7)', () => {
  it('acting side is an object and the other []; ids are numbers; null and "" assists/info both accepted', () => {
    const subs = [
      wireSub('away', '84', 'K. Novák', 'P. Horák', { in: 4294967001, out: 870347753 }, null),
      wireSub('home', '46', 'H. Mhamedi', 'T. Alkhaly', { in: 870347754, out: 3312626380 }, ''),
      wireSub('away', '60', 'S. Singh', 'A. Albers', { in: 1, out: 2 }, null),
      wireSub('home', '90+4', 'B. One', 'C. Two', { in: 3, out: 4 }, ''),
    ];
    expect(subs[0]?.['home_scorer']).toEqual([]);
    expect(subs[1]?.['info']).toBe('');
    expect(subs[2]?.['info']).toBeNull();
    expect(parseOne(wireMatch({ subs })).substitutions).toEqual([
      // Provider order kept: 84, 46, 60, 90+4.
      { minute: '84', side: 'away', playerIn: 'K. Novák', playerOut: 'P. Horák', inId: '4294967001', outId: '870347753' },
      { minute: '46', side: 'home', playerIn: 'H. Mhamedi', playerOut: 'T. Alkhaly', inId: '870347754', outId: '3312626380' },
      { minute: '60', side: 'away', playerIn: 'S. Singh', playerOut: 'A. Albers', inId: '1', outId: '2' },
      { minute: '90+4', side: 'home', playerIn: 'B. One', playerOut: 'C. Two', inId: '3', outId: '4' },
    ]);
  });

  it('a substitution with no acting side is skipped with a warning', () => {
    const sub = wireSub('home', '60', 'A', 'B');
    sub['home_scorer'] = [];
    const { matches, warnings } = parsedOk(wireEnvelope(wireMatch({ subs: [sub] })));
    expect(matches[0]?.substitutions).toEqual([]);
    expect(warnings).toEqual(['result[0].substitutes[0]: substitution skipped, its side cannot be determined']);
  });

  it('a side that is neither an object nor [] is refused with its path', () => {
    const sub = wireSub('home', '60', 'A', 'B');
    sub['home_scorer'] = [];
    sub['away_scorer'] = 'A for B';
    expect(parsedErr(wireEnvelope(wireMatch({ subs: [sub] }))).message).toBe(
      'result[0].substitutes[0].away_scorer: expected object or [], got string',
    );
  });

  it('a bad in_id is refused with its nested path', () => {
    const sub = wireSub('home', '60', 'A', 'B');
    (sub['home_scorer'] as WireObject)['in_id'] = 'x';
    expect(parsedErr(wireEnvelope(wireMatch({ subs: [sub] }))).message).toBe(
      'result[0].substitutes[0].home_scorer.in_id: expected an integer id, got string "x"',
    );
  });
});

describe('vars, lineups, logos (§8, §10.9)', () => {
  it('vars absent, {} of empty lists, and with items on both sides', () => {
    expect(parseOne(wireMatch({ vars: undefined })).vars).toEqual([]);
    expect(parseOne(wireMatch({ vars: { home_team: [], away_team: [] } })).vars).toEqual([]);
    const vars = {
      home_team: [
        { var_player_name: 'Arkadiusz Milik', var_minute: '59', var_player_id: 755943754, var_type: 'Goal cancelled', var_event_decision: 'Goal confirmed', var_decision: 'False' },
      ],
      away_team: [
        { var_player_name: 'D. Poloz', var_minute: '90+2', var_player_id: 3567294284, var_type: 'Penalty cancelled', var_event_decision: 'Penalty cancelled', var_decision: 'True' },
      ],
    };
    expect(parseOne(wireMatch({ vars })).vars).toEqual([
      { side: 'home', minute: '59', player: 'Arkadiusz Milik', playerId: '755943754', cancelsGoal: false },
      { side: 'away', minute: '90+2', player: 'D. Poloz', playerId: '3567294284', cancelsGoal: false },
    ]);
  });

  it('vars of the wrong shape is refused with its path', () => {
    const match = wireMatch({ vars: { home_team: [5], away_team: [] } });
    expect(parsedErr(wireEnvelope(match)).message).toBe('result[0].vars.home_team[0]: expected object, got number');
    match['vars'] = 'none';
    expect(parsedErr(wireEnvelope(match)).message).toBe('result[0].vars: expected object, got string');
  });

  it('line-ups missing keys, or missing entirely, yield the coaches that are there', () => {
    const match = wireMatch();
    match['lineups'] = { home_team: { starting_lineups: [] }, away_team: { coaches: [{ coache: 'Lopetegui', coache_country: null }] } };
    match['cards'] = [wireCard('away', '80', 'Lopetegui', 'yellow card')];
    expect(parseOne(match).cards.map((c) => c.coach)).toEqual([true]);
    delete match['lineups'];
    expect(parseOne(match).cards.map((c) => c.coach)).toEqual([false]);
  });

  it('league_logo and country_logo null are accepted', () => {
    const match = wireMatch({ key: 77 });
    match['league_logo'] = null;
    match['country_logo'] = null;
    expect(parseOne(match).matchId).toBe('77');
  });
});
