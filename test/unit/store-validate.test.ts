/**
 * What stores read back is checked (src/store/validate.ts): the match state schema must accept
 * every state the detector produces (a rejected real state would be left out of the book and
 * announced again), and refuse what would crash its readers. `Agree` below fails `tsc` when
 * `MatchState` and its schema drift apart (json-schema-to-ts derives the type the schema describes).
 */
import type { FromSchema } from 'json-schema-to-ts';
import { describe, expect, it } from 'vitest';
import { stampClocks } from '../../src/domain/clock.js';
import type { MatchState } from '../../src/domain/match.js';
import { detect, detectAbsent } from '../../src/detect/diff.js';
import { matchdayLengthSecs, renderLivescore, toProviderJson } from '../../src/sim/render/allsportsapi/index.js';
import { isCorruption, matchStateSchema, parseCounter, parseEpoch, parseMatchState, StoreCorruptError } from '../../src/store/validate.js';
import { parseReplyText } from '../../src/upstream/allsportsapi/parse.js';

type DeepMutable<T> = T extends readonly (infer U)[] ? DeepMutable<U>[] : T extends object ? { -readonly [K in keyof T]: DeepMutable<T[K]> } : T;
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree = <_ extends true>(): void => undefined;
/** The schema allows extra fields (a newer version's): the comparison is about the known ones. */
type Known<T> = T extends readonly (infer U)[] ? Known<U>[] : T extends object ? { [K in keyof T as string extends K ? never : K]: Known<T[K]> } : T;
agree<Mutual<DeepMutable<Known<FromSchema<typeof matchStateSchema>>>, DeepMutable<MatchState>>>();

/** Every state a whole simulated matchday goes through, stamped with its clock as the ingestor does. */
function statesOfAMatchday(): MatchState[] {
  const book = new Map<string, MatchState>();
  const seen: MatchState[] = [];
  for (let simSecs = 0; simSecs < matchdayLengthSecs; simSecs += 30) {
    const reply = parseReplyText(toProviderJson(renderLivescore(simSecs)));
    if (!reply.ok) throw new Error(reply.error.message);
    const listed = new Set(reply.value.matches.map((m) => m.matchId));
    const changed: MatchState[] = [];
    for (const snapshot of reply.value.matches) {
      const { state } = detect(book.get(snapshot.matchId), snapshot);
      if (state !== null) changed.push(state);
    }
    for (const state of [...book.values()].filter((s) => !listed.has(s.matchId) && !s.ended)) {
      const { state: next } = detectAbsent(state, { kind: 'unconfirmed' }, 3);
      if (next !== null) changed.push(next);
    }
    stampClocks({ events: [], states: changed }, (id) => book.get(id), new Date(1_700_000_000_000 + simSecs * 1000), 1);
    for (const state of changed) {
      book.set(state.matchId, state);
      seen.push(state);
    }
  }
  return seen;
}

describe('stored match states', () => {
  it('every state of a simulated matchday passes (round-tripped through JSON, as stored)', () => {
    const states = statesOfAMatchday();
    expect(states.length).toBeGreaterThan(100);
    expect(states.some((s) => s.goals.length > 0 && s.cards.length > 0 && s.substitutions.length > 0 && s.clock)).toBe(true);
    for (const state of states) {
      const parsed = parseMatchState(state.matchId, JSON.stringify(state));
      expect(parsed, JSON.stringify(parsed)).toEqual(state);
    }
  });

  it('refuses what would crash a reader, saying why', () => {
    const [real] = statesOfAMatchday().filter((s) => s.goals.length > 0);
    const good = real as MatchState;
    const cases: Array<[string, string]> = [
      ['not json', 'not JSON'],
      ['{}', "must have required property 'matchId'"],
      ['[]', 'must be object'],
      ['null', 'must be object'],
      ['42', 'must be object'],
      [JSON.stringify({ ...good, goals: [null] }), '/goals/0'],
      [JSON.stringify({ ...good, goals: 'many' }), '/goals'],
      [JSON.stringify({ ...good, score: { home: 'two', away: 0 } }), '/score/home'],
      [JSON.stringify({ ...good, phase: 'warm_up' }), '/phase'],
      [JSON.stringify({ ...good, matchId: 'another' }), 'stored under'],
      [`{"matchId":"${good.matchId}","x":"${'a'.repeat(1 << 20)}"}`, 'larger than'],
    ];
    for (const [json, reason] of cases) {
      const parsed = parseMatchState(good.matchId, json);
      expect('reason' in parsed ? parsed.reason : 'accepted', json.slice(0, 80)).toContain(reason);
    }
  });
});

describe('stored counters and epochs', () => {
  it('accept what the stores write, refuse anything else as corruption', () => {
    expect(parseCounter(null, 'x')).toBe(0);
    expect(parseCounter('0', 'x')).toBe(0);
    expect(parseCounter('123456', 'x')).toBe(123456);
    expect(parseCounter(42, 'x')).toBe(42);
    for (const bad of ['abc', '', '-1', '1.5', '1e3', ' 1', '99999999999999999', 'NaN']) {
      expect(() => parseCounter(bad, 'fsc:head seq'), bad).toThrow(StoreCorruptError);
    }
    const error = (() => {
      try {
        parseCounter('abc', 'fsc:head seq');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(isCorruption(error)).toBe(true);
    expect(String((error as Error).message)).toContain('fsc:head seq is not a sequence number ("abc")');
    expect(parseEpoch('0b7c7a8e-4a1f-4d7e-9f1e-2d4c1b3a5e6f', 'e')).toBe('0b7c7a8e-4a1f-4d7e-9f1e-2d4c1b3a5e6f');
    for (const bad of ['', 'a/b', 'line\nbreak', 'x'.repeat(129), 'ü']) expect(() => parseEpoch(bad, 'fsc:epoch')).toThrow(StoreCorruptError);
  });
});
