/**
 * API-Football v3 wire shapes, as recorded (../shared/api-football/FORMAT.md §2, §3, §5). These are
 * what the provider promises at best: the parser (parse.ts) reads replies as `unknown` and checks
 * every field it uses, so nothing here is trusted at run time. The simulator (src/sim) renders
 * these shapes, so the types also keep the renderer honest.
 */

/** `{"id": …, "name": …}`: either or both may be null (FORMAT.md §5). */
export interface AfRef {
  id: number | null;
  name: string | null;
}

export interface AfTeamRef extends AfRef {
  logo?: string | null;
}

export interface AfStatus {
  long: string;
  short: string;
  elapsed: number | null;
  /** Absent before late 2024 (FORMAT.md §3). */
  extra?: number | null;
}

export interface AfPair {
  home: number | null;
  away: number | null;
}

/** One `events[]` item (FORMAT.md §5). No id: identity is built from its fields. */
export interface AfEvent {
  time: { elapsed: number | null; extra: number | null };
  team: AfTeamRef;
  player: AfRef | null;
  assist: AfRef | null;
  /** `Goal`, `Card`, `subst`, `Var`. */
  type: string;
  detail: string;
  comments: string | null;
}

export interface AfLineupPlayer {
  player: { id: number | null; name: string | null; number?: number | null; pos?: string | null; grid?: string | null };
}

/** One `lineups[]` item (`id=` / `ids=` answers only). */
export interface AfLineup {
  team: AfTeamRef;
  formation?: string | null;
  startXI: AfLineupPlayer[];
  substitutes: AfLineupPlayer[];
  coach?: { id: number | null; name: string | null; photo?: string | null } | null;
}

/** One fixture of a `/fixtures` answer; `events` on `live=` and `id(s)=`, `lineups` on `id(s)=` only. */
export interface AfFixture {
  fixture: {
    id: number;
    referee: string | null;
    timezone: string;
    date: string;
    timestamp: number;
    periods: { first: number | null; second: number | null };
    venue: { id: number | null; name: string | null; city: string | null };
    status: AfStatus;
  };
  league: {
    id: number;
    name: string;
    country: string;
    logo: string | null;
    flag: string | null;
    season: number;
    round: string;
    standings?: boolean;
  };
  teams: {
    home: AfTeamRef & { id: number; name: string; winner: boolean | null };
    away: AfTeamRef & { id: number; name: string; winner: boolean | null };
  };
  goals: AfPair;
  score: { halftime: AfPair; fulltime: AfPair; extratime: AfPair; penalty: AfPair };
  events?: AfEvent[];
  lineups?: AfLineup[];
}

/** The envelope of every answer (FORMAT.md §2): `errors` is `[]` when fine, an object on any error. */
export interface AfEnvelope<T> {
  get: string;
  parameters: Record<string, string> | [];
  errors: Record<string, string> | [];
  results: number;
  paging: { current: number; total: number };
  response: T;
}
