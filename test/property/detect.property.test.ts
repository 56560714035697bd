/**
 * Property-based proof of event fidelity (issue 3): random true matchdays, rendered as the noisy
 * provider replies a poller sees, driven through the real PollingSource and Ingestor.
 * The oracle in ./timeline.ts checks, poll by poll, that
 *   (1) every true incident shown in a fed snapshot is announced exactly once (on its own, or inside
 *       MATCH_STARTED when it preceded first sight), under a stable event_id;
 *   (2) nothing else is emitted: no duplicate, no event for noise (reordering, repeated polls,
 *       corrected minutes, late ids, faulty replies, a match missing from a poll), every
 *       *_CANCELLED is a true cancellation, every *_UPDATED / SCORE_UPDATE / STATUS_CHANGED a real
 *       change;
 *   (3) replaying the stream rebuilds the true final state of every match (score, phase, incidents
 *       with their final minute and player), with MATCH_ENDED exactly once per match that ended.
 * The excluded ambiguities are listed, with the reasons, at the top of ./timeline.ts.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { apiFootballCodec } from './api-football-codec.js';
import { allSportsApiCodec, matchdayArb, runMatchday as runWith, type RawMatchday } from './timeline.js';

/**
 * Enough runs to cover the generator's corners while keeping the file well under 30 s;
 * `DETECT_PROPERTY_RUNS=5000 npx vitest run test/property/detect.property.test.ts` searches deeper.
 */
const NUM_RUNS = Number(process.env['DETECT_PROPERTY_RUNS'] ?? 150);
const TIMEOUT_MS = Math.max(30_000, NUM_RUNS * 200);

// One suite, every provider: the same random matchdays in each provider's wire format (issue 21).
describe.each([allSportsApiCodec, apiFootballCodec])('detection against random true matchdays ($name)', (codec) => {
  const runMatchday = (matchday: RawMatchday) => runWith(matchday, codec);

  it('announces every true incident exactly once, nothing else, and replays to the true final state', async () => {
    await fc.assert(
      fc.asyncProperty(matchdayArb, async (matchday) => {
        await runMatchday(matchday);
      }),
      { numRuns: NUM_RUNS },
    );
  }, TIMEOUT_MS);

  // Pinned (issue 17 §5): under this seed fast-check found two goals of one player whose minutes
  // were corrected by the same distance; greedy pairing put each correction on the other goal.
  it('replays seed -1285899301 (two goals of one player corrected by the same distance)', async () => {
    await fc.assert(
      fc.asyncProperty(matchdayArb, async (matchday) => {
        await runMatchday(matchday);
      }),
      { numRuns: 150, seed: -1285899301 },
    );
  }, TIMEOUT_MS);

  it('is deterministic: rerunning detection from scratch on the same polls gives the same stream and event ids', async () => {
    await fc.assert(
      fc.asyncProperty(matchdayArb, async (matchday) => {
        const first = (await runMatchday(matchday)).stream;
        const second = (await runMatchday(matchday)).stream;
        expect(second).toEqual(first);
        const ids = first.map((e) => e.event_id);
        expect(new Set(ids).size).toBe(ids.length);
      }),
      { numRuns: 30 },
    );
  });

  it('the generator really produces the hard cases (so the properties above are not vacuous)', async () => {
    const seen = {
      firstSightMidGame: 0, goalCancelledVar: 0, goalCancelledPlain: 0, cardCancelled: 0, goalUpdated: 0,
      secondYellow: 0, shootout: 0, calledOff: 0, faulty: 0, namelessCard: 0, coachCard: 0, abandoned: 0,
    };
    await fc.assert(
      fc.asyncProperty(matchdayArb, async (matchday) => {
        const result = await runMatchday(matchday);
        seen.faulty += result.faultyPolls;
        for (const e of result.stream) {
          if (e.type === 'MATCH_STARTED' && e.goals.length + e.cards.length + e.substitutions.length > 0) seen.firstSightMidGame += 1;
          if (e.type === 'GOAL_CANCELLED') seen[e.reason === 'VAR' ? 'goalCancelledVar' : 'goalCancelledPlain'] += 1;
          if (e.type === 'CARD_CANCELLED') seen.cardCancelled += 1;
          if (e.type === 'GOAL_UPDATED') seen.goalUpdated += 1;
          if (e.type === 'CARD_ISSUED' && e.second_yellow) seen.secondYellow += 1;
          if (e.type === 'CARD_ISSUED' && e.player === '') seen.namelessCard += 1;
          if (e.type === 'CARD_ISSUED' && e.coach) seen.coachCard += 1;
          if (e.type === 'MATCH_ENDED' && e.penalty_score !== undefined) seen.shootout += 1;
          if (e.type === 'MATCH_ENDED' && e.status === 'Abandoned') seen.abandoned += 1;
          if (e.type === 'STATUS_CHANGED' && (e.phase === 'postponed' || e.phase === 'cancelled')) seen.calledOff += 1;
        }
      }),
      { numRuns: 60, seed: 20250517 },
    );
    for (const [what, count] of Object.entries(seen)) expect(count, what).toBeGreaterThan(0);
  });
});
