/**
 * Builders for provider-format (AllSportsAPI) JSON, with the real field set and types of
 * ../shared/allsportsapi/FORMAT.md, for parser, detection and stand-in tests. Each builder's object
 * is checked against the provider's wire types (src/upstream/allsportsapi/wire.ts) and handed out
 * as a plain `WireObject`, so a test can still break a field on purpose.
 */
import type { WireCard, WireGoal, WireMatch, WireSubstitution, WireVar } from '../../src/upstream/allsportsapi/wire.js';

export type WireObject = Record<string, unknown>;

export interface MatchSpec {
  key?: number;
  home?: string;
  away?: string;
  homeKey?: number;
  awayKey?: number;
  leagueKey?: number;
  league?: string;
  country?: string;
  status?: string;
  /** Running score "h - a"; default from the goals. */
  final?: string;
  halftime?: string;
  ft?: string;
  penalty?: string;
  live?: '0' | '1';
  goals?: WireObject[];
  cards?: WireObject[];
  subs?: WireObject[];
  vars?: WireObject | undefined;
  coaches?: { home?: string[]; away?: string[] };
}

export function wireGoal(
  side: 'home' | 'away',
  time: string,
  scorer: string,
  score: string,
  extra: { id?: string; assist?: string; assistId?: string; info?: string; infoTime?: string } = {},
): WireObject {
  const mine = { scorer, id: extra.id ?? '', assist: extra.assist ?? '', assistId: extra.assistId ?? '' };
  const empty = { scorer: '', id: '', assist: '', assistId: '' };
  const home = side === 'home' ? mine : empty;
  const away = side === 'away' ? mine : empty;
  return {
    time,
    home_scorer: home.scorer,
    home_scorer_id: home.id,
    home_assist: home.assist,
    home_assist_id: home.assistId,
    score,
    away_scorer: away.scorer,
    away_scorer_id: away.id,
    away_assist: away.assist,
    away_assist_id: away.assistId,
    info: extra.info ?? '',
    info_time: extra.infoTime ?? (parseInt(time, 10) <= 45 ? '1st Half' : '2nd Half'),
  } satisfies WireGoal;
}

export function wireCard(
  side: 'home' | 'away',
  time: string,
  player: string,
  card = 'yellow card',
  extra: { id?: string; info?: string } = {},
): WireObject {
  return {
    time,
    home_fault: side === 'home' ? player : '',
    card,
    away_fault: side === 'away' ? player : '',
    info: extra.info ?? (player === '' ? side : ''),
    home_player_id: side === 'home' ? (extra.id ?? '') : '',
    away_player_id: side === 'away' ? (extra.id ?? '') : '',
    info_time: parseInt(time, 10) <= 45 ? '1st Half' : '2nd Half',
  } satisfies WireCard;
}

export function wireSub(
  side: 'home' | 'away',
  time: string,
  playerIn: string,
  playerOut: string,
  ids: { in?: number; out?: number } = {},
  empties: null | '' = null,
): WireObject {
  const acting = { in: playerIn, out: playerOut, in_id: ids.in ?? 100 + playerIn.length, out_id: ids.out ?? 200 + playerOut.length };
  return {
    time,
    home_scorer: side === 'home' ? acting : [],
    home_assist: empties,
    score: 'substitution',
    away_scorer: side === 'away' ? acting : [],
    away_assist: empties,
    info: empties,
    info_time: parseInt(time, 10) <= 45 ? '1st Half' : '2nd Half',
  } satisfies WireSubstitution;
}

export function wireVar(side: 'home' | 'away', minute: string, player: string, type = 'Goal cancelled'): WireObject {
  return {
    side,
    item: {
      var_player_name: player,
      var_minute: minute,
      var_player_id: 12345,
      var_type: type,
      var_event_decision: type,
      var_decision: 'True',
    } satisfies WireVar,
  };
}

/** A full match object in the provider's key order and types. */
export function wireMatch(spec: MatchSpec = {}): WireObject {
  const goals = spec.goals ?? [];
  const lastScore = goals.length > 0 ? String((goals[goals.length - 1] as WireObject)['score']) : '0 - 0';
  const started = spec.status !== undefined && spec.status !== '' && spec.status !== 'Postponed';
  const coach = (name: string) => ({ coache: name, coache_country: null });
  // Items are the caller's (possibly broken on purpose): the match's own fields are checked.
  const items = <T>(list: WireObject[]): T[] => list as unknown as T[];
  const match = {
    event_key: spec.key ?? 1001,
    event_date: '2025-05-17',
    event_time: '15:00',
    event_home_team: spec.home ?? 'Home FC',
    home_team_key: spec.homeKey ?? 11,
    event_away_team: spec.away ?? 'Away FC',
    away_team_key: spec.awayKey ?? 22,
    event_halftime_result: spec.halftime ?? (started ? lastScore : ''),
    event_final_result: spec.final ?? (started ? lastScore : '-'),
    event_ft_result: spec.ft ?? '',
    event_penalty_result: spec.penalty ?? '',
    event_status: spec.status ?? '30',
    country_name: spec.country ?? 'England',
    league_name: spec.league ?? 'Premier League',
    league_key: spec.leagueKey ?? 152,
    league_round: 'Round 1',
    league_season: '2024/2025',
    event_live: spec.live ?? (started ? '1' : '0'),
    event_stadium: 'Stadium',
    event_referee: 'M. Oliver',
    home_team_logo: 'https://apiv2.allsportsapi.com/logo/11_home.jpg',
    away_team_logo: 'https://apiv2.allsportsapi.com/logo/22_away.jpg',
    event_country_key: 44,
    league_logo: null,
    country_logo: 'https://apiv2.allsportsapi.com/logo/logo_country/44_england.png',
    event_home_formation: '4-4-2',
    event_away_formation: '',
    fk_stage_key: 6,
    stage_name: 'Current',
    league_group: null,
    goalscorers: items<WireGoal>(goals),
    substitutes: items<WireSubstitution>(spec.subs ?? []),
    cards: items<WireCard>(spec.cards ?? []),
    // No `vars` key at all is a recorded quirk (FORMAT.md §10.9).
    ...(spec.vars === undefined ? {} : { vars: spec.vars as unknown as WireMatch['vars'] }),
    lineups: {
      home_team: { starting_lineups: [], substitutes: [], coaches: (spec.coaches?.home ?? []).map(coach), missing_players: [] },
      away_team: { starting_lineups: [], substitutes: [], coaches: (spec.coaches?.away ?? []).map(coach), missing_players: [] },
    },
    statistics: [],
  } satisfies Omit<WireMatch, 'vars'> & { vars?: WireMatch['vars'] };
  return match;
}

/** `vars` object from `wireVar` entries. */
export function wireVars(...entries: WireObject[]): WireObject {
  return {
    home_team: entries.filter((e) => e['side'] === 'home').map((e) => e['item']),
    away_team: entries.filter((e) => e['side'] === 'away').map((e) => e['item']),
  };
}

export const wireEnvelope = (...matches: WireObject[]): WireObject => ({ success: 1, result: matches });
