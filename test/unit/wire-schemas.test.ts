/**
 * The wire protocol has one source: the JSON Schemas in the SDK (`packages/client/src/schema.ts`).
 * The TypeScript types in `packages/client/src/wire.ts` are generated from them
 * (`wire.from-schema.ts` derives them with json-schema-to-ts, `scripts/gen-wire-types.mjs` prints
 * them); the service's schemas, AsyncAPI and OpenAPI documents, codes and minute arithmetic come
 * from the same module. The `agree` checks fail `tsc` when the generated types differ from what
 * the schemas describe; the run-time tests check that the file is up to date and that the service
 * uses the SDK's objects, not copies.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as Protocol from '@football-streaming-core/client/protocol';
import { describe, expect, it } from 'vitest';
import type * as Derived from '../../packages/client/src/wire.from-schema.js';
import type * as Wire from '@football-streaming-core/client/wire';
import { EVENT_TYPES } from '../../src/domain/events.js';
import { CloseCode, ErrorCode, LibraryCloseCode } from '../../src/domain/protocol.js';
import { minuteDistance, minuteSortKey, minuteValue } from '../../src/detect/minute.js';
import { clientSchemas, controlSchemas, eventSchemas, matchViewSchema, PHASES } from '../../src/server/schemas.js';

/** `readonly` arrays are a promise about the reader's code, not a difference on the wire. */
type DeepMutable<T> = T extends readonly (infer U)[] ? DeepMutable<U>[] : T extends object ? { -readonly [K in keyof T]: DeepMutable<T[K]> } : T;
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree = <_ extends true>(): void => undefined;
type Same<A, B> = Mutual<DeepMutable<A>, DeepMutable<B>>;

agree<Same<Derived.Phase, Wire.Phase>>();
agree<Same<Derived.TeamSide, Wire.TeamSide>>();
agree<Same<Derived.MatchClock, Wire.MatchClock>>();
agree<Same<Derived.GoalView, Wire.GoalView>>();
agree<Same<Derived.CardView, Wire.CardView>>();
agree<Same<Derived.SubstitutionView, Wire.SubstitutionView>>();
agree<Same<Derived.MatchView, Wire.MatchView>>();
agree<Same<Derived.EventType, Wire.EventType>>();
agree<Same<Derived.MatchStartedEvent, Wire.MatchStartedEvent>>();
agree<Same<Derived.GoalScoredEvent, Wire.GoalScoredEvent>>();
agree<Same<Derived.CardIssuedEvent, Wire.CardIssuedEvent>>();
agree<Same<Derived.SubstitutionEvent, Wire.SubstitutionEvent>>();
agree<Same<Derived.ScoreUpdateEvent, Wire.ScoreUpdateEvent>>();
agree<Same<Derived.MatchEndedEvent, Wire.MatchEndedEvent>>();
agree<Same<Derived.GoalCancelledEvent, Wire.GoalCancelledEvent>>();
agree<Same<Derived.GoalUpdatedEvent, Wire.GoalUpdatedEvent>>();
agree<Same<Derived.CardCancelledEvent, Wire.CardCancelledEvent>>();
agree<Same<Derived.CardUpdatedEvent, Wire.CardUpdatedEvent>>();
agree<Same<Derived.SubstitutionCancelledEvent, Wire.SubstitutionCancelledEvent>>();
agree<Same<Derived.SubstitutionUpdatedEvent, Wire.SubstitutionUpdatedEvent>>();
agree<Same<Derived.StatusChangedEvent, Wire.StatusChangedEvent>>();
agree<Same<Derived.MatchEvent, Wire.MatchEvent>>();
agree<Same<Derived.EventStamp, Wire.EventStamp>>();
agree<Same<Derived.WireEvent, Wire.WireEvent>>();
agree<Same<Derived.ErrorCodeName, Wire.ErrorCodeName>>();
agree<Same<Derived.SubscribedMessage, Wire.SubscribedMessage>>();
agree<Same<Derived.SnapshotMessage, Wire.SnapshotMessage>>();
agree<Same<Derived.ErrorMessage, Wire.ErrorMessage>>();
agree<Same<Derived.ServerMessage, Wire.ServerMessage>>();
agree<Same<Derived.ServerFrame, Wire.ServerFrame>>();
agree<Same<Derived.ClientFrame, Wire.ClientFrame>>();

describe('wire schemas', () => {
  it('cover every event type, and nothing else', () => {
    expect(Object.keys(eventSchemas).sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('name every client action the protocol parser knows', () => {
    expect(Object.keys(clientSchemas).sort()).toEqual(['ping', 'snapshot', 'subscribe', 'subscribe_all', 'unsubscribe']);
  });

  it('generate packages/client/src/wire.ts: the file is what the schemas derive', () => {
    const generator = fileURLToPath(new URL('../../packages/client/scripts/gen-wire-types.mjs', import.meta.url));
    const result = spawnSync(process.execPath, [generator, '--check'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  }, 60_000);

  it('are one copy: the service uses the SDK protocol module (schemas, codes, minute arithmetic)', () => {
    expect(eventSchemas).toBe(Protocol.eventSchemas);
    expect(controlSchemas).toBe(Protocol.controlSchemas);
    expect(matchViewSchema).toBe(Protocol.matchViewSchema);
    expect(PHASES).toBe(Protocol.PHASES);
    expect(CloseCode).toBe(Protocol.CloseCode);
    expect(LibraryCloseCode).toBe(Protocol.LibraryCloseCode);
    expect(ErrorCode).toBe(Protocol.ErrorCode);
    expect(minuteSortKey).toBe(Protocol.minuteSortKey);
    expect(minuteValue).toBe(Protocol.minuteValue);
    expect(minuteDistance).toBe(Protocol.minuteDistance);
  });
});
