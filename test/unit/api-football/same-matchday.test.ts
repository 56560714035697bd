/**
 * One simulated matchday rendered in both providers' formats, each through its own parser and the
 * production poll path, polled every 20 sim seconds (vanished matches looked up with the provider's
 * look-up: AllSportsAPI's `met=Fixtures`, API-Football's `fixtures?id=`): the same
 * sequence of event types per match (issue 21 "Done when"; event ids may differ), and the same
 * incidents in them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatchEvent } from '../../../src/domain/events.js';
import { matchdayLengthSecs, scriptedMatches } from '../../../src/sim/render/allsportsapi/index.js';
import { allSportsApi } from '../../../src/upstream/allsportsapi/index.js';
import { apiFootballProvider } from '../../../src/upstream/api-football/index.js';
import type { Provider } from '../../../src/upstream/provider.js';
import { FakeProvider, startPipeline, type Pipeline } from '../../helpers/pipeline.js';

const POLL_EVERY_SECS = 20;
const MISSING_POLLS_BEFORE_END = 3;

const pipelines: Pipeline[] = [];
afterAll(async () => {
  for (const pipeline of pipelines) await pipeline.stop();
});

/**
 * Every event of one matchday cycle of a provider's simulator, through the production poll path
 * (test/helpers/pipeline.ts: the real PollingSource and Ingestor; vanished matches looked up with the
 * provider's own look-up — AllSportsAPI's `met=Fixtures`, API-Football's `fixtures?id=`).
 */
async function pollCycle(provider: Provider): Promise<MatchEvent[]> {
  const renderer = await provider.loadSimulator();
  let simSecs = 0;
  const feed = new FakeProvider(provider.parser, {
    livescore: () => ({ text: renderer.live(simSecs).body }),
    fixture: (matchId) => ({ text: renderer.fixture(matchId, simSecs).body }),
  });
  const pipeline = startPipeline(feed, { missingPollsBeforeEnd: MISSING_POLLS_BEFORE_END });
  pipelines.push(pipeline);
  const emitted: MatchEvent[] = [];
  for (; simSecs < matchdayLengthSecs; simSecs += POLL_EVERY_SECS) {
    const { outcome, events } = await pipeline.poll();
    if (!outcome.ok) throw new Error(`${provider.name}: poll failed at ${simSecs}s: ${outcome.error.message}`);
    emitted.push(...events);
  }
  return emitted;
}

/** What an event says about the match, without ids, times and provider wording. */
function gist(event: MatchEvent): unknown {
  switch (event.type) {
    case 'GOAL_SCORED':
      return [event.type, event.minute, event.team, event.scorer, event.score, event.penalty, event.own_goal];
    case 'GOAL_CANCELLED':
      return [event.type, event.minute, event.team, event.score, event.reason];
    case 'CARD_ISSUED':
      return [event.type, event.minute, event.team, event.player, event.color, event.second_yellow];
    case 'SUBSTITUTION':
      return [event.type, event.minute, event.team, event.player_in, event.player_out];
    case 'SCORE_UPDATE':
      return [event.type, event.score];
    case 'STATUS_CHANGED':
      return [event.type, event.previous_phase, event.phase];
    case 'MATCH_ENDED':
      return [event.type, event.final_score, event.winner, event.penalty_score ?? null];
    default:
      return [event.type];
  }
}

describe('the same matchday in both formats', () => {
  let both: { allsportsapi: MatchEvent[]; apiFootball: MatchEvent[] };
  const played = scriptedMatches(0).filter((m) => m.kind === 'played');

  beforeAll(async () => {
    both = { allsportsapi: await pollCycle(allSportsApi), apiFootball: await pollCycle(apiFootballProvider) };
  });

  it('yields the same sequence of event types per played match', () => {
    expect(played.length).toBeGreaterThanOrEqual(6);
    for (const match of played) {
      const id = String(match.eventKey);
      const types = (events: MatchEvent[]) => events.filter((e) => e.match_id === id).map((e) => e.type);
      expect({ match: match.label, types: types(both.apiFootball) }).toEqual({ match: match.label, types: types(both.allsportsapi) });
      expect(types(both.apiFootball)).toContain('MATCH_ENDED');
    }
  });

  it('and the same incidents: minutes, sides, players, scores, second yellows, VAR, shoot-out winner', () => {
    for (const match of played) {
      const id = String(match.eventKey);
      const gists = (events: MatchEvent[]) => events.filter((e) => e.match_id === id).map(gist);
      expect({ match: match.label, events: gists(both.apiFootball) }).toEqual({ match: match.label, events: gists(both.allsportsapi) });
    }
  });
});
