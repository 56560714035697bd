/**
 * The provider contract: what a football data provider (AllSportsAPI, API-Football, …) must give
 * the service, and the only vocabulary `domain/`, `detect/` and `engine/` understand.
 *
 * A provider lives in its own folder, `src/upstream/<name>/`, and is the only place that knows its
 * wire format: status texts, field names, marker strings (`"Penalty"`, `"(o.g.)"`, `"After Pen."`,
 * `"Missed Penalty"` …). Its parser turns every reply, push frame or look-up into the normalised
 * facts below; everything downstream reads only those. Adding a provider means:
 *
 * 1. `src/upstream/<name>/` with a parser (wire → `MatchSnapshot`), a client (polling and the
 *    vanished-match look-up, with retries, breaker and quota handling as the provider needs), and
 *    optionally a push decoder;
 * 2. a simulator renderer (`SimRenderer`) that renders the provider-neutral scripted matchday in
 *    the provider's wire format, so the built-in simulator, the property tests and the integration
 *    tests run against it;
 * 3. one entry in the registry (`src/upstream/registry.ts`), keyed by the provider's name.
 *
 * Nothing else changes: detection, the ingestor, the store and the transports are provider-neutral.
 *
 * ## Normalised facts (the parser's output)
 *
 * Conventions, whatever the provider:
 * - **Ids** are decimal strings (`"1234"`); `""` means unknown. Never numbers (ids pass 2^31).
 * - **Names** are trimmed display text; `""` means unknown.
 * - **Minutes** (`MatchMinute`) are scoreboard text: the minute played, and added time after a
 *   `+`: `"29"`, `"45+3"`, `"90+"` (added time of unknown length), `"105"`. A provider that sends
 *   `{ elapsed: 45, extra: 3 }` writes `"45+3"`. The shared minute arithmetic
 *   (`@football-streaming-core/client/protocol`: `parseMinute`, `minuteSortKey`, `minuteDistance`)
 *   reads this form; text it cannot read sorts last and only pairs with the identical text.
 * - **Scores** are `{ home, away }` numbers, or `null` when the provider shows none it can be
 *   trusted for.
 * - **Phase** is the domain's `Phase` (`first_half`, `half_time`, … `finished`, `unknown`). A
 *   status the parser cannot map is `unknown`, never an exception.
 * - **Display texts** (`statusText`, a card's `card`) are passed through to clients verbatim as
 *   event fields (`status`, `card_type`) and are never interpreted downstream.
 *
 * Bounds: a parser refuses (never truncates silently) text over `MAX_TEXT_LENGTH` characters and
 * lists over `MAX_LIST_ITEMS` items; an item whose side cannot be told is skipped with a warning;
 * a malformed reply is refused whole (`UpstreamError` kind `bad_format`), a malformed push object
 * alone. A parser never throws: a bug meeting unforeseen data is reported as `bad_format`.
 */
import type { CardColor, Phase, Score, Side } from '../domain/match.js';
import type { Result } from '../domain/result.js';
import type { Metrics } from '../metrics.js';
import type { UpstreamError } from './errors.js';

export type { CardColor, Phase, Score, Side } from '../domain/match.js';

/** Scoreboard minute text: `"29"`, `"45+3"`, `"90+"` (see the conventions above). */
export type MatchMinute = string;

/** Longest text field a parser accepts (team, league, player names, statuses): real ones are under 100. */
export const MAX_TEXT_LENGTH = 1_000;
/**
 * Most items in one list of a match (goals, cards, substitutions, VAR decisions): above any real
 * match (the record is 149 goals), low enough that detection (faster than linear in a list's
 * length) stays in the tens of milliseconds for one match.
 */
export const MAX_LIST_ITEMS = 200;

/** A goal that counts: a normal goal, a penalty or an own goal. A missed penalty is no goal. */
export interface GoalItem {
  readonly minute: MatchMinute;
  /** The side whose score went up (for an own goal: the side that benefits). */
  readonly side: Side;
  /** The player credited (for an own goal: the defender who put it in), `""` when unknown. */
  readonly scorer: string;
  readonly scorerId: string;
  /** `""` when none or unknown. */
  readonly assist: string;
  readonly assistId: string;
  /** Running score right after this goal, when the provider states one; `null` otherwise. */
  readonly score: Score | null;
  /** Scored from the penalty spot (in play, not in a shoot-out). */
  readonly penalty: boolean;
  readonly ownGoal: boolean;
}

