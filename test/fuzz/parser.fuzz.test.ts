/**
 * Fuzzing the provider side (fast-check): random bytes, random JSON values, and realistic provider
 * bodies with mutated, deleted and retyped fields or truncated text go through `parseReplyText`
 * and then `detect`. Nothing throws, garbage never produces a snapshot (so never an event), and
 * memory does not grow with the number of bodies processed. Hostile bodies (issue 16 item 4): deep
 * nesting anywhere, huge arrays, long strings and invalid UTF-8 are refused or bounded, never thrown.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detect, detectAbsent } from '../../src/detect/diff.js';
import { EVENT_TYPES } from '../../src/domain/events.js';
import type { MatchState } from '../../src/domain/match.js';
import type { MatchSnapshot } from '../../src/upstream/provider.js';
import { MAX_LIST_ITEMS, MAX_TEXT_LENGTH, parseReplyText } from '../../src/upstream/allsportsapi/parse.js';
import { wireCard, wireEnvelope, wireGoal, wireMatch, wireSub, wireVar, wireVars, type WireObject } from '../helpers/wire.js';

const FAILURE_KINDS = new Set(['auth', 'provider_error', 'bad_json', 'bad_format']);

/** A rich live match: goals, cards, substitutions, VAR, coaches. */
function baseMatch(key = 1001): WireObject {
  return wireMatch({
    key,
    status: '67',
    goals: [
      wireGoal('home', '12', 'A. Striker', '1 - 0', { id: '501', assist: 'B. Winger', assistId: '502' }),
      wireGoal('away', '44', 'C. Forward', '1 - 1', { id: '601', info: 'Penalty' }),
      wireGoal('home', '63', 'A. Striker', '2 - 1', { id: '501' }),
    ],
    cards: [wireCard('away', '30', 'D. Defender', 'yellow card', { id: '602' }), wireCard('home', '58', 'E. Back', 'red card', { id: '503' })],
    subs: [wireSub('home', '60', 'F. Sub', 'B. Winger', { in: 504, out: 502 }), wireSub('away', '61', 'G. Sub', 'C. Forward', {}, '')],
    vars: wireVars(wireVar('away', '44', 'C. Forward', 'Penalty confirmed')),
    coaches: { home: ['H. Coach'], away: ['I. Coach'] },
  });
}

type Path = ReadonlyArray<string | number>;

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const paths: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((item, index) => paths.push(...pathsOf(item, [...prefix, index])));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...prefix, key]));
  }
  return paths;
}

type Mutation = { kind: 'set'; at: number; value: unknown } | { kind: 'delete'; at: number } | { kind: 'stringify'; at: number };

function mutate(body: unknown, mutations: readonly Mutation[]): unknown {
  let root = structuredClone(body);
  for (const mutation of mutations) {
    const paths = pathsOf(root);
    const path = paths[mutation.at % paths.length] as Path;
    if (path.length === 0) {
      if (mutation.kind === 'set') root = mutation.value;
      continue;
    }
    let parent = root as Record<string | number, unknown>;
    for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
    const last = path[path.length - 1] as string | number;
    if (mutation.kind === 'set') parent[last] = mutation.value;
    else if (mutation.kind === 'stringify') parent[last] = JSON.stringify(parent[last]) ?? 'undefined';
    else if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  }
  return root;
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    value: fc.constantFrom<unknown>(null, '', '0', 0, -1, 1.5, '1 - 0', ' - ', '9999999999999999999999', 'Finished', 'Half Time', 'After Pen.', [], {}, true),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('stringify' as const), at: fc.nat() }),
);

const mutatedBody = fc
  .tuple(fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.boolean())
  .map(([mutations, two]) => mutate(two ? wireEnvelope(baseMatch(1001), baseMatch(1002)) : wireEnvelope(baseMatch(1001)), mutations));

const baselineStates = (() => {
  const parsed = parseReplyText(JSON.stringify(wireEnvelope(baseMatch(1001), baseMatch(1002))));
  if (!parsed.ok) throw new Error(`baseline body does not parse: ${parsed.error.message}`);
  const states = new Map<string, { state: MatchState; snapshot: MatchSnapshot }>();
  for (const snapshot of parsed.value.matches) {
    const { state } = detect(undefined, snapshot);
    if (state === null) throw new Error('baseline match not followed');
    states.set(snapshot.matchId, { state, snapshot });
  }
  return states;
})();

const EVENT_TYPE_SET = new Set<string>(EVENT_TYPES);

