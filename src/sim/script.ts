/**
 * The scripted matchday the simulated AllSportsAPI plays, as pure data.
 *
 * Times are in simulated time: kick-offs in sim minutes since the matchday started, incidents by the
 * match minute the provider writes ("23", "45+2", "90+3", "105", "118"). Every team, player and
 * league here is fictional; the shapes and quirks follow /work/shared/allsportsapi/FORMAT.md.
 *
 * `render.ts` turns this script into provider JSON at any simulated second; nothing here has a clock.
 */

/** Which team an incident belongs to. */
export type Side = 'home' | 'away';

/** A match minute as the provider writes it: `"23"`, `"45+2"`, `"90+3"`, `"105"`, `"120+1"`. */
export type MatchMinute = string;

/** The two card values the provider is known to emit (FORMAT.md §6). */
export type CardKind = 'yellow card' | 'red card';

/** A player on a team sheet; the provider's numeric `player_key` is derived from team key and shirt number. */
export interface ScriptPlayer {
  readonly number: number;
  /** Short name as the feed writes it in goals, cards and substitutions: `"D. Fairley"`. */
  readonly name: string;
}

/** A team as it appears in one match. */
export interface ScriptTeam {
  readonly key: number;
  readonly name: string;
  /** Last part of the team's logo file name (`<key>_<slug>.jpg`); each provider's renderer adds its own host. */
  readonly logoSlug: string;
  /** `""` when the feed does not know it, as in the Tunisian recordings. */
  readonly formation: string;
  readonly coach: string;
  /** Listed in `lineups.*.starting_lineups` with `player_position` 1..n. */
  readonly starters: readonly ScriptPlayer[];
  /** Listed in `lineups.*.substitutes` with `player_position` 0. */
  readonly bench: readonly ScriptPlayer[];
}

/** A competition and its per-match metadata fields. */
export interface ScriptLeague {
  readonly key: number;
  /** May include the stage, as the provider does: `"Continental Cup - Quarter-finals"`. */
  readonly name: string;
  readonly round: string;
  readonly season: string;
  readonly countryName: string;
  readonly countryKey: number;
  /** The league's logo file (`9152_premier-division.png`), `null` like the Tunisian league in the recordings; the renderer adds the host. */
  readonly leagueLogo: string | null;
  /** The country's logo file (`44_england.png`), `null` for `"eurocups"`, as recorded; the renderer adds the host. */
  readonly countryLogo: string | null;
  readonly stageKey: number;
  readonly stageName: string;
}

/** A goal; it appears in `goalscorers` half-way through its minute. */
export interface GoalIncident {
  readonly kind: 'goal';
  readonly minute: MatchMinute;
  readonly side: Side;
  readonly scorer: string;
  /** An assisting player's name; no assist when absent. */
  readonly assist?: string;
  /** Written as `info: "Penalty"`. */
  readonly penalty?: boolean;
  /** `false`: the feed never learns the scorer's id (`""` throughout), as in many recorded goals. @default true */
  readonly scorerIdKnown?: boolean;
  /** The scorer id stays `""` for this many sim seconds after the goal appears, then the number shows up. */
  readonly scorerIdDelaySecs?: number;
  /** The feed first lists the goal at `minute`, and only after `correctedAfterSecs` at the goal's real minute. */
  readonly firstListedAt?: { readonly minute: MatchMinute; readonly correctedAfterSecs: number };
  /**
   * VAR cancels the goal `afterSecs` after it appeared: it leaves `goalscorers`, the score drops and the
   * scoring side's `vars` gains a "Goal cancelled" entry naming `playerFullName`.
   */
  readonly varCancelled?: { readonly afterSecs: number; readonly playerFullName: string };
}

