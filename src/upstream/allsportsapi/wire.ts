/**
 * AllSportsAPI's wire format as TypeScript types (FORMAT.md §2–§8): what the provider sends, field
 * by field, with its JSON types (numbers for keys, strings for scores and goal/card ids, numbers for
 * substitution ids, `"1"`/`"0"` for `event_live`). The simulator renders these and the test helpers'
 * wire builders are checked against them; the parser reads `unknown` and never trusts them.
 */

/** One `goalscorers[]` item: twelve string fields (FORMAT.md §5). */
export interface WireGoal {
  time: string;
  home_scorer: string;
  home_scorer_id: string;
  home_assist: string;
  home_assist_id: string;
  score: string;
  away_scorer: string;
  away_scorer_id: string;
  away_assist: string;
  away_assist_id: string;
  info: string;
  info_time: string;
}

/** One `cards[]` item: eight string fields (FORMAT.md §6). */
export interface WireCard {
  time: string;
  home_fault: string;
  card: string;
  away_fault: string;
  info: string;
  home_player_id: string;
  away_player_id: string;
  info_time: string;
}

/** The acting side of a substitution; ids are numbers, unlike goal and card ids. */
export interface WireSubPlayers {
  in: string;
  out: string;
  in_id: number;
  out_id: number;
}

/** One `substitutes[]` item; the side that did not substitute is `[]` (FORMAT.md §7). */
export interface WireSubstitution {
  time: string;
  home_scorer: WireSubPlayers | [];
  home_assist: string | null;
  score: 'substitution';
  away_scorer: WireSubPlayers | [];
  away_assist: string | null;
  info: string | null;
  info_time: string;
}

/** One `vars.*_team[]` item (FORMAT.md §8). */
export interface WireVar {
  var_player_name: string;
  var_minute: string;
  var_player_id: number;
  var_type: string;
  var_event_decision: string;
  var_decision: string;
}

/** One player of a line-up. */
export interface WireLineupPlayer {
  player: string;
  player_number: number;
  player_position: number;
  player_country: null;
  player_key: number;
  info_time: string;
}

/** One coach of a line-up; `coache` is the provider's spelling. */
export interface WireCoach {
  coache: string;
  coache_country: null;
}

/** One side of `lineups`. */
export interface WireLineupSide {
  starting_lineups: WireLineupPlayer[];
  substitutes: WireLineupPlayer[];
  coaches: WireCoach[];
  missing_players: [];
}

/** One `statistics[]` item; values are strings, possession as `"55%"`. */
export interface WireStatistic {
  type: string;
  home: string;
  away: string;
}

/** A match object as Livescore and Fixtures return it (FORMAT.md §3), keys in emitted order. */
export interface WireMatch {
  event_key: number;
  event_date: string;
  event_time: string;
  event_home_team: string;
  home_team_key: number;
  event_away_team: string;
  away_team_key: number;
  event_halftime_result: string;
  event_final_result: string;
  event_ft_result: string;
  event_penalty_result: string;
  event_status: string;
  country_name: string;
  league_name: string;
  league_key: number;
  league_round: string;
  league_season: string;
  event_live: '0' | '1';
  event_stadium: string;
  event_referee: string;
  home_team_logo: string;
  away_team_logo: string;
  event_country_key: number;
  league_logo: string | null;
  country_logo: string | null;
  event_home_formation: string;
  event_away_formation: string;
  fk_stage_key: number;
  stage_name: string;
  league_group: null;
  goalscorers: WireGoal[];
  substitutes: WireSubstitution[];
  cards: WireCard[];
  vars: { home_team: WireVar[]; away_team: WireVar[] };
  lineups: { home_team: WireLineupSide; away_team: WireLineupSide };
  statistics: WireStatistic[];
}

/** A successful answer. */
export interface WireSuccess {
  success: 1;
  result: WireMatch[];
}

/** One item of an error answer's `result`. */
export interface WireErrorItem {
  param: string;
  msg: string;
  cod: number;
}

/** An error answer: HTTP 200 with `success: 0` and error objects in `result` (FORMAT.md §2). */
export interface WireError {
  success: 0;
  error: '1';
  result: WireErrorItem[];
}
