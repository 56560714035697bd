/**
 * The scripted matchday in API-Football v3's wire format (../shared/api-football/FORMAT.md), for
 * the built-in simulator with `PROVIDER=api-football`: `GET /fixtures?live=all` (or
 * `live=<league ids>`), `GET /fixtures?ids=A-B-…` (≤ 20) and `GET /fixtures?id=N`.
 *
 * It renders the same moments as the AllSportsAPI renderer (../allsportsapi: same script, same
 * clock), re-expressed field by field — so the two formats cannot drift apart — with API-Football's
 * own habits:
 * - a match leaves `live=all` the moment it ends (FT/AET/PEN), so the service must confirm the end
 *   with `ids=`; not-started and postponed matches are not listed live at all;
 * - stoppage time is `elapsed` 45/90 with `extra` counting — or `extra` absent (`null`) in every
 *   other match, as before late 2024;
 * - a second yellow is a `Yellow Card` and a `Red Card` at one minute (yellow first in some
 *   matches, red first in others);
 * - substitutions name the player going off in `player`, the one coming on in `assist` (the 2026
 *   live convention); line-ups only in `id=`/`ids=` answers;
 * - a VAR-cancelled goal disappears and a `Var` / `Goal cancelled` event appears;
 * - after a shoot-out the kicks are `Goal` events at 120+n with `comments: "Penalty Shootout"`;
 *   `goals` excludes them, `score.penalty` holds the shoot-out.
 * Pure: no clock, no I/O.
 */
import type { AfEvent, AfFixture, AfLineup, AfPair, AfTeamRef } from '../../../upstream/api-football/wire.js';
import type { SimAnswer, SimRenderer } from '../../../upstream/provider.js';
import { phaseAt } from '../../clock.js';
import { cycleOf, renderFixture, renderLivescore, scriptedMatches, type ScriptedMatchInfo, type WireMatch } from '../allsportsapi/index.js';

const LOGO = 'https://media.api-sports.io/football';
const MAX_IDS = 20;

/** `event_status` values of the AllSportsAPI rendering that API-Football never lists live. */
const NOT_LIVE = new Set(['', 'Finished', 'After ET', 'After Pen.', 'Postponed']);

/** Whether API-Football lists a match of the AllSportsAPI rendering in `live=` (not before kick-off, after the end or while postponed). */
export const listedLive = (wire: Pick<WireMatch, 'event_status'>): boolean => !NOT_LIVE.has(wire.event_status);

function teamRef(id: number, name: string): AfTeamRef {
  return { id, name, logo: `${LOGO}/teams/${id}.png` };
}

function minuteOf(time: string): { elapsed: number; extra: number | null } {
  const [base, added] = time.split('+');
  const elapsed = Number.parseInt(base ?? '0', 10) || 0;
  const extra = added === undefined || added === '' ? null : Number.parseInt(added, 10) || null;
  return { elapsed, extra };
}

function scorePair(text: string): AfPair {
  const match = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  return match ? { home: Number(match[1]), away: Number(match[2]) } : { home: null, away: null };
}

const numericId = (text: string | number): number | null => {
  const n = Number(text);
  return text !== '' && Number.isSafeInteger(n) && n > 0 ? n : null;
};

/** Stoppage-time counting is shown (`extra`) in matches with an even key, absent (pre-2024 style) in odd ones. */
const showsExtra = (wire: WireMatch): boolean => wire.event_key % 2 === 0;

/** AllSportsAPI's other non-minute statuses, as API-Football codes (FORMAT.md §4). */
const LABELS: ReadonlyMap<string, readonly [string, string]> = new Map([
  ['Interrupted', ['INT', 'Match Interrupted']],
  ['Suspended', ['SUSP', 'Match Suspended']],
  ['Cancelled', ['CANC', 'Match Cancelled']],
  ['Abandoned', ['ABD', 'Match Abandoned']],
  ['Awarded', ['AWD', 'Technical Loss']],
  ['Break Time', ['BT', 'Break Time']],
]);

interface StatusFields {
  short: string;
  long: string;
  elapsed: number | null;
  extra: number | null;
}

