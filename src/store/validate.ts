/**
 * What a store reads back is checked before the rest of the service sees it. A store is shared
 * (Redis: every node, and anyone with access to it) or lives in a file anyone on the machine may
 * edit, so a value read from it is input like any other: one malformed key must never crash a
 * process, stop every node, or go on to clients.
 *
 * - A match state that is not a well-formed `MatchState` is left out of the match book and
 *   reported (`MatchBookSnapshot.skipped`); the writer's next poll sees the match afresh.
 * - A counter (the newest seq, what was pruned) or an epoch that is not what the store writes makes
 *   the read fail with `StoreCorruptError`: there is no safe guess for a sequence number.
 */
import { Ajv } from 'ajv';
import type { MatchState } from '../domain/match.js';
import { PHASES } from '../server/schemas.js';
import { StoreCorruptError } from '../errors.js';

/** Defined in the error catalogue (src/errors.ts). */
export { StoreCorruptError };

/** Whether an error says the store's own data is damaged (fails for good until an operator repairs it). */
export function isCorruption(error: unknown): boolean {
  if (error instanceof StoreCorruptError) return true;
  // The Redis commit script's own check (an entry ahead of the sequence counter, a counter that is not a number).
  return error instanceof Error && error.message.startsWith('CORRUPT ');
}

/** Longest excerpt of a damaged value quoted in an error (values come from anyone with access to the store). */
const QUOTE_MAX = 40;

/** A damaged value, quoted short and escaped, for an error message or a log line. */
export function quote(value: string): string {
  return JSON.stringify(value.length > QUOTE_MAX ? `${value.slice(0, QUOTE_MAX)}…` : value);
}

/**
 * A non-negative integer counter as the store writes it (decimal digits); `null` (never written) is
 * 0. Anything else throws `StoreCorruptError` naming `what`.
 */
export function parseCounter(value: string | number | null | undefined, what: string): number {
  if (value === null || value === undefined) return 0;
  const text = String(value);
  const number = Number(text);
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(number)) {
    throw new StoreCorruptError(`${what} is not a sequence number (${quote(text)}): the stored history is damaged and needs repair`);
  }
  return number;
}

/** Epochs are UUIDs; other tokens are accepted if they are short and cannot break a frame or an SSE `id:` line. */
const EPOCH = /^[A-Za-z0-9._:-]{1,128}$/;

/** The history's epoch as read from the store; a damaged one throws `StoreCorruptError`. */
export function parseEpoch(value: string, what: string): string {
  if (!EPOCH.test(value)) throw new StoreCorruptError(`${what} is not an epoch (${quote(value)}): the stored history is damaged and needs repair`);
  return value;
}

/** A match state that was left out of a load, and why. */
export interface SkippedState {
  /** The key it was stored under (a match id, or whatever a hand-written entry used). */
  readonly matchId: string;
  readonly reason: string;
}

/** Longest stored state accepted: a real one is a few KiB (a few dozen incidents). */
export const MAX_STATE_BYTES = 1 << 20;

const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;
const count = { type: 'integer', minimum: 0 } as const;
const side = { type: 'string', enum: ['home', 'away'] } as const;
const phase = { type: 'string', enum: PHASES } as const;
const score = { type: 'object', required: ['home', 'away'], properties: { home: count, away: count } } as const;
const nullableScore = { anyOf: [{ type: 'null' }, score] } as const;

/**
 * `MatchState` as JSON Schema: the fields every reader of a state relies on, with their types
 * (`test/unit/store-validate.test.ts` checks at compile time that it describes `MatchState`).
 * Unknown extra fields are allowed (a newer version may add some during a rolling upgrade).
 */
export const matchStateSchema = {
  type: 'object',
  required: [
    'matchId', 'homeTeam', 'awayTeam', 'homeTeamKey', 'awayTeamKey', 'leagueId', 'league', 'country', 'startTime', 'status', 'phase',
    'started', 'ended', 'score', 'halftimeScore', 'penaltyScore', 'goals', 'cards', 'substitutions', 'absentPolls', 'scoreRevision',
    'phaseHistory', 'retiredEventIds',
  ],
  properties: {
    matchId: { type: 'string', minLength: 1 },
    homeTeam: str,
    awayTeam: str,
    homeTeamKey: str,
    awayTeamKey: str,
    leagueId: str,
    league: str,
    country: str,
    startTime: str,
    status: str,
    phase,
    // The minute shown while in play (absent in states stored before it was kept).
    minute: { type: ['string', 'null'] },
    started: bool,
    ended: bool,
    score,
    halftimeScore: nullableScore,
    penaltyScore: nullableScore,
    goals: {
      type: 'array',
      items: {
        type: 'object',
        required: ['eventId', 'side', 'minute', 'scorer', 'scorerId', 'assist', 'assistId', 'penalty', 'ownGoal', 'revision'],
        properties: { eventId: str, side, minute: str, scorer: str, scorerId: str, assist: str, assistId: str, penalty: bool, ownGoal: bool, revision: count },
      },
    },
    cards: {
      type: 'array',
      items: {
        type: 'object',
        required: ['eventId', 'side', 'minute', 'player', 'playerId', 'card', 'color', 'secondYellow', 'coach', 'revision'],
        properties: {
          eventId: str,
          side,
          minute: str,
          player: str,
          playerId: str,
          card: str,
          color: { type: 'string', enum: ['yellow', 'red'] },
          secondYellow: bool,
          coach: bool,
          revision: count,
        },
      },
    },
    substitutions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['eventId', 'side', 'minute', 'playerIn', 'playerOut', 'inId', 'outId', 'revision'],
        properties: { eventId: str, side, minute: str, playerIn: str, playerOut: str, inId: str, outId: str, revision: count },
      },
    },
    absentPolls: count,
    scoreRevision: count,
    phaseHistory: { type: 'array', items: phase },
    retiredEventIds: { type: 'array', items: str },
    clock: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['phase_started_at', 'base_minute', 'speed'],
          properties: { phase_started_at: str, base_minute: { type: 'number' }, speed: { type: 'number' } },
        },
      ],
    },
  },
} as const;

const validateState = new Ajv({ allErrors: false, strict: true }).compile<MatchState>(matchStateSchema);

/**
 * A stored match state, checked: the state, or why it cannot be used. `key` is what it was stored
 * under; a state stored under another match's id is refused too (forgetting it would miss it).
 */
export function parseMatchState(key: string, json: string): MatchState | SkippedState {
  const skip = (reason: string): SkippedState => ({ matchId: key, reason });
  if (json.length > MAX_STATE_BYTES) return skip(`larger than ${MAX_STATE_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return skip(`not JSON (${(error as Error).message})`);
  }
  if (!validateState(value)) {
    const first = validateState.errors?.[0];
    return skip(`not a match state (${first ? `${first.instancePath || '/'} ${first.message ?? 'invalid'}` : 'invalid'})`);
  }
  if (value.matchId !== key) return skip(`stored under ${quote(key)} but is the state of match ${quote(value.matchId)}`);
  return value;
}

/** Splits stored states into usable ones (sorted by match id) and skipped ones. */
export function parseMatchStates(entries: Iterable<readonly [key: string, json: string]>): { states: MatchState[]; skipped: SkippedState[] } {
  const states: MatchState[] = [];
  const skipped: SkippedState[] = [];
  for (const [key, json] of entries) {
    const parsed = parseMatchState(key, json);
    if ('reason' in parsed) skipped.push(parsed);
    else states.push(parsed);
  }
  states.sort((a, b) => (a.matchId < b.matchId ? -1 : a.matchId > b.matchId ? 1 : 0));
  return { states, skipped };
}
