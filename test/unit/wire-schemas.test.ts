/**
 * The JSON Schemas (src/server/schemas.ts) and the TypeScript wire types (src/domain) describe the
 * same frames. The `Agree` checks below fail `tsc` when either side changes without the other
 * (json-schema-to-ts derives the type a schema describes); the run-time tests check what types
 * cannot: every event type has a schema, and sample frames validate.
 */
import type { FromSchema } from 'json-schema-to-ts';
import { describe, expect, it } from 'vitest';
import type * as E from '../../src/domain/events.js';
import { EVENT_TYPES } from '../../src/domain/events.js';
import type { ServerMessage } from '../../src/domain/protocol.js';
import type { MatchView } from '../../src/domain/views.js';
import { clientSchemas, controlSchemas, eventSchemas, matchViewSchema, PHASES } from '../../src/server/schemas.js';
import type { Phase } from '../../src/domain/match.js';

/** `clock` is being added to the TypeScript types by another change; the schema has it optional, so it is left out of the comparison. */
type Comparable<T> = DeepMutable<Omit<T, 'clock'>>;
/** `readonly` is a promise about the sender's code, not a difference on the wire. */
type DeepMutable<T> = T extends readonly (infer U)[] ? DeepMutable<U>[] : T extends object ? { -readonly [K in keyof T]: DeepMutable<T[K]> } : T;
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** `true` only when the schema's type and the TypeScript type are assignable both ways. */
type Agree<S, T> = Mutual<Comparable<S>, Comparable<T>>;
const agree = <_ extends true>(): void => undefined;

type Wire<T> = T & { timestamp: string; seq: number };
type Of<K extends keyof typeof eventSchemas> = FromSchema<(typeof eventSchemas)[K]>;

agree<Agree<Of<'MATCH_STARTED'>, Wire<E.MatchStartedEvent>>>();
agree<Agree<Of<'GOAL_SCORED'>, Wire<E.GoalScoredEvent>>>();
agree<Agree<Of<'CARD_ISSUED'>, Wire<E.CardIssuedEvent>>>();
agree<Agree<Of<'SUBSTITUTION'>, Wire<E.SubstitutionEvent>>>();
agree<Agree<Of<'SCORE_UPDATE'>, Wire<E.ScoreUpdateEvent>>>();
agree<Agree<Of<'MATCH_ENDED'>, Wire<E.MatchEndedEvent>>>();
agree<Agree<Of<'GOAL_CANCELLED'>, Wire<E.GoalCancelledEvent>>>();
agree<Agree<Of<'GOAL_UPDATED'>, Wire<E.GoalUpdatedEvent>>>();
agree<Agree<Of<'CARD_CANCELLED'>, Wire<E.CardCancelledEvent>>>();
agree<Agree<Of<'CARD_UPDATED'>, Wire<E.CardUpdatedEvent>>>();
agree<Agree<Of<'SUBSTITUTION_CANCELLED'>, Wire<E.SubstitutionCancelledEvent>>>();
agree<Agree<Of<'SUBSTITUTION_UPDATED'>, Wire<E.SubstitutionUpdatedEvent>>>();
agree<Agree<Of<'STATUS_CHANGED'>, Wire<E.StatusChangedEvent>>>();
agree<Agree<FromSchema<typeof matchViewSchema>, MatchView>>();
agree<Mutual<(typeof PHASES)[number], Phase>>();

type Frame<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;
agree<Agree<FromSchema<typeof controlSchemas.SUBSCRIBED>, Frame<'SUBSCRIBED'>>>();
agree<Agree<FromSchema<typeof controlSchemas.UNSUBSCRIBED>, Frame<'UNSUBSCRIBED'>>>();
agree<Agree<FromSchema<typeof controlSchemas.PONG>, Frame<'PONG'>>>();
agree<Agree<FromSchema<typeof controlSchemas.ERROR>, Frame<'ERROR'>>>();
// ServerMessage types matches as unknown[]; on the wire they are match views.
agree<Agree<FromSchema<typeof controlSchemas.SNAPSHOT>, Omit<Frame<'SNAPSHOT'>, 'matches'> & { matches: MatchView[] }>>();

describe('wire schemas', () => {
  it('cover every event type, and nothing else', () => {
    expect(Object.keys(eventSchemas).sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('name every client action the protocol parser knows', () => {
    expect(Object.keys(clientSchemas).sort()).toEqual(['ping', 'snapshot', 'subscribe', 'subscribe_all', 'unsubscribe']);
  });
});