function status(wire: WireMatch, info: ScriptedMatchInfo | undefined, simSecs: number): StatusFields {
  const text = wire.event_status;
  const plan = info?.plan ?? null;
  const kickoff = info?.kickoffSecs ?? null;
  const stoppage = (): number | null => {
    if (!showsExtra(wire) || plan === null || kickoff === null) return null;
    const phase = phaseAt(plan, simSecs - kickoff);
    if (phase.kind !== 'play') return null;
    const { segment } = phase;
    return Math.max(1, Math.floor((simSecs - kickoff - segment.startSecs) / 60) - segment.regularMin + 1);
  };
  if (text === '') return { short: 'NS', long: 'Not Started', elapsed: null, extra: null };
  if (text === 'Half Time') return { short: 'HT', long: 'Halftime', elapsed: 45, extra: null };
  if (text === 'Penalties') return { short: 'P', long: 'Penalty In Progress', elapsed: 120, extra: null };
  if (text === 'Finished') return { short: 'FT', long: 'Match Finished', elapsed: 90, extra: null };
  if (text === 'After ET') return { short: 'AET', long: 'Match Finished', elapsed: 120, extra: null };
  if (text === 'After Pen.') return { short: 'PEN', long: 'Match Finished', elapsed: 120, extra: null };
  if (text === 'Postponed') return { short: 'PST', long: 'Match Postponed', elapsed: null, extra: null };
  const label = LABELS.get(text);
  if (label !== undefined) return { short: label[0], long: label[1], elapsed: null, extra: null };
  const { elapsed } = minuteOf(text);
  const inStoppage = text.endsWith('+');
  const extra = inStoppage ? stoppage() : null;
  if (elapsed <= 45) return { short: '1H', long: 'First Half', elapsed, extra };
  if (elapsed <= 90) return { short: '2H', long: 'Second Half', elapsed, extra };
  return { short: 'ET', long: 'Extra Time', elapsed, extra };
}

/** The match's events, in time order as the provider mostly lists them. */
function events(wire: WireMatch): AfEvent[] {
  const home = teamRef(wire.home_team_key, wire.event_home_team);
  const away = teamRef(wire.away_team_key, wire.event_away_team);
  const team = (side: 'home' | 'away'): AfTeamRef => (side === 'home' ? home : away);
  const out: Array<{ order: number; seq: number; event: AfEvent }> = [];
  const push = (time: string, event: Omit<AfEvent, 'time'>): void => {
    const { elapsed, extra } = minuteOf(time);
    out.push({ order: elapsed * 100 + (extra ?? 0), seq: out.length, event: { time: { elapsed, extra }, ...event } });
  };
  for (const goal of wire.goalscorers) {
    const side = goal.home_scorer !== '' ? 'home' : 'away';
    const scorer = side === 'home' ? goal.home_scorer : goal.away_scorer;
    const scorerId = side === 'home' ? goal.home_scorer_id : goal.away_scorer_id;
    const assist = side === 'home' ? goal.home_assist : goal.away_assist;
    const assistId = side === 'home' ? goal.home_assist_id : goal.away_assist_id;
    push(goal.time, {
      team: team(side),
      player: { id: numericId(scorerId), name: scorer },
      assist: { id: numericId(assistId), name: assist === '' ? null : assist },
      type: 'Goal',
      detail: goal.info === 'Penalty' ? 'Penalty' : 'Normal Goal',
      comments: null,
    });
  }
  const yellowFirst = wire.event_key % 3 !== 0;
  wire.cards.forEach((card, index) => {
    const side = card.home_fault !== '' ? 'home' : card.away_fault !== '' ? 'away' : card.info === 'home' ? 'home' : 'away';
    const name = side === 'home' ? card.home_fault : card.away_fault;
    const player = { id: numericId(side === 'home' ? card.home_player_id : card.away_player_id), name: name === '' ? null : name };
    const isRed = card.card.includes('red');
    const saysSecondYellow = isRed && card.card.includes('yellow');
    const booked = name !== '' && wire.cards.slice(0, index).some((c) => c.card === 'yellow card' && (c.home_fault === name || c.away_fault === name));
    const cardEvent = (detail: string): Omit<AfEvent, 'time'> => ({ team: team(side), player, assist: { id: null, name: null }, type: 'Card', detail, comments: null });
    if (saysSecondYellow && name === '') {
      // Nobody to pair a yellow with: the docs' own wording.
      push(card.time, cardEvent('Second Yellow card'));
      return;
    }
    if (isRed && (booked || saysSecondYellow)) {
      // A second yellow: a yellow and a red for the player at one minute, in either order (FORMAT.md §5).
      const pair = yellowFirst ? ['Yellow Card', 'Red Card'] : ['Red Card', 'Yellow Card'];
      for (const detail of pair) push(card.time, cardEvent(detail));
      return;
    }
    push(card.time, cardEvent(isRed ? 'Red Card' : 'Yellow Card'));
  });
  const subCount = { home: 0, away: 0 };
  const subs = wire.substitutes
    .map((sub) => {
      const side: 'home' | 'away' = Array.isArray(sub.home_scorer) ? 'away' : 'home';
      const players = side === 'home' ? sub.home_scorer : sub.away_scorer;
      return Array.isArray(players) ? undefined : { sub, side, players };
    })
    .filter((s) => s !== undefined)
    .sort((a, b) => {
      const ma = minuteOf(a.sub.time);
      const mb = minuteOf(b.sub.time);
      return ma.elapsed * 100 + (ma.extra ?? 0) - (mb.elapsed * 100 + (mb.extra ?? 0));
    });
  for (const { sub, side, players } of subs) {
    subCount[side] += 1;
    push(sub.time, {
      team: team(side),
      player: { id: players.out_id, name: players.out },
      assist: { id: players.in_id, name: players.in },
      type: 'subst',
      detail: `Substitution ${subCount[side]}`,
      comments: null,
    });
  }
  for (const side of ['home', 'away'] as const) {
    // `vars` is absent from AllSportsAPI answers before late 2023 (its FORMAT.md §3).
    const vars = (wire.vars as Partial<WireMatch['vars']> | undefined)?.[side === 'home' ? 'home_team' : 'away_team'] ?? [];
    for (const v of vars) {
      push(v.var_minute, {
        team: team(side),
        player: { id: numericId(v.var_player_id), name: v.var_player_name },
        assist: { id: null, name: null },
        type: 'Var',
        detail: 'Goal cancelled',
        comments: null,
      });
    }
  }
  const penalties = scorePair(wire.event_penalty_result);
  if (wire.event_status === 'After Pen.' && penalties.home !== null && penalties.away !== null) {
    // The kicks, listed after the match (FORMAT.md §5): 120+n, `comments: "Penalty Shootout"`.
    const kicks = Math.max(penalties.home, penalties.away);
    let n = 0;
    for (let i = 0; i < kicks; i += 1) {
      for (const side of ['home', 'away'] as const) {
        n += 1;
        const scored = i < (side === 'home' ? penalties.home : penalties.away);
        push(`120+${n}`, {
          team: team(side),
          player: { id: null, name: `${side === 'home' ? wire.event_home_team : wire.event_away_team} taker ${i + 1}` },
          assist: { id: null, name: null },
          type: 'Goal',
          detail: scored ? 'Penalty' : 'Missed Penalty',
          comments: 'Penalty Shootout',
        });
      }
    }
  }
  return out.sort((a, b) => a.order - b.order || a.seq - b.seq).map((e) => e.event);
}

