/**
 * Typed views of a match: what the upstream parser produces (`MatchSnapshot`) and what the
 * detector remembers between polls (`MatchState`). It imports only wire types (`Phase`, `MatchClock`).
 */
import type { MatchClock, Phase } from '@football-streaming-core/client/wire';

export type { Phase } from '@football-streaming-core/client/wire';

export type Side = 'home' | 'away';

export interface Score {
  readonly home: number;
  readonly away: number;
}

/** One entry of the provider's `goalscorers` list, normalised. */
export interface GoalItem {
  readonly minute: string;
  readonly side: Side;
  readonly scorer: string;
  /** Provider player id as a string; `""` when unknown. */
  readonly scorerId: string;
  readonly assist: string;
  readonly assistId: string;
  /** Running score after this goal, when the provider gave a parseable one. */
  readonly score: Score | null;
  /** Provider `info` text (`""`, `"Penalty"`, …). */
  readonly info: string;
  readonly infoTime: string;
}

export type CardColor = 'yellow' | 'red';

/** One entry of the provider's `cards` list, normalised. */
export interface CardItem {
  readonly minute: string;
  readonly side: Side;
  /** Player (or coach) name; `""` when the provider gave none. */
  readonly player: string;
  readonly playerId: string;
  /** Provider card text, e.g. `"yellow card"`. */
  readonly card: string;
  readonly color: CardColor;
  readonly infoTime: string;
}

/** One entry of the provider's `substitutes` list, normalised. */
export interface SubItem {
  readonly minute: string;
  readonly side: Side;
  readonly playerIn: string;
  readonly playerOut: string;
  readonly inId: string;
  readonly outId: string;
  readonly infoTime: string;
}

/** One VAR decision from the provider's `vars` object. */
export interface VarItem {
  readonly side: Side;
  readonly minute: string;
  readonly player: string;
  readonly playerId: string;
  readonly type: string;
  readonly decision: string;
}

/** A match as one successful upstream reply shows it. */
export interface MatchSnapshot {
  readonly matchId: string;
  readonly date: string;
  readonly time: string;
  readonly homeTeam: string;
  readonly awayTeam: string;
  readonly homeTeamKey: string;
  readonly awayTeamKey: string;
  readonly leagueId: string;
  readonly league: string;
  readonly country: string;
  /** Provider `event_status` text, `""` before kick-off. */
  readonly status: string;
  /** Provider `event_live === "1"`; informational only (a finished match can still say live). */
  readonly live: boolean;
  readonly finalResult: Score | null;
  readonly halftimeResult: Score | null;
  readonly ftResult: Score | null;
  readonly penaltyResult: Score | null;
  readonly goals: readonly GoalItem[];
  readonly cards: readonly CardItem[];
  readonly substitutions: readonly SubItem[];
  readonly vars: readonly VarItem[];
  /** Coach names from the line-ups, used to flag cards shown to coaches. */
  readonly coaches: readonly string[];
}

/** A goal the service has announced, with the identity it keeps for its whole life. */
export interface GoalRecord {
  readonly eventId: string;
  readonly side: Side;
  readonly minute: string;
  readonly scorer: string;
  readonly scorerId: string;
  readonly assist: string;
  readonly assistId: string;
  readonly penalty: boolean;
  readonly ownGoal: boolean;
  /** Number of `GOAL_UPDATED` events issued for this goal. */
  readonly revision: number;
}

export interface CardRecord {
  readonly eventId: string;
  readonly side: Side;
  readonly minute: string;
  readonly player: string;
  readonly playerId: string;
  readonly card: string;
  readonly color: CardColor;
  readonly secondYellow: boolean;
  readonly coach: boolean;
  readonly revision: number;
}

export interface SubRecord {
  readonly eventId: string;
  readonly side: Side;
  readonly minute: string;
  readonly playerIn: string;
  readonly playerOut: string;
  readonly inId: string;
  readonly outId: string;
  readonly revision: number;
}

/** Everything the detector remembers about one followed match between polls. Plain JSON. */
export interface MatchState {
  readonly matchId: string;
  readonly homeTeam: string;
  readonly awayTeam: string;
  readonly homeTeamKey: string;
  readonly awayTeamKey: string;
  readonly leagueId: string;
  readonly league: string;
  readonly country: string;
  /** `"YYYY-MM-DD HH:MM"` as the provider gave it. */
  readonly startTime: string;
  readonly status: string;
  readonly phase: Phase;
  /** `MATCH_STARTED` was announced (or the match was first seen finished and never will be). */
  readonly started: boolean;
  /** `MATCH_ENDED` was announced, or the match was first seen already over: it is never announced again. */
  readonly ended: boolean;
  /** Score as last announced. */
  readonly score: Score;
  readonly halftimeScore: Score | null;
  readonly penaltyScore: Score | null;
  readonly goals: readonly GoalRecord[];
  readonly cards: readonly CardRecord[];
  readonly substitutions: readonly SubRecord[];
  /** Consecutive successful polls that did not list this match. */
  readonly absentPolls: number;
  /** Counts of changes so far, used to derive stable, distinct event ids. */
  readonly scoreRevision: number;
  readonly phaseHistory: readonly Phase[];
  /** Ids of cancelled incidents, so a reinstated incident gets a fresh id. */
  readonly retiredEventIds: readonly string[];
  /**
   * The running match clock, stamped when the phase changes (src/domain/clock.ts); absent in states
   * stored before the clock existed (stamped again when next committed).
   */
  readonly clock?: MatchClock | null;
}