/** Parses a body and runs every match through the detector in both directions; never throws. */
function parseAndDetect(text: string): { ok: boolean; matches: number; events: number } {
  const parsed = parseReplyText(text);
  if (!parsed.ok) {
    if (!FAILURE_KINDS.has(parsed.error.kind)) throw new Error(`unexpected failure kind ${parsed.error.kind}`);
    return { ok: false, matches: 0, events: 0 };
  }
  let events = 0;
  for (const snapshot of parsed.value.matches) {
    const fresh = detect(undefined, snapshot);
    const known = baselineStates.get(snapshot.matchId);
    const after = detect(known?.state, snapshot);
    for (const event of [...fresh.events, ...after.events]) {
      if (!EVENT_TYPE_SET.has(event.type)) throw new Error(`unknown event type ${event.type}`);
    }
    events += fresh.events.length + after.events.length;
    // And back from the mutated state to the good one, and through a vanishing.
    if (after.state !== null) {
      if (known) detect(after.state, known.snapshot);
      detectAbsent(after.state, { kind: 'unconfirmed' }, 3);
      detectAbsent(after.state, { kind: 'found', snapshot }, 3);
    }
  }
  return { ok: true, matches: parsed.value.matches.length, events };
}

describe('provider parser under fuzzing', () => {
  it('never produces a snapshot from random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_048 }), (bytes) => {
        const result = parseAndDetect(Buffer.from(bytes).toString('utf8'));
        expect(result.matches).toBe(0);
        expect(result.events).toBe(0);
      }),
      { numRuns: 2_000 },
    );
  });

  it('never produces a snapshot from random strings and random JSON values', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 500 }), fc.json({ maxDepth: 5 })), (text) => {
        const result = parseAndDetect(text);
        expect(result.matches).toBe(0);
      }),
      { numRuns: 2_000 },
    );
    expect(parseAndDetect('['.repeat(100_000)).ok).toBe(false);
    expect(parseAndDetect('['.repeat(100_000) + ']'.repeat(100_000)).ok).toBe(false);
  });

  it('refuses every truncated body', () => {
    const text = JSON.stringify(wireEnvelope(baseMatch(1001), baseMatch(1002)));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: text.length - 1 }), (cut) => {
        const parsed = parseReplyText(text.slice(0, cut));
        expect(parsed.ok).toBe(false);
        if (!parsed.ok) expect(parsed.error.kind).toBe('bad_json');
      }),
      { numRuns: 1_000 },
    );
  });

  it('survives mutated provider bodies (fields set to random values and types, deleted, stringified) without throwing', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(mutatedBody, (body) => {
        const result = parseAndDetect(JSON.stringify(body) ?? 'undefined');
        if (result.ok) accepted += 1;
        else refused += 1;
      }),
      { numRuns: 800 },
    );
    // Both outcomes occur: the mutations reach fields the parser tolerates and fields it must refuse.
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it('keeps memory bounded over many garbage and mutated bodies', () => {
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    const bodies = fc.sample(
      fc.oneof(
        mutatedBody.map((body) => JSON.stringify(body) ?? ''),
        fc.uint8Array({ maxLength: 4_096 }).map((bytes) => Buffer.from(bytes).toString('utf8')),
        fc.json({ maxDepth: 4 }),
      ),
      { numRuns: 200, seed: 42 },
    );
    const run = (rounds: number) => {
      for (let round = 0; round < rounds; round += 1) for (const body of bodies) parseAndDetect(body);
    };
    run(2); // warm-up: JIT, caches and lazily built structures
    gc();
    const before = process.memoryUsage().heapUsed;
    run(10);
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    // 2 000 bodies processed; a leak of even 2 KB each would show as ~4 MB.
    expect(growth).toBeLessThan(4 * 1024 * 1024);
  });
});

/** JSON text of a value nested `depth` levels deep, built as text (no recursion). */
function deepText(depth: number, shape: 'array' | 'object'): string {
  return shape === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"x":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** A reply whose first match has `field` set to raw JSON text. */
function replyWithRawField(field: string, rawJson: string, match: WireObject = baseMatch(1001)): string {
  const text = JSON.stringify(match);
  return `{"success":1,"result":[${text.slice(0, -1)},${JSON.stringify(field)}:${rawJson}}]}`;
}

function textsOf(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const item of value) textsOf(item, into);
  else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) textsOf(item, into);
  return into;
}