/** A penalty in play that was not scored (saved, missed). Informational: no event announces it yet. */
export interface MissedPenaltyItem {
  readonly minute: MatchMinute;
  /** The side that took it. */
  readonly side: Side;
  readonly player: string;
  readonly playerId: string;
}

/** A card shown to a player or a coach. */
export interface CardItem {
  readonly minute: MatchMinute;
  readonly side: Side;
  /** Player or coach name; `""` when the provider gave none. */
  readonly player: string;
  readonly playerId: string;
  /** The provider's wording (`"yellow card"`, `"Red Card"`): shown to clients as `card_type`, never read. */
  readonly card: string;
  readonly color: CardColor;
  /**
   * The provider says this red is a second yellow. (The detector also flags a red as a second
   * yellow when it saw the same player booked earlier, so a provider that cannot say leaves it false.)
   */
  readonly secondYellow: boolean;
  /** Shown to a coach or another member of the technical staff, not to a player. */
  readonly coach: boolean;
}

/** A substitution: `playerIn` came on for `playerOut`. */
export interface SubItem {
  readonly minute: MatchMinute;
  readonly side: Side;
  readonly playerIn: string;
  readonly playerOut: string;
  readonly inId: string;
  readonly outId: string;
}

/** A VAR decision. */
export interface VarItem {
  readonly minute: MatchMinute;
  readonly side: Side;
  readonly player: string;
  readonly playerId: string;
  /** VAR ruled a goal out: a goal of this side near this minute that disappears was cancelled by VAR. */
  readonly cancelsGoal: boolean;
}

/** One match as one observation (a reply, a push frame, a look-up) shows it, normalised. */
export interface MatchSnapshot {
  readonly matchId: string;
  /** Kick-off, `"YYYY-MM-DD HH:MM"` in the zone the provider was asked for; `""` when unknown. */
  readonly startTime: string;
  readonly homeTeam: string;
  readonly awayTeam: string;
  readonly homeTeamKey: string;
  readonly awayTeamKey: string;
  readonly leagueId: string;
  readonly league: string;
  readonly country: string;
  /** Where the match is. A status the parser cannot place is `unknown`. */
  readonly phase: Phase;
  /** The minute the provider shows while the ball is in play (`"23"`, `"45+2"`); `null` otherwise. */
  readonly minute: MatchMinute | null;
  /**
   * The provider's own wording of the status (`"23"`, `"Half Time"`, `"Second Half"`): clients see
   * it as the events' `status`; the service never interprets it.
   */
  readonly statusText: string;
  /**
   * The provider flags the match as in play. Informational: it only decides whether a match first
   * seen in an `unknown` phase has kicked off (a finished match may still say live).
   */
  readonly live: boolean;
  /**
   * The match's real running score, when the provider shows one that can be trusted. During and
   * after a shoot-out this is the score before the shoot-out (never a pseudo-score folding the
   * shoot-out in), or `null` while the provider shows none (the detector then counts the goals).
   */
  readonly score: Score | null;
  readonly halftimeScore: Score | null;
  /** The shoot-out's own score (`4 - 5`), once one is shown. */
  readonly shootoutScore: Score | null;
  /**
   * A shoot-out is under way or decided the match (the phase may already be `finished`): the
   * winner is decided by `shootoutScore`.
   */
  readonly shootout: boolean;
  /** Goals that count, in the provider's order (the detector sorts by minute). */
  readonly goals: readonly GoalItem[];
  readonly missedPenalties: readonly MissedPenaltyItem[];
  readonly cards: readonly CardItem[];
  readonly substitutions: readonly SubItem[];
  readonly vars: readonly VarItem[];
}

/** A parsed live list (or look-up reply): the matches, and notes about items skipped as unusable. */
export interface ParsedReply {
  readonly matches: MatchSnapshot[];
  readonly warnings: string[];
}

