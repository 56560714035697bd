/**
 * Fuzzing the push decoder (issue 16 item 4): one frame with an unknown field nested ~6,000 levels
 * deep (~12 KB) threw `Maximum call stack size exceeded` out of the socket handler and ended the
 * process. Frames with deep nesting (in unknown fields, in known ones, as the frame itself), huge
 * arrays, long strings, invalid UTF-8 and random JSON go through `PushFrameDecoder.decode`: it never
 * throws, garbage never yields a snapshot, what it yields is bounded, and a real match object that
 * merely carries a deep unknown field is still delivered.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PushFrameDecoder } from '../../src/upstream/allsportsapi/push.js';
import { MAX_LIST_ITEMS, MAX_TEXT_LENGTH } from '../../src/upstream/allsportsapi/parse.js';
import type { MatchSnapshot } from '../../src/upstream/provider.js';
import { wireGoal, wireMatch, type WireObject } from '../helpers/wire.js';

/** JSON text of a value nested `depth` levels deep (arrays, objects or both), built as text: no recursion. */
function deepText(depth: number, shape: 'array' | 'object' | 'mixed' = 'array'): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i += 1) {
    const array = shape === 'array' || (shape === 'mixed' && i % 2 === 0);
    open += array ? '[' : '{"x":';
    close = (array ? ']' : '}') + close;
  }
  return `${open}1${close}`;
}

/** A match object's JSON with `field` set to raw JSON text (a value too deep to build as an object and stringify). */
function withRawField(match: WireObject, field: string, rawJson: string): string {
  const text = JSON.stringify(match);
  return `${text.slice(0, -1)},${JSON.stringify(field)}:${rawJson}}`;
}

function textFieldsOf(snapshot: MatchSnapshot): string[] {
  const texts: string[] = [];
  const visit = (value: unknown) => {
    if (typeof value === 'string') texts.push(value);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(visit);
  };
  visit(snapshot);
  return texts;
}

