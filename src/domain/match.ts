/**
 * What the detector remembers about a match between observations (`MatchState`) and the records of
 * its incidents. Provider-neutral: what a provider's parser yields is `MatchSnapshot` in
 * `upstream/provider.ts`. It imports only wire types (`Phase`, `MatchClock`).
 */
import type { MatchClock, Phase } from '@football-streaming-core/client/wire';

export type { Phase } from '@football-streaming-core/client/wire';

export type Side = 'home' | 'away';

export interface Score {
  readonly home: number;
  readonly away: number;
}

export type CardColor = 'yellow' | 'red';

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
  /** The provider's wording of the status as last applied (`statusText`): shown to clients, never read. */
  readonly status: string;
  readonly phase: Phase;
  /**
   * The minute the provider showed while the ball was in play (`"23"`, `"45+2"`), `null` otherwise;
   * absent in states stored before it was kept (read as `null`).
   */
  readonly minute?: string | null;
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