/** One parsed match object (a push frame carries several). */
export interface ParsedMatch {
  readonly snapshot: MatchSnapshot;
  /** Items of this match skipped as unusable, each naming its path (`frame[2].goalscorers[1]`). */
  readonly warnings: string[];
}

/** The parser half of a provider: pure, no I/O, never throws. */
export interface ProviderParser {
  /**
   * A whole reply of the live list (or of a look-up), as decoded JSON. An error envelope becomes
   * an `UpstreamError` of kind `auth` or `provider_error`; a malformed reply `bad_format`.
   */
  parseReply(body: unknown): Result<ParsedReply, UpstreamError>;
  /**
   * One match object on its own, as a push frame carries it. `path` names it in messages
   * (`frame[2]`): errors and warnings say `frame[2].goalscorers[0].time: …`.
   */
  parseMatch(raw: unknown, path: string): Result<ParsedMatch, UpstreamError>;
}

// ---------------------------------------------------------------------------------------------
// Health, as `/health` `upstream` shows it

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * `connected`: the socket is open and not silent while matches are live. `reconnecting`: no socket
 * yet or any more; the next attempt is scheduled. `down`: the provider refused the key, or the feed
 * went silent while matches were live (it stays down until a frame arrives or nothing is live).
 */
export type PushState = 'connected' | 'reconnecting' | 'down';

/** `/health` `upstream.push`. */
export interface PushHealth {
  readonly state: PushState;
  /** ISO time of the last frame that was a match list (empty and duplicate ones included); `null` before any. */
  readonly last_frame_at: string | null;
}

export interface UpstreamHealth {
  readonly lastSuccessAt: string | null;
  readonly lastFailureAt: string | null;
  readonly lastFailureKind: string | null;
  /**
   * What went wrong last, in words an operator can act on (`ALLSPORTS_API_KEY was refused by …`).
   * While the breaker is open, `lastFailure*` describe the failure that opened it, not the
   * `circuit_open` refusals that follow (`breaker` says it is open).
   */
  readonly lastFailureMessage: string | null;
  readonly consecutiveFailures: number;
  readonly breaker: BreakerState;
  /** Push mode only: the provider's push feed (`/health` `upstream.push`). */
  readonly push?: PushHealth;
}

// ---------------------------------------------------------------------------------------------
// The client half: polling and look-ups

/** What the polling loop (`engine/polling-source.ts`) needs from a provider. */
export interface LiveFeed {
  /** The live list: every match in play (and those about to start or just finished, if listed). */
  livescore(): Promise<Result<ParsedReply, UpstreamError>>;
  /**
   * Looks one followed match up that vanished from the live list, to learn whether it ended.
   * `undefined`: the provider does not know it. One attempt, no retries (the next polls settle an
   * unconfirmed absence anyway).
   */
  fixture(matchId: string): Promise<Result<MatchSnapshot | undefined, UpstreamError>>;
}

/** A provider's polling client: the feed, its health, and its lifecycle. */
export interface ProviderClient extends LiveFeed {
  health(): UpstreamHealth;
  /** Aborts requests in flight and closes pooled connections. */
  close(): Promise<void>;
  /** Called before each retry of a transient failure (for logging). Returns a disposer. */
  onRetry(listener: (event: { readonly attempt: number; readonly delay: number }) => void): { dispose(): void };
  /** Called on each change of the circuit breaker (for logging). Returns a disposer. */
  onBreakerStateChange(listener: (state: unknown) => void): { dispose(): void };
}

// ---------------------------------------------------------------------------------------------
// The push half (optional)

/** Why a pushed match object was dropped. */
export interface RejectedObject {
  /** `oversized`: what the parser reads of it is nested too deep or too large to be kept. */
  readonly reason: 'invalid' | 'incomplete' | 'oversized';
  /** Says which object (`frame[2]`) and what was wrong; carries no key. */
  readonly message: string;
}

