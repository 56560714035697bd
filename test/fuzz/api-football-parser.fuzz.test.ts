/**
 * Fuzzing API-Football's parser (fast-check): random JSON, and recorded answers with fields
 * mutated, deleted, retyped, deeply nested or oversized, go through the parser and the detector.
 * Nothing throws; what the parser cannot use it drops and counts; a reply it accepts yields
 * snapshots the detector takes; over-long text and lists are refused, never cut.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detect } from '../../src/detect/diff.js';
import { parseApiFootballReply, parseApiFootballText } from '../../src/upstream/api-football/parser.js';
import { MAX_TEXT_LENGTH } from '../../src/upstream/provider.js';

const SAMPLE = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/api-football/fixtures_live_2024-02-19_eight_inplay_var_offside_redcards.json'), 'utf8'),
) as { response: unknown[] };

type Path = ReadonlyArray<string | number>;
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const paths: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((item, index) => paths.push(...pathsOf(item, [...prefix, index])));
  else if (typeof value === 'object' && value !== null) for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...prefix, key]));
  return paths;
}

function mutate(body: unknown, path: Path, value: unknown, remove: boolean): unknown {
  if (path.length === 0) return remove ? undefined : value;
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (remove) delete node[last];
  else node[last] = value;
  return copy;
}

const nested = (depth: number): unknown => {
  let value: unknown = 'x';
  for (let i = 0; i < depth; i += 1) value = { a: [value] };
  return value;
};

const hostile = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(null, '', 0, -1, 1e308, Number.NaN, [], {}, 'x'.repeat(MAX_TEXT_LENGTH + 1), nested(20_000), Array.from({ length: 5_000 }, () => ({}))),
);

function checkedRun(body: unknown): void {
  const reply = parseApiFootballReply(body);
  if (!reply.ok) return;
  for (const snapshot of reply.value.matches) {
    const first = detect(undefined, snapshot);
    detect(first.state ?? undefined, snapshot);
  }
}

describe('API-Football parser under hostile input', () => {
  it('random JSON never throws', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => void checkedRun(value)), { numRuns: 500 });
  });

  it('a recorded answer with any field mutated, deleted or made hostile never throws, and at most that fixture is lost', () => {
    const body = { get: 'fixtures', parameters: { live: 'all' }, errors: [], results: SAMPLE.response.length, paging: { current: 1, total: 1 }, response: SAMPLE.response.slice(0, 3) };
    const paths = pathsOf(body).filter((p) => p.length > 0);
    fc.assert(
      fc.property(fc.nat(paths.length - 1), hostile, fc.boolean(), (index, value, remove) => {
        const path = paths[index] as Path;
        const mutated = mutate(body, path, value, remove);
        checkedRun(mutated);
        const reply = parseApiFootballReply(mutated);
        if (reply.ok && path[0] === 'response' && typeof path[1] === 'number') {
          // Only the fixture the mutation touched may be lost.
          expect(reply.value.matches.length).toBeGreaterThanOrEqual(2);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('over-long text is refused (the event or fixture dropped and counted), never cut', () => {
    const fixture = structuredClone(SAMPLE.response[0]) as { teams: { home: { name: string } }; events: Array<{ player: { name: string } }> };
    fixture.events[0] = { ...(fixture.events[0] as { player: { name: string } }), player: { name: 'y'.repeat(MAX_TEXT_LENGTH + 1) } };
    const reply = parseApiFootballReply({ errors: [], response: [fixture] });
    expect(reply.ok && reply.value.dropped).toBe(1);
    expect(reply.ok && reply.value.matches.length).toBe(1);
    fixture.teams.home.name = 'z'.repeat(MAX_TEXT_LENGTH + 1);
    const refused = parseApiFootballReply({ errors: [], response: [fixture] });
    expect(refused.ok && [refused.value.matches.length, refused.value.dropped]).toEqual([0, 1]);
  });

  it('raw bytes: invalid JSON is bad_json, never a throw', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const reply = parseApiFootballText(text);
        if (!reply.ok) expect(['bad_json', 'bad_format', 'provider_error', 'auth', 'quota', 'rate_limited', 'plan']).toContain(reply.error.kind);
      }),
      { numRuns: 300 },
    );
  });
});