/** Decodes and checks what any frame must satisfy; returns the frame's outcome. */
function decodeChecked(decoder: PushFrameDecoder, text: string) {
  const frame = decoder.decode(text);
  for (const snapshot of frame.snapshots) {
    expect(snapshot.goals.length).toBeLessThanOrEqual(MAX_LIST_ITEMS);
    expect(snapshot.cards.length).toBeLessThanOrEqual(MAX_LIST_ITEMS);
    expect(snapshot.substitutions.length).toBeLessThanOrEqual(MAX_LIST_ITEMS);
    for (const value of textFieldsOf(snapshot)) expect(value.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
    // The snapshot is ours: always serialisable.
    expect(() => JSON.stringify(snapshot)).not.toThrow();
  }
  if (frame.outcome === 'garbage') expect(frame.snapshots).toEqual([]);
  return frame;
}

describe('push decoder under hostile frames', () => {
  it('the frame that killed the service: a match with an unknown field nested 6,000 deep is delivered, the field ignored', () => {
    const decoder = new PushFrameDecoder();
    const frame = `[${withRawField(wireMatch({ key: 5001, status: '23' }), 'extra', deepText(6_000))}]`;
    expect(frame.length).toBeLessThan(14_000);
    const first = decodeChecked(decoder, frame);
    expect(first.outcome).toBe('ok');
    expect(first.snapshots.map((s) => s.matchId)).toEqual(['5001']);
    // Again (the provider repeats it): a duplicate, still no throw.
    expect(decodeChecked(decoder, frame).outcome).toBe('duplicate');
    // And a real change to that match still gets through.
    const next = decodeChecked(decoder, `[${withRawField(wireMatch({ key: 5001, status: '24' }), 'extra', deepText(6_000, 'object'))}]`);
    expect(next.snapshots.map((s) => s.statusText)).toEqual(['24']);
  });

  it('deep nesting anywhere: as the frame, as event_key, inside a goal, in the line-ups, as a field of the envelope', () => {
    const decoder = new PushFrameDecoder();
    for (const depth of [100, 6_000, 50_000]) {
      for (const shape of ['array', 'object', 'mixed'] as const) {
        const deep = deepText(depth, shape);
        const frames = [
          deep,
          `{"result":${deep}}`,
          `{"success":${deep},"result":[]}`,
          `[${withRawField(wireMatch({ key: 5002 }), 'event_key', deep)}]`,
          `[${withRawField(wireMatch({ key: 5003 }), 'event_status', deep)}]`,
          `[${JSON.stringify(wireMatch({ key: 5004, goals: [{ ...wireGoal('home', '3', 'A', '1 - 0') } as WireObject] })).replace('"info_time"', `"deep":${deep},"info_time"`)}]`,
          `[${withRawField(wireMatch({ key: 5005 }), 'lineups', `{"home_team":{"coaches":${deep}}}`)}]`,
          `[${withRawField(wireMatch({ key: 5006 }), 'vars', `{"home_team":[${deep}]}`)}]`,
        ];
        for (const frame of frames) expect(() => decodeChecked(decoder, frame), `${shape} ${depth}: ${frame.slice(0, 60)}`).not.toThrow();
      }
    }
    // A deep value inside a field the parser reads is refused (counted as oversized), never kept.
    const inGoal = decoder.decode(
      `[${JSON.stringify(wireMatch({ key: 5007, goals: [wireGoal('home', '3', 'A', '1 - 0')] })).replace('"info_time"', `"deep":${deepText(6_000)},"info_time"`)}]`,
    );
    expect(inGoal.snapshots).toEqual([]);
    expect(inGoal.rejected.map((r) => r.reason)).toEqual(['oversized']);
  });

  it('huge arrays and long strings: refused or bounded, never thrown', () => {
    const decoder = new PushFrameDecoder();
    const manyGoals = Array.from({ length: MAX_LIST_ITEMS + 1 }, (_, i) => wireGoal('home', String(i % 90), 'A', `${i + 1} - 0`));
    const frames = [
      JSON.stringify(Array.from({ length: 200_000 }, () => 1)),
      JSON.stringify(Array.from({ length: 20_000 }, (_, i) => ({ event_key: i + 1 }))),
      JSON.stringify([wireMatch({ key: 5010, goals: manyGoals })]),
      JSON.stringify([wireMatch({ key: 5011, home: 'H'.repeat(2_000_000) })]),
      JSON.stringify([{ ...wireMatch({ key: 5012 }), event_key: '9'.repeat(1_000_000) }]),
      JSON.stringify([{ ...wireMatch({ key: 5013 }), statistics: Array.from({ length: 100_000 }, (_, i) => ({ type: 'x', home: i })) }]),
      JSON.stringify({ success: 0, result: [{ msg: 'm'.repeat(1_000_000) }] }),
      `"${'x'.repeat(3_000_000)}"`,
    ];
    const outcomes = frames.map((frame) => decodeChecked(decoder, frame));
    // 200,000 objects in one frame: garbage without parsing each one.
    expect(outcomes[0]?.outcome).toBe('garbage');
    expect(outcomes[0]?.rejected).toEqual([]);
    // A huge unknown field (statistics) is left behind: the match itself is delivered.
    expect(outcomes[5]?.snapshots.map((s) => s.matchId)).toEqual(['5013']);
    for (const index of [2, 3, 4]) expect(outcomes[index]?.snapshots, `frame ${index}`).toEqual([]);
  });

  it('random bytes (invalid UTF-8 included), random JSON and mutated match objects never throw', () => {
    const decoder = new PushFrameDecoder();
    const deepValue = fc.integer({ min: 1, max: 8_000 }).map((depth) => deepText(depth, depth % 3 === 0 ? 'object' : depth % 3 === 1 ? 'array' : 'mixed'));
    const frame = fc.oneof(
      fc.uint8Array({ maxLength: 2_048 }).map((bytes) => Buffer.from(bytes).toString('utf8')),
      fc.string({ unit: 'binary', maxLength: 500 }),
      fc.json({ maxDepth: 6 }),
      fc.tuple(fc.integer({ min: 1, max: 50 }), fc.constantFrom('extra', 'event_key', 'goalscorers', 'cards', 'substitutes', 'vars', 'lineups', 'event_home_team'), deepValue).map(
        ([key, field, deep]) => `[${withRawField(wireMatch({ key }), field, deep)}]`,
      ),
      fc.tuple(fc.integer({ min: 1, max: 50 }), fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('event_status', 'event_final_result', 'goalscorers', 'lineups', 'x')).map(
        ([key, value, field]) => JSON.stringify([{ ...wireMatch({ key }), [field]: value }]),
      ),
      // Invalid UTF-8 inside a string of a real match object (as a binary frame would bring it).
      fc.tuple(fc.integer({ min: 1, max: 50 }), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([key, bytes]) => {
        const text = JSON.stringify([wireMatch({ key, home: 'PLACEHOLDER' })]);
        const [before, after] = text.split('PLACEHOLDER') as [string, string];
        return Buffer.concat([Buffer.from(before), Buffer.from(bytes.filter((b) => b !== 0x22 && b !== 0x5c && b >= 0x20)), Buffer.from(after)]).toString('utf8');
      }),
    );
    fc.assert(
      fc.property(frame, (text) => {
        decodeChecked(decoder, text);
      }),
      { numRuns: 1_500 },
    );
  });
});
