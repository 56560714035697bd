/**
 * The writer's upstream health as recorded for the other processes (workers, nodes) and read back
 * by them for `/health`: API-Football's `quota` is checked field by field, and only its three counts
 * reach `/health` (anyone with access to the store can write the record).
 */
import { expect, it } from 'vitest';
import { parseUpstreamHealthRecord } from '../../src/app/upstream-health.js';

const base = { lastSuccessAt: '2026-01-01T00:00:00.000Z', lastFailureAt: null, lastFailureKind: null, lastFailureMessage: null, consecutiveFailures: 0, breaker: 'closed' };

it('a recorded quota comes back with its three counts and nothing else', () => {
  const parsed = parseUpstreamHealthRecord(JSON.stringify({ ...base, quota: { day_remaining: 89, day_limit: 100, minute_remaining: null, extra: 'x' } }));
  expect(parsed?.quota).toEqual({ day_remaining: 89, day_limit: 100, minute_remaining: null });
});

it('a record without a quota (AllSportsAPI) has none', () => {
  const parsed = parseUpstreamHealthRecord(JSON.stringify(base));
  expect(parsed).toBeDefined();
  expect(parsed?.quota).toBeUndefined();
});

it.each([
  ['a negative count', { day_remaining: -1, day_limit: 100, minute_remaining: 1 }],
  ['a fraction', { day_remaining: 1.5, day_limit: 100, minute_remaining: 1 }],
  ['text', { day_remaining: '9', day_limit: 100, minute_remaining: 1 }],
  ['a missing count', { day_remaining: 9, day_limit: 100 }],
  ['not an object', 'plenty'],
  ['null', null],
])('a quota with %s makes the record unreadable', (_what, quota) => {
  expect(parseUpstreamHealthRecord(JSON.stringify({ ...base, quota }))).toBeUndefined();
});
