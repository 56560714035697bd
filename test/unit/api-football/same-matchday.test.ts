/**
 * One simulated matchday rendered in both providers' formats, each through its own parser and the
 * one detector, polled every 20 sim seconds as the poller would (vanished matches looked up with the
 * provider's look-up: AllSportsAPI's `met=Fixtures`, API-Football's `fixtures?ids=`): the same
 * sequence of event types per match (issue 21 "Done when"; event ids may differ), and the same
 * incidents in them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { MatchEvent } from '../../../src/domain/events.js';
import type { MatchState } from '../../../src/domain/match.js';
import { detect, detectAbsent, type AbsenceOutcome } from '../../../src/detect/diff.js';
import { answerApiFootball } from '../../../src/sim/render/api-football/index.js';
import { matchdayLengthSecs, renderFixture, renderLivescore, scriptedMatches, toProviderJson } from '../../../src/sim/render/allsportsapi/index.js';
import { parseReplyText } from '../../../src/upstream/allsportsapi/parse.js';
import { parseFixturesText } from '../../../src/upstream/api-football/parse.js';
import { parseApiFootballReply } from '../../../src/upstream/api-football/parser.js';
import type { MatchSnapshot } from '../../../src/upstream/provider.js';

const POLL_EVERY_SECS = 20;
const MISSING_POLLS_BEFORE_END = 3;

interface Feed {
  live(simSecs: number): MatchSnapshot[];
  lookUp(matchId: string, simSecs: number): MatchSnapshot | undefined;
}

const allsportsapi: Feed = {
  live(simSecs) {
    const reply = parseReplyText(toProviderJson(renderLivescore(simSecs)));
    if (!reply.ok) throw new Error(reply.error.message);
    return reply.value.matches;
  },
  lookUp(matchId, simSecs) {
    const reply = parseReplyText(toProviderJson(renderFixture(Number(matchId), simSecs)));
    return reply.ok ? reply.value.matches[0] : undefined;
  },
};

function apiFootballAnswer(query: string, simSecs: number): MatchSnapshot[] {
  const answer = answerApiFootball(new URL(`http://sim.invalid/fixtures?${query}`), simSecs);
  const checked = parseFixturesText(answer.body);
  if (!checked.ok) throw new Error(checked.error.message);
  const reply = parseApiFootballReply(JSON.parse(answer.body));
  if (!reply.ok) throw new Error(reply.error.message);
  expect(reply.value.dropped).toBe(0);
  return reply.value.matches;
}

const apiFootball: Feed = {
  live: (simSecs) => apiFootballAnswer('live=all', simSecs),
  lookUp: (matchId, simSecs) => apiFootballAnswer(`ids=${matchId}`, simSecs).find((m) => m.matchId === matchId),
};

/** Every event of one matchday cycle, polled like src/engine/polling-source.ts. */
function pollCycle(feed: Feed): MatchEvent[] {
  const states = new Map<string, MatchState>();
  const emitted: MatchEvent[] = [];
  for (let simSecs = 0; simSecs < matchdayLengthSecs; simSecs += POLL_EVERY_SECS) {
    const seen = new Set<string>();
    for (const snapshot of feed.live(simSecs)) {
      seen.add(snapshot.matchId);
      const { state, events } = detect(states.get(snapshot.matchId), snapshot);
      if (state === null) states.delete(snapshot.matchId);
      else states.set(snapshot.matchId, state);
      emitted.push(...events);
    }
    for (const state of [...states.values()].filter((s) => !seen.has(s.matchId) && !s.ended)) {
      const found = state.started ? feed.lookUp(state.matchId, simSecs) : undefined;
      const outcome: AbsenceOutcome = found ? { kind: 'found', snapshot: found } : { kind: 'unconfirmed' };
      const { state: next, events } = detectAbsent(state, outcome, MISSING_POLLS_BEFORE_END);
      if (next === null) states.delete(state.matchId);
      else states.set(state.matchId, next);
      emitted.push(...events);
    }
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

  beforeAll(() => {
    both = { allsportsapi: pollCycle(allsportsapi), apiFootball: pollCycle(apiFootball) };
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