function lineups(wire: WireMatch): AfLineup[] {
  const side = (key: number, name: string, l: WireMatch['lineups']['home_team'], formation: string): AfLineup => ({
    team: teamRef(key, name),
    formation: formation === '' ? null : formation,
    startXI: (l.starting_lineups ?? []).map((p) => ({ player: { id: p.player_key, name: p.player, number: p.player_number, pos: null, grid: null } })),
    substitutes: (l.substitutes ?? []).map((p) => ({ player: { id: p.player_key, name: p.player, number: p.player_number, pos: null, grid: null } })),
    coach: { id: null, name: l.coaches?.[0]?.coache ?? null, photo: null },
  });
  return [
    side(wire.home_team_key, wire.event_home_team, wire.lineups.home_team, wire.event_home_formation),
    side(wire.away_team_key, wire.event_away_team, wire.lineups.away_team, wire.event_away_formation),
  ];
}

/** One fixture, from the AllSportsAPI rendering of the same moment. */
export function toApiFootballFixture(wire: WireMatch, simSecs: number, withLineups: boolean): AfFixture {
  const info = scriptedMatches(cycleOf(simSecs)).find((m) => m.eventKey === wire.event_key);
  const st = status(wire, info, simSecs);
  // Before kick-off (also a match postponed or cancelled then) AllSportsAPI shows no score.
  const started = st.short !== 'NS' && scorePair(wire.event_final_result).home !== null;
  const count = (side: 'home' | 'away', periods?: readonly string[]): number =>
    wire.goalscorers.filter((g) => (side === 'home' ? g.home_scorer !== '' : g.away_scorer !== '') && (periods === undefined || periods.includes(g.info_time))).length;
  const goals: AfPair = started ? { home: count('home'), away: count('away') } : { home: null, away: null };
  const regular = ['1st Half', '2nd Half'];
  const overAfterExtra = st.short === 'AET' || st.short === 'PEN' || st.short === 'P' || st.short === 'ET';
  const ended = st.short === 'FT' || st.short === 'AET' || st.short === 'PEN';
  const fulltime: AfPair = ended || overAfterExtra ? { home: count('home', regular), away: count('away', regular) } : { home: null, away: null };
  const extratime: AfPair = overAfterExtra
    ? { home: count('home') - count('home', regular), away: count('away') - count('away', regular) }
    : { home: null, away: null };
  const date = `${wire.event_date}T${wire.event_time}:00+00:00`;
  const winner = (side: 'home' | 'away'): boolean | null => {
    if (goals.home === null || goals.away === null) return null;
    const pens = scorePair(wire.event_penalty_result);
    const [a, b] = pens.home !== null && pens.away !== null && goals.home === goals.away ? [pens.home, pens.away] : [goals.home, goals.away];
    if (a === b) return null;
    return side === 'home' ? a > b : b > a;
  };
  const fixture: AfFixture = {
    fixture: {
      id: wire.event_key,
      referee: wire.event_referee === '' ? null : wire.event_referee,
      timezone: 'UTC',
      date,
      timestamp: Math.floor(Date.parse(date) / 1000),
      periods: { first: null, second: null },
      venue: { id: null, name: wire.event_stadium === '' ? null : wire.event_stadium, city: null },
      status: { long: st.long, short: st.short, elapsed: st.elapsed, extra: st.extra },
    },
    league: {
      id: wire.league_key,
      name: wire.league_name,
      country: wire.country_name,
      logo: `${LOGO}/leagues/${wire.league_key}.png`,
      flag: null,
      season: Number.parseInt(wire.league_season, 10) || 2025,
      round: wire.league_round,
      standings: true,
    },
    teams: {
      home: { ...teamRef(wire.home_team_key, wire.event_home_team), id: wire.home_team_key, name: wire.event_home_team, winner: winner('home') },
      away: { ...teamRef(wire.away_team_key, wire.event_away_team), id: wire.away_team_key, name: wire.event_away_team, winner: winner('away') },
    },
    goals,
    score: {
      halftime: scorePair(wire.event_halftime_result),
      fulltime,
      extratime,
      penalty: scorePair(wire.event_penalty_result),
    },
    events: events(wire),
  };
  return withLineups ? { ...fixture, lineups: lineups(wire) } : fixture;
}