/** What one push frame yielded. */
export interface DecodedFrame {
  /** `ok`: new observations; `empty`: a match list with nothing in it; `duplicate`: nothing new. */
  readonly outcome: 'ok' | 'empty' | 'duplicate' | 'garbage';
  /** New observations, at most one per match (the last in the frame), in first-seen order. */
  readonly snapshots: MatchSnapshot[];
  /** Match objects the frame carried (0 for garbage). */
  readonly objects: number;
  /** Objects identical to the last one seen for their match. */
  readonly duplicates: number;
  readonly rejected: RejectedObject[];
  /** Items (goal, card, substitution) the parser skipped inside accepted objects. */
  readonly warnings: string[];
  /** Why the frame was garbage, when it was. */
  readonly garbage?: string;
}

/**
 * Turns the text of push frames into observations. Stateful per connection life (a provider that
 * pushes partial objects fills them in from the last one), bounded in what it remembers, and it
 * never throws. It calls the provider's `parseMatch(raw, path)` for each object.
 */
export interface PushDecoder {
  decode(text: string): DecodedFrame;
  /** Forgets a match (it ended and left the feed): its next object starts afresh. */
  forget(matchId: string): void;
}

/** A provider that pushes changes over a WebSocket. */
export interface PushCapability {
  /** The URL to connect to (key and zone as the provider wants them). Holds the key: never log it. */
  url(base: string, apiKey: string | undefined, timezone: string | undefined): string;
  createDecoder(): PushDecoder;
}

// ---------------------------------------------------------------------------------------------
// The simulator hook

/** One answer of the simulated provider. */
export interface SimAnswer {
  /** Which request counter it belongs to (`livescore` answers are what tests wait on). */
  readonly kind: 'livescore' | 'fixtures' | 'other';
  readonly status: number;
  /** The body, as the provider would encode it. */
  readonly body: string;
}

/**
 * Renders the provider-neutral scripted matchday (`sim/script.ts`, `sim/clock.ts`) in one
 * provider's wire format. Pure: no clock, no I/O; `simSecs` is the simulated time.
 */
export interface SimRenderer {
  /** Path the service's base URL ends in (`/football/`). */
  readonly basePath: string;
  /** Answers one GET to the simulated provider (path and query) at `simSecs`; never throws. */
  answer(url: URL, simSecs: number): SimAnswer;
  /** The live list at `simSecs`, as `answer` gives it for the request the client polls with. */
  live(simSecs: number): SimAnswer;
  /** The look-up of one match at `simSecs`, as `answer` gives it for the client's look-up request. */
  fixture(matchId: string, simSecs: number): SimAnswer;
  /** The body of a refused request (method not allowed, internal error). */
  error(status: number, message: string): string;
  /** Push only: the path of the push feed, and the match objects of the live list by match id. */
  readonly push?: {
    readonly path: string;
    liveObjects(simSecs: number): ReadonlyArray<{ readonly matchId: string; readonly object: unknown }>;
    /** One frame carrying these objects. */
    frame(objects: readonly unknown[]): string;
  };
}

// ---------------------------------------------------------------------------------------------
// The provider

/** Settings a provider's client is built from (`config.ts` reads them from the environment). */
export interface ProviderClientSettings {
  /** Base URL of the provider's REST API, ending in `/`. */
  readonly baseUrl: string;
  /** The key; `undefined` when none is set (the built-in simulator). Never logged. */
  readonly apiKey: string | undefined;
  readonly timezone: string | undefined;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retryBaseDelayMs: number;
  readonly retries: number;
  readonly breakerThreshold: number;
  readonly breakerCooldownMs: number;
}

/** Everything the service knows about one provider. */
export interface Provider {
  /** The registry key and `PROVIDER` value: `allsportsapi`, `api-football`. */
  readonly name: string;
  /** How logs and messages name it: `AllSportsAPI`. */
  readonly displayName: string;
  readonly parser: ProviderParser;
  createClient(settings: ProviderClientSettings, metrics?: Metrics): ProviderClient;
  /** Absent: the provider has no push feed (`UPSTREAM_MODE=push` is refused for it). */
  readonly push?: PushCapability;
  /**
   * Loads the simulator renderer of this provider's wire format (lazily: only the built-in
   * simulator and the tests ever load it).
   */
  loadSimulator(): Promise<SimRenderer>;
}