/** A booking; it appears in `cards` half-way through its minute. */
export interface CardIncident {
  readonly kind: 'card';
  readonly minute: MatchMinute;
  readonly side: Side;
  readonly card: CardKind;
  /**
   * A player's or the coach's name; `""` when the feed does not know who was booked, in which case
   * both `*_fault` are `""` and the side is only in `info` (FORMAT.md §6).
   */
  readonly person: string;
  /** `false`: `*_player_id` stays `""` although the name is known (common in recordings). @default true */
  readonly idKnown?: boolean;
}

/** A substitution; it appears in `substitutes` half-way through its minute. */
export interface SubstitutionIncident {
  readonly kind: 'sub';
  readonly minute: MatchMinute;
  readonly side: Side;
  readonly playerIn: string;
  readonly playerOut: string;
}

/** Anything that happens on the pitch during a scripted match. */
export type Incident = GoalIncident | CardIncident | SubstitutionIncident;

/** Fields shared by every scripted match. */
interface MatchScriptCommon {
  /** Short stable name for tests and logs, e.g. `"var-cancel"`. */
  readonly label: string;
  /** `event_key` in cycle 0; cycle `c` uses `eventKey + c * EVENT_KEY_CYCLE_STRIDE`. */
  readonly eventKey: number;
  readonly league: ScriptLeague;
  /** `event_time` as printed, e.g. `"15:00"` (the sim compresses time; this is only a label). */
  readonly eventTime: string;
  readonly home: ScriptTeam;
  readonly away: ScriptTeam;
  readonly stadium: string;
  /** May be `""`, as recorded. */
  readonly referee: string;
}

/** A match that is played during the matchday. */
export interface PlayedMatchScript extends MatchScriptCommon {
  readonly kind: 'played';
  /** Kick-off in sim minutes after the matchday started. */
  readonly kickoffMin: number;
  /** Minutes shown as `"45+"`; must cover every `"45+N"` incident. */
  readonly firstHalfStoppageMin: number;
  /** Minutes shown as `"90+"`; must cover every `"90+N"` incident. */
  readonly secondHalfStoppageMin: number;
  /** Present when the match goes to extra time (`"91"`..`"120"`); stoppage shown as `"105+"` / `"120+"`. */
  readonly extraTime?: { readonly firstStoppageMin: number; readonly secondStoppageMin: number };
  /** Present when a shoot-out follows extra time; status `"Penalties"` for `durationMin`. */
  readonly penalties?: { readonly home: number; readonly away: number; readonly durationMin: number };
  /** The feed lists substitutions grouped by side; this side's block comes first (FORMAT.md §7). */
  readonly subsFirstSide: Side;
  /** `home_assist` / `away_assist` / `info` of substitutions: `null` in some matches, `""` in others. */
  readonly subsEmptyValue: null | '';
  /** Home share of `Ball Possession`, in percent. */
  readonly possessionHome: number;
  /** Goals and cards in chronological order; substitutions in the order the feed lists them per side. */
  readonly incidents: readonly Incident[];
  /** Listed in Livescore with status `""` this many sim seconds before kick-off. @default 0 */
  readonly listedBeforeKickoffSecs?: number;
  /** Stays in Livescore this long after the final whistle. @default DEFAULT_LINGER_SECS */
  readonly lingerAfterEndSecs?: number;
  /** While lingering after the end, `event_live` stays `"1"` (seen once in a recording, FORMAT.md §4). */
  readonly liveWhileLingering?: boolean;
  /** Drops out of Livescore (but not Fixtures) from half-way through `fromMinute`, for `durationSecs`. */
  readonly livescoreGap?: { readonly fromMinute: MatchMinute; readonly durationSecs: number };
}

/** A match listed as `"Postponed"` for part of the matchday. */
export interface PostponedMatchScript extends MatchScriptCommon {
  readonly kind: 'postponed';
  /** Listed in Livescore from this sim minute of the matchday... */
  readonly listedFromMin: number;
  /** ...until this one. */
  readonly listedUntilMin: number;
}

/** One scripted match of the matchday. */
export type MatchScript = PlayedMatchScript | PostponedMatchScript;

/** Added to every `event_key` per loop of the matchday, so each cycle brings new matches. */
export const EVENT_KEY_CYCLE_STRIDE = 1000;