/** Parses without throwing; an accepted reply has bounded lists and texts. */
function parseBounded(text: string): { ok: boolean; kind?: string } {
  const parsed = parseReplyText(text);
  if (!parsed.ok) {
    if (!FAILURE_KINDS.has(parsed.error.kind)) throw new Error(`unexpected failure kind ${parsed.error.kind}`);
    expect(parsed.error.message.length).toBeLessThan(1_000);
    return { ok: false, kind: parsed.error.kind };
  }
  for (const match of parsed.value.matches) {
    for (const list of [match.goals, match.cards, match.substitutions, match.vars, match.missedPenalties]) expect(list.length).toBeLessThanOrEqual(MAX_LIST_ITEMS);
    for (const value of textsOf(match)) expect(value.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
    expect(() => JSON.stringify(match)).not.toThrow();
  }
  expect(parsed.value.warnings.length).toBeLessThanOrEqual(101);
  return { ok: true };
}

describe('provider parser under hostile bodies', () => {
  it('deep nesting: ignored in unknown fields, refused in fields the parser reads, never thrown', () => {
    for (const depth of [1_000, 6_000, 50_000]) {
      for (const shape of ['array', 'object'] as const) {
        const deep = deepText(depth, shape);
        expect(parseBounded(deep).ok).toBe(false);
        expect(parseBounded(`{"success":${deep},"result":[]}`)).toEqual({ ok: false, kind: 'provider_error' });
        expect(parseBounded(`{"success":1,"result":${deep}}`).ok).toBe(false);
        // Unknown fields are never read, however deep.
        expect(parseBounded(replyWithRawField('extra', deep))).toEqual({ ok: true });
        expect(parseBounded(replyWithRawField('statistics', deep))).toEqual({ ok: true });
        for (const field of ['event_key', 'event_status', 'home_team_key', 'goalscorers', 'vars', 'lineups']) {
          expect(() => parseBounded(replyWithRawField(field, deep)), `${field} ${shape} ${depth}`).not.toThrow();
        }
        expect(parseBounded(replyWithRawField('event_key', deep))).toEqual({ ok: false, kind: 'bad_format' });
      }
    }
  });

  it('huge arrays and long strings are refused with a short message, never carried into a snapshot', () => {
    const goals = Array.from({ length: MAX_LIST_ITEMS + 1 }, (_, i) => wireGoal('home', String(1 + (i % 90)), 'A. Striker', `${i + 1} - 0`));
    const refused = [
      JSON.stringify(wireEnvelope(wireMatch({ key: 1, goals }))),
      JSON.stringify(wireEnvelope(wireMatch({ key: 1, home: 'H'.repeat(MAX_TEXT_LENGTH + 1) }))),
      JSON.stringify(wireEnvelope(wireMatch({ key: 1, league: 'L'.repeat(5_000_000) }))),
      JSON.stringify(wireEnvelope({ ...wireMatch({ key: 1 }), event_key: '7'.repeat(1_000_000) })),
      JSON.stringify(wireEnvelope({ ...wireMatch({ key: 1 }), home_team_key: '7'.repeat(100) })),
    ];
    for (const body of refused) expect(parseBounded(body)).toEqual({ ok: false, kind: 'bad_format' });
    // Huge but unknown: ignored. Huge provider messages: cut short.
    expect(parseBounded(replyWithRawField('statistics', JSON.stringify(Array.from({ length: 200_000 }, (_, i) => i))))).toEqual({ ok: true });
    expect(parseBounded(JSON.stringify({ success: 0, result: Array.from({ length: 1_000 }, () => ({ msg: 'm'.repeat(10_000), cod: 1 })) })).ok).toBe(false);
    // Many coaches, or absurd ones, yield no coach rather than a huge list.
    const manyCoaches = wireMatch({
      key: 1,
      coaches: { home: Array.from({ length: 10_000 }, (_, i) => `C${i}`), away: ['X'.repeat(5_000), 'Real Coach'] },
      cards: [wireCard('home', '10', 'C1', 'yellow card'), wireCard('away', '20', 'Real Coach', 'yellow card')],
    });
    const parsed = parseReplyText(JSON.stringify(wireEnvelope(manyCoaches)));
    expect(parsed.ok && parsed.value.matches[0]?.cards.map((c) => c.coach)).toEqual([false, true]);
    // Thousands of skipped items: the warnings are cut short.
    const sideless = Array.from({ length: MAX_LIST_ITEMS }, () => ({ ...wireGoal('home', '5', '', '9 - 9'), info: '' }));
    const many = parseReplyText(JSON.stringify(wireEnvelope(...Array.from({ length: 5 }, (_, i) => wireMatch({ key: i + 1, goals: sideless })))));
    expect(many.ok && many.value.warnings.length).toBe(101);
  });

  it('invalid UTF-8 and random hostile shapes never throw', () => {
    const body = JSON.stringify(wireEnvelope(baseMatch(1001)));
    const deepValue = fc.integer({ min: 1, max: 8_000 }).map((depth) => deepText(depth, depth % 2 === 0 ? 'array' : 'object'));
    const hostile = fc.oneof(
      // Invalid UTF-8 bytes spliced into a real body (a reply is decoded leniently: U+FFFD).
      fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 32 })).map(([at, bytes]) => {
        const cut = at % body.length;
        return Buffer.concat([Buffer.from(body.slice(0, cut)), Buffer.from(bytes), Buffer.from(body.slice(cut))]).toString('utf8');
      }),
      fc.tuple(fc.constantFrom('extra', 'event_key', 'event_home_team', 'goalscorers', 'cards', 'substitutes', 'vars', 'lineups', 'event_live'), deepValue).map(
        ([field, deep]) => replyWithRawField(field, deep),
      ),
      fc.tuple(fc.constantFrom('goalscorers', 'cards', 'substitutes'), fc.integer({ min: 0, max: 2_000 }), fc.jsonValue({ maxDepth: 2 })).map(
        ([field, length, item]) => JSON.stringify(wireEnvelope({ ...baseMatch(1001), [field]: Array.from({ length }, () => item) })),
      ),
    );
    fc.assert(
      fc.property(hostile, (text) => {
        parseBounded(text);
      }),
      { numRuns: 600 },
    );
  });
});