function envelope(parameters: Record<string, string>, response: unknown[], errors: Record<string, string> | [] = []): string {
  return JSON.stringify({ get: 'fixtures', parameters, errors, results: response.length, paging: { current: 1, total: 1 }, response });
}

const answer = (kind: SimAnswer['kind'], body: string, status = 200): SimAnswer => ({ kind, status, body });

/** Answers one GET of the simulated API-Football at `simSecs`; problems come back in `errors`, as the provider's. */
export function answerApiFootball(url: URL, simSecs: number): SimAnswer {
  const params = Object.fromEntries(url.searchParams);
  if (!url.pathname.endsWith('/fixtures')) return answer('other', envelope(params, [], { endpoint: `The ${url.pathname} endpoint does not exist.` }));
  const live = url.searchParams.get('live');
  if (live !== null) {
    const leagues = live === 'all' ? undefined : new Set(live.split('-'));
    const listed = renderLivescore(simSecs).result.filter((m) => listedLive(m) && (leagues === undefined || leagues.has(String(m.league_key))));
    return answer('livescore', envelope(params, listed.map((m) => toApiFootballFixture(m, simSecs, false))));
  }
  const ids = url.searchParams.get('ids') ?? url.searchParams.get('id');
  if (ids !== null) {
    const list = ids.split('-').filter((id) => /^\d{1,15}$/.test(id));
    if (list.length > MAX_IDS) return answer('fixtures', envelope(params, [], { ids: `Maximum of ${MAX_IDS} ids allowed.` }));
    const response = list.flatMap((id) => renderFixture(Number(id), simSecs).result.map((m) => toApiFootballFixture(m, simSecs, true)));
    return answer('fixtures', envelope(params, response));
  }
  return answer('other', envelope(params, [], { required: 'At least one parameter is required.' }));
}

/** Answers without ever throwing: a renderer bug is the provider's `{"bug": …}` error (FORMAT.md §2). */
function safely(url: URL, simSecs: number): SimAnswer {
  try {
    return answerApiFootball(url, simSecs);
  } catch {
    return answer('other', envelope({}, [], { bug: 'Internal error of the simulator' }), 500);
  }
}

export const apiFootballSimRenderer: SimRenderer = {
  basePath: '/',
  answer: safely,
  live: (simSecs) => safely(new URL('http://sim.invalid/fixtures?live=all'), simSecs),
  fixture: (matchId, simSecs) => safely(new URL(`http://sim.invalid/fixtures?id=${encodeURIComponent(matchId)}`), simSecs),
  error: (_status, message) => envelope({}, [], { request: message }),
};