/** `event_date` of cycle 0; every further cycle is one week later. */
export const MATCHDAY_FIRST_DATE = '2025-05-17';

/** Days between the `event_date` of consecutive cycles. */
export const DAYS_BETWEEN_CYCLES = 7;

/** Livescore keeps an ordinary match this long after its final whistle. */
export const DEFAULT_LINGER_SECS = 60;

const PREMIER_DIVISION: ScriptLeague = {
  key: 9152,
  name: 'Premier Division',
  round: 'Round 36',
  season: '2024/2025',
  countryName: 'England',
  countryKey: 44,
  leagueLogo: '9152_premier-division.png',
  countryLogo: '44_england.png',
  stageKey: 9601,
  stageName: 'Current',
};

const SERIE_PRIMA: ScriptLeague = {
  key: 9207,
  name: 'Serie Prima - Regular Season',
  round: 'Round 35',
  season: '2024/2025',
  countryName: 'Italy',
  countryKey: 5,
  leagueLogo: null,
  countryLogo: '5_italy.png',
  stageKey: 9614,
  stageName: 'Current',
};

const CONTINENTAL_CUP: ScriptLeague = {
  key: 9345,
  name: 'Continental Cup - Quarter-finals',
  round: 'Quarter-finals',
  season: '2024/2025',
  countryName: 'eurocups',
  countryKey: 1,
  leagueLogo: '9345_continental-cup.png',
  countryLogo: null,
  stageKey: 9702,
  stageName: 'Quarter-finals',
};

/** Builds a squad list from `[shirt number, name]` pairs, to keep the team sheets below readable. */
function squad(...players: ReadonlyArray<readonly [number, string]>): ScriptPlayer[] {
  return players.map(([number, name]) => ({ number, name }));
}

/**
 * The matchday, in the order the Livescore list shows it (grouped by competition).
 *
 * Hard cases by match: `var-cancel` (VAR-cancelled goal, scorer id that appears later, penalty),
 * `corrected-minute` ("45" corrected to "45+2", second yellow, lingers as Finished with event_live "1"),
 * `unsorted-subs` (substitutions out of order, nameless card, coach's red card, null sub fields),
 * `vanishing` (drops out of Livescore for 45 s while a goal is scored), `after-pen`, `after-et`,
 * `prelisted` (listed with status "" before kick-off), `postponed`.
 */
export const MATCHDAY: readonly MatchScript[] = [
  {
    kind: 'played',
    label: 'var-cancel',
    eventKey: 1204101,
    league: PREMIER_DIVISION,
    eventTime: '12:30',
    kickoffMin: 2,
    home: {
      key: 7301,
      name: 'Harrowgate Town',
      logoSlug: 'harrowgate-town',
      formation: '4-2-3-1',
      coach: 'A. Whitcombe',
      starters: squad([1, 'O. Pryce'], [4, 'R. Haldane'], [5, 'S. Kirwan'], [8, 'M. Okonjo'], [9, 'D. Fairley'], [10, 'J. Tennant']),
      bench: squad([14, 'L. Norcott'], [17, 'C. Ainsley'], [23, 'F. Moberly']),
    },
    away: {
      key: 7302,
      name: 'Castleford Rovers',
      logoSlug: 'castleford-rovers',
      formation: '4-4-2',
      coach: 'G. Renshaw',
      starters: squad([1, 'E. Dunmore'], [3, 'P. Lindqvist'], [6, 'W. Ashcroft'], [7, 'T. Quayle'], [9, 'J. Mabry'], [11, 'K. Oduya']),
      bench: squad([15, 'R. Pemberton'], [19, 'B. Hollis'], [21, 'N. Sillitoe']),
    },
    stadium: 'Moorside Park (Harrowgate)',
    referee: 'P. Tierney-Walsh',
    firstHalfStoppageMin: 2,
    secondHalfStoppageMin: 5,
    subsFirstSide: 'home',
    subsEmptyValue: '',
    possessionHome: 54,
    incidents: [
      { kind: 'goal', minute: '12', side: 'home', scorer: 'D. Fairley', assist: 'M. Okonjo' },
      { kind: 'card', minute: '27', side: 'away', card: 'yellow card', person: 'P. Lindqvist' },
      { kind: 'goal', minute: '34', side: 'away', scorer: 'J. Mabry', scorerIdDelaySecs: 180 },
      { kind: 'goal', minute: '58', side: 'home', scorer: 'D. Fairley', penalty: true },
      {
        kind: 'goal',
        minute: '67',
        side: 'away',
        scorer: 'T. Quayle',
        assist: 'J. Mabry',
        varCancelled: { afterSecs: 120, playerFullName: 'Tobias Quayle' },
      },
      { kind: 'card', minute: '88', side: 'home', card: 'yellow card', person: 'R. Haldane', idKnown: false },
      { kind: 'goal', minute: '90+3', side: 'home', scorer: 'L. Norcott', assist: 'D. Fairley' },
      { kind: 'sub', minute: '63', side: 'home', playerIn: 'L. Norcott', playerOut: 'M. Okonjo' },
      { kind: 'sub', minute: '78', side: 'home', playerIn: 'C. Ainsley', playerOut: 'S. Kirwan' },
      { kind: 'sub', minute: '70', side: 'away', playerIn: 'R. Pemberton', playerOut: 'P. Lindqvist' },
      { kind: 'sub', minute: '84', side: 'away', playerIn: 'B. Hollis', playerOut: 'J. Mabry' },
    ],
  },
  {
    kind: 'played',
    label: 'corrected-minute',
    eventKey: 1204102,
    league: PREMIER_DIVISION,
    eventTime: '13:30',
    kickoffMin: 8,
    home: {
      key: 7303,
      name: 'Kingsmere United',
      logoSlug: 'kingsmere-united',
      formation: '4-3-3',
      coach: 'H. Calloway',
      starters: squad([1, 'B. Ridley'], [2, 'W. Doherty'], [6, 'A. Mistry'], [9, 'E. Castellan'], [10, 'I. Barwick'], [11, 'Y. Adebayo']),
      bench: squad([16, 'T. Gillard'], [18, 'M. Frost'], [20, 'D. Penhallow']),
    },
    away: {
      key: 7304,
      name: 'Ashbury Athletic',
      logoSlug: 'ashbury-athletic',
      formation: '3-5-2',
      coach: 'P. Lomax',
      starters: squad([1, 'C. Verity'], [4, 'H. Brannigan'], [5, 'K. Osei'], [8, 'S. Whitlow'], [9, 'N. Varga'], [11, 'J. Ruddock']),
      bench: squad([12, 'G. Farrant'], [14, 'L. Yates'], [22, 'O. Kettering']),
    },
    stadium: 'Kingsmere Road',
    referee: 'M. Ashworth',
    firstHalfStoppageMin: 3,
    secondHalfStoppageMin: 4,
    subsFirstSide: 'away',
    subsEmptyValue: '',
    possessionHome: 48,
    lingerAfterEndSecs: 120,
    liveWhileLingering: true,
    incidents: [
      { kind: 'card', minute: '19', side: 'away', card: 'yellow card', person: 'H. Brannigan' },
      { kind: 'card', minute: '38', side: 'away', card: 'yellow card', person: 'K. Osei' },
      {
        kind: 'goal',
        minute: '45+2',
        side: 'home',
        scorer: 'E. Castellan',
        assist: 'W. Doherty',
        firstListedAt: { minute: '45', correctedAfterSecs: 120 },
      },
      { kind: 'goal', minute: '55', side: 'away', scorer: 'N. Varga', assist: 'J. Ruddock' },
      { kind: 'card', minute: '71', side: 'away', card: 'red card', person: 'K. Osei' },
      { kind: 'goal', minute: '82', side: 'home', scorer: 'E. Castellan', penalty: true },
      { kind: 'sub', minute: '60', side: 'away', playerIn: 'G. Farrant', playerOut: 'N. Varga' },
      { kind: 'sub', minute: '74', side: 'away', playerIn: 'L. Yates', playerOut: 'S. Whitlow' },
      { kind: 'sub', minute: '66', side: 'home', playerIn: 'T. Gillard', playerOut: 'I. Barwick' },
      { kind: 'sub', minute: '85', side: 'home', playerIn: 'M. Frost', playerOut: 'Y. Adebayo' },
    ],
  },
  {
    kind: 'played',
    label: 'unsorted-subs',
    eventKey: 1204103,
    league: SERIE_PRIMA,
    eventTime: '15:00',
    kickoffMin: 14,
    home: {
      key: 7311,
      name: 'Valmora',
      logoSlug: 'valmora',
      formation: '4-3-1-2',
      coach: 'G. Bertoldi',
      starters: squad([1, 'P. Sartori'], [3, 'L. Gatti'], [5, 'E. Fontana'], [8, 'M. Rinaldi'], [10, 'V. Cattaneo'], [11, 'F. Moretti']),
      bench: squad([13, 'A. Pellegrino'], [16, 'D. Vitale'], [19, 'S. Orlandi'], [21, 'C. Bruni']),
    },
    away: {
      key: 7312,
      name: 'Pietrarossa',
      logoSlug: 'pietrarossa',
      formation: '3-4-3',
      coach: 'R. Amadei',
      starters: squad([1, 'T. Galli'], [4, 'R. Marchetti'], [6, 'G. Barbieri'], [7, 'L. Mancuso'], [9, 'S. Ferraro'], [10, 'A. Colombo']),
      bench: squad([14, 'F. Testa'], [17, 'E. Greco'], [20, 'M. Villa'], [23, 'P. Serra']),
    },
    stadium: 'Stadio Comunale Valmora',
    referee: 'D. Orsato-Ricci',
    firstHalfStoppageMin: 2,
    secondHalfStoppageMin: 3,
    subsFirstSide: 'away',
    subsEmptyValue: null,
    possessionHome: 57,
    incidents: [
      { kind: 'goal', minute: '22', side: 'away', scorer: 'S. Ferraro', assist: 'A. Colombo' },
      { kind: 'card', minute: '33', side: 'home', card: 'yellow card', person: '' },
      { kind: 'card', minute: '40', side: 'away', card: 'yellow card', person: 'R. Marchetti' },
      { kind: 'goal', minute: '51', side: 'home', scorer: 'M. Rinaldi', assist: 'F. Moretti' },
      { kind: 'goal', minute: '77', side: 'away', scorer: 'A. Colombo', assist: 'S. Ferraro' },
      { kind: 'card', minute: '80', side: 'home', card: 'red card', person: 'G. Bertoldi' },
      { kind: 'card', minute: '87', side: 'home', card: 'yellow card', person: 'P. Sartori' },
      // Listed as the provider does: away block first, neither block in time order (FORMAT.md §7).
      { kind: 'sub', minute: '60', side: 'away', playerIn: 'F. Testa', playerOut: 'L. Mancuso' },
      { kind: 'sub', minute: '76', side: 'away', playerIn: 'E. Greco', playerOut: 'G. Barbieri' },
      { kind: 'sub', minute: '84', side: 'away', playerIn: 'M. Villa', playerOut: 'S. Ferraro' },
      { kind: 'sub', minute: '71', side: 'away', playerIn: 'P. Serra', playerOut: 'R. Marchetti' },
      { kind: 'sub', minute: '83', side: 'home', playerIn: 'C. Bruni', playerOut: 'M. Rinaldi' },
      { kind: 'sub', minute: '46', side: 'home', playerIn: 'A. Pellegrino', playerOut: 'L. Gatti' },
      { kind: 'sub', minute: '46', side: 'home', playerIn: 'D. Vitale', playerOut: 'V. Cattaneo' },
      { kind: 'sub', minute: '65', side: 'home', playerIn: 'S. Orlandi', playerOut: 'E. Fontana' },
    ],
  },
  {
    kind: 'played',
    label: 'vanishing',
    eventKey: 1204104,
    league: SERIE_PRIMA,
    eventTime: '15:00',
    kickoffMin: 20,
    home: {
      key: 7313,
      name: 'Città di Rovena',
      logoSlug: 'citta-di-rovena',
      formation: '4-4-2',
      coach: 'U. Ferrante',
      starters: squad([1, 'R. Conti'], [2, 'G. Lombardi'], [7, 'I. Caruso'], [9, 'B. Martini'], [10, 'O. Leone'], [11, 'D. Sanna']),
      bench: squad([15, 'K. Amato'], [18, 'T. Marino']),
    },
    away: {
      key: 7314,
      name: 'Casalvento',
      logoSlug: 'casalvento',
      formation: '4-3-3',
      coach: 'M. Pagano',
      starters: squad([1, 'F. Rossetti'], [5, 'A. Silvestri'], [8, 'C. Donati'], [9, 'L. Farina'], [10, 'E. Parisi'], [11, 'J. Ricci']),
      bench: squad([16, 'N. De Santis'], [19, 'V. Longo']),
    },
    stadium: 'Stadio del Lago (Rovena)',
    referee: '',
    firstHalfStoppageMin: 1,
    secondHalfStoppageMin: 4,
    subsFirstSide: 'home',
    subsEmptyValue: '',
    possessionHome: 51,
    livescoreGap: { fromMinute: '62', durationSecs: 45 },
    incidents: [
      { kind: 'goal', minute: '8', side: 'home', scorer: 'B. Martini', assist: 'O. Leone' },
      { kind: 'card', minute: '30', side: 'home', card: 'yellow card', person: 'G. Lombardi' },
      { kind: 'goal', minute: '41', side: 'away', scorer: 'L. Farina', assist: 'E. Parisi' },
      // Scored at the moment the match drops out of Livescore: only Fixtures shows it at first.
      { kind: 'goal', minute: '62', side: 'away', scorer: 'E. Parisi' },
      { kind: 'card', minute: '70', side: 'away', card: 'yellow card', person: 'C. Donati' },
      { kind: 'goal', minute: '86', side: 'home', scorer: 'I. Caruso', scorerIdKnown: false },
      { kind: 'card', minute: '90+1', side: 'away', card: 'red card', person: '' },
      { kind: 'sub', minute: '58', side: 'home', playerIn: 'K. Amato', playerOut: 'D. Sanna' },
      { kind: 'sub', minute: '75', side: 'home', playerIn: 'T. Marino', playerOut: 'O. Leone' },
      { kind: 'sub', minute: '68', side: 'away', playerIn: 'N. De Santis', playerOut: 'J. Ricci' },
      { kind: 'sub', minute: '80', side: 'away', playerIn: 'V. Longo', playerOut: 'L. Farina' },
    ],
  },
  {
    kind: 'played',
    label: 'after-pen',
    eventKey: 1204105,
    league: CONTINENTAL_CUP,
    eventTime: '18:00',
    kickoffMin: 28,
    home: {
      key: 7321,
      name: 'Real Ostavia',
      logoSlug: 'real-ostavia',
      formation: '4-2-3-1',
      coach: 'J. Marquina',
      starters: squad([1, 'I. Arrieta'], [4, 'P. Solano'], [6, 'M. Ibarra'], [8, 'D. Cordero'], [9, 'L. Azpiri'], [10, 'R. Velasco']),
      bench: squad([14, 'A. Quiroga'], [20, 'S. Baena']),
    },
    away: {
      key: 7322,
      name: 'Dynamo Karsk',
      logoSlug: 'dynamo-karsk',
      formation: '4-4-2',
      coach: 'V. Ostrowski',
      starters: squad([1, 'A. Belov'], [3, 'K. Zhukov'], [5, 'R. Petrenko'], [9, 'M. Sokolov'], [10, 'Y. Davydenko'], [11, 'I. Kravets']),
      bench: squad([17, 'O. Melnyk'], [22, 'T. Savchuk']),
    },
    stadium: 'Estadio Ribera Alta (Ostavia)',
    referee: 'Lars Edvinsson, Sweden',
    firstHalfStoppageMin: 1,
    secondHalfStoppageMin: 3,
    extraTime: { firstStoppageMin: 1, secondStoppageMin: 2 },
    penalties: { home: 4, away: 5, durationMin: 4 },
    subsFirstSide: 'away',
    subsEmptyValue: null,
    possessionHome: 61,
    incidents: [
      { kind: 'goal', minute: '17', side: 'away', scorer: 'M. Sokolov', assist: 'Y. Davydenko' },
      { kind: 'goal', minute: '39', side: 'home', scorer: 'L. Azpiri', assist: 'R. Velasco' },
      { kind: 'goal', minute: '44', side: 'home', scorer: 'R. Velasco', penalty: true },
      { kind: 'goal', minute: '81', side: 'away', scorer: 'I. Kravets' },
      { kind: 'card', minute: '95', side: 'home', card: 'yellow card', person: 'M. Ibarra' },
      { kind: 'card', minute: '112', side: 'away', card: 'yellow card', person: 'R. Petrenko', idKnown: false },
      { kind: 'sub', minute: '93', side: 'away', playerIn: 'T. Savchuk', playerOut: 'Y. Davydenko' },
      { kind: 'sub', minute: '64', side: 'away', playerIn: 'O. Melnyk', playerOut: 'M. Sokolov' },
      { kind: 'sub', minute: '70', side: 'home', playerIn: 'A. Quiroga', playerOut: 'D. Cordero' },
      { kind: 'sub', minute: '99', side: 'home', playerIn: 'S. Baena', playerOut: 'L. Azpiri' },
    ],
  },
  {
    kind: 'played',
    label: 'after-et',
    eventKey: 1204106,
    league: CONTINENTAL_CUP,
    eventTime: '18:45',
    kickoffMin: 36,
    home: {
      key: 7323,
      name: 'Olympique Verlaine',
      logoSlug: 'olympique-verlaine',
      formation: '',
      coach: 'L. Garnier',
      starters: squad([1, 'T. Delorme'], [2, 'B. Marchand'], [6, 'Y. Fabre'], [9, 'H. Dufresne'], [10, 'K. Lemaire'], [11, 'A. Roussel']),
      bench: squad([15, 'S. Perrin'], [18, 'J. Vasseur']),
    },
    away: {
      key: 7324,
      name: 'FK Drenova',
      logoSlug: 'fk-drenova',
      formation: '',
      coach: 'D. Kovač',
      starters: squad([1, 'M. Babić'], [4, 'S. Jurić'], [7, 'N. Kostić'], [9, 'A. Vuković'], [10, 'L. Marić'], [11, 'P. Tomić']),
      bench: squad([19, 'R. Lukić'], [21, 'D. Perić']),
    },
    stadium: 'Stade des Tilleuls (Verlaine)',
    referee: 'Aurelio Sanz, Spain',
    firstHalfStoppageMin: 2,
    secondHalfStoppageMin: 4,
    extraTime: { firstStoppageMin: 1, secondStoppageMin: 3 },
    subsFirstSide: 'home',
    subsEmptyValue: '',
    possessionHome: 46,
    incidents: [
      { kind: 'goal', minute: '57', side: 'away', scorer: 'A. Vuković', assist: 'L. Marić' },
      { kind: 'card', minute: '66', side: 'away', card: 'yellow card', person: 'S. Jurić' },
      { kind: 'goal', minute: '88', side: 'home', scorer: 'H. Dufresne', assist: 'K. Lemaire' },
      { kind: 'goal', minute: '109', side: 'home', scorer: 'S. Perrin', assist: 'A. Roussel' },
      { kind: 'card', minute: '118', side: 'away', card: 'red card', person: 'N. Kostić' },
      { kind: 'sub', minute: '100', side: 'home', playerIn: 'J. Vasseur', playerOut: 'B. Marchand' },
      { kind: 'sub', minute: '75', side: 'home', playerIn: 'S. Perrin', playerOut: 'Y. Fabre' },
      { kind: 'sub', minute: '72', side: 'away', playerIn: 'R. Lukić', playerOut: 'P. Tomić' },
      { kind: 'sub', minute: '96', side: 'away', playerIn: 'D. Perić', playerOut: 'A. Vuković' },
    ],
  },
  {
    kind: 'played',
    label: 'prelisted',
    eventKey: 1204107,
    league: PREMIER_DIVISION,
    eventTime: '20:00',
    kickoffMin: 50,
    home: {
      key: 7305,
      name: 'Northwick City',
      logoSlug: 'northwick-city',
      formation: '4-4-2',
      coach: 'E. Thornbury',
      starters: squad([1, 'J. Aldous'], [3, 'M. Crane'], [7, 'R. Ellery'], [9, 'G. Hadfield'], [10, 'S. Penrose'], [11, 'T. Vickers']),
      bench: squad([17, 'A. Quennell'], [20, 'W. Blythe']),
    },
    away: {
      key: 7306,
      name: 'Redbridge Albion',
      logoSlug: 'redbridge-albion',
      formation: '4-2-3-1',
      coach: 'C. Maitland',
      starters: squad([1, 'D. Seward'], [4, 'F. Oakes'], [6, 'L. Prentice'], [8, 'B. Kaur'], [9, 'Z. Whitlock'], [10, 'H. Sowerby']),
      bench: squad([12, 'R. Tulley'], [16, 'K. Amadi']),
    },
    stadium: 'Northwick Lane',
    referee: 'S. Hooper-Lane',
    firstHalfStoppageMin: 2,
    secondHalfStoppageMin: 4,
    subsFirstSide: 'away',
    subsEmptyValue: null,
    possessionHome: 52,
    listedBeforeKickoffSecs: 300,
    incidents: [
      { kind: 'goal', minute: '29', side: 'home', scorer: 'G. Hadfield', assist: 'R. Ellery' },
      { kind: 'card', minute: '44', side: 'away', card: 'yellow card', person: 'F. Oakes' },
      { kind: 'card', minute: '67', side: 'home', card: 'yellow card', person: 'M. Crane' },
      { kind: 'goal', minute: '73', side: 'away', scorer: 'Z. Whitlock', assist: 'H. Sowerby' },
      { kind: 'goal', minute: '90+2', side: 'home', scorer: 'A. Quennell', assist: 'S. Penrose' },
      { kind: 'sub', minute: '66', side: 'away', playerIn: 'R. Tulley', playerOut: 'B. Kaur' },
      { kind: 'sub', minute: '80', side: 'away', playerIn: 'K. Amadi', playerOut: 'L. Prentice' },
      { kind: 'sub', minute: '61', side: 'home', playerIn: 'A. Quennell', playerOut: 'T. Vickers' },
      { kind: 'sub', minute: '79', side: 'home', playerIn: 'W. Blythe', playerOut: 'R. Ellery' },
    ],
  },
  {
    kind: 'postponed',
    label: 'postponed',
    eventKey: 1204108,
    league: SERIE_PRIMA,
    eventTime: '00:00',
    home: {
      key: 7315,
      name: 'Borgofranco',
      logoSlug: 'borgofranco',
      formation: '',
      coach: 'S. Valente',
      starters: [],
      bench: [],
    },
    away: {
      key: 7316,
      name: 'Vallenera',
      logoSlug: 'vallenera',
      formation: '',
      coach: 'A. Cristofori',
      starters: [],
      bench: [],
    },
    stadium: 'Stadio Borgo Nuovo',
    referee: '',
    listedFromMin: 0,
    listedUntilMin: 40,
  },
];
