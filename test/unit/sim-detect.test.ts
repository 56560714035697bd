/**
 * The scripted simulator's hard cases through the production poll path: a whole matchday cycle
 * polled every 20 sim seconds by the real PollingSource and Ingestor (test/helpers/pipeline.ts),
 * on a fake provider that answers with the simulator's renderer (the provider's `SimRenderer`, the
 * same one the built-in simulator serves) read by the provider's parser. No server, no clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatchEvent } from '../../src/domain/events.js';
import { matchdayLengthSecs, scriptedMatches, type ScriptedMatchInfo } from '../../src/sim/render/allsportsapi/index.js';
import { allSportsApi } from '../../src/upstream/allsportsapi/index.js';
import type { SimAnswer } from '../../src/upstream/provider.js';
import { FakeProvider, startPipeline, type FakeReply, type Pipeline } from '../helpers/pipeline.js';

const POLL_EVERY_SECS = 20;
const MISSING_POLLS_BEFORE_END = 3;

interface Emitted {
  readonly simSecs: number;
  /** Index of the poll that emitted it: events of one poll share it. */
  readonly poll: number;
  readonly event: MatchEvent;
}

interface Absence {
  readonly simSecs: number;
  readonly matchId: string;
  /** What the look-up of the vanished match learnt. */
  readonly outcome: 'found' | 'unknown' | 'failed';
}

const reply = (answer: SimAnswer): FakeReply => ({ text: answer.body });

let pipeline: Pipeline | undefined;

/** Polls one whole cycle through the production poll path: every event with the sim time of its poll, and every look-up. */
async function pollCycle(): Promise<{ emitted: Emitted[]; absences: Absence[] }> {
  const renderer = await allSportsApi.loadSimulator();
  let simSecs = 0;
  const feed = new FakeProvider(allSportsApi.parser, {
    livescore: () => reply(renderer.live(simSecs)),
    fixture: (matchId) => reply(renderer.fixture(matchId, simSecs)),
  });
  pipeline = startPipeline(feed, { missingPollsBeforeEnd: MISSING_POLLS_BEFORE_END });
  const emitted: Emitted[] = [];
  const absences: Absence[] = [];
  for (let poll = 0; simSecs < matchdayLengthSecs; simSecs += POLL_EVERY_SECS, poll += 1) {
    const { outcome, events } = await pipeline.poll();
    if (!outcome.ok) throw new Error(`simulated Livescore poll failed at ${simSecs}s: ${outcome.error.message}`);
    for (const [matchId, looked] of feed.lookups) absences.push({ simSecs, matchId, outcome: looked });
    for (const event of events) emitted.push({ simSecs, poll, event });
  }
  return { emitted, absences };
}

afterAll(async () => {
  await pipeline?.stop();
});

describe('the scripted matchday through the detector', () => {
  const matches = scriptedMatches(0);
  const info = (label: string): ScriptedMatchInfo => {
    const found = matches.find((m) => m.label === label);
    if (found === undefined) throw new Error(`no scripted match ${label}`);
    return found;
  };
  let all: Emitted[] = [];
  let absences: Absence[] = [];
  const of = (label: string): Emitted[] => all.filter((e) => e.event.match_id === String(info(label).eventKey));
  const typed = <T extends MatchEvent['type']>(label: string, type: T): Array<Emitted & { event: Extract<MatchEvent, { type: T }> }> =>
    of(label).filter((e): e is Emitted & { event: Extract<MatchEvent, { type: T }> } => e.event.type === type);

  beforeAll(async () => {
    ({ emitted: all, absences } = await pollCycle());
  });

  it('every played match gets exactly one MATCH_STARTED and one MATCH_ENDED, at or after its real end', () => {
    for (const match of matches.filter((m) => m.kind === 'played')) {
      expect(typed(match.label, 'MATCH_STARTED'), match.label).toHaveLength(1);
      const ended = typed(match.label, 'MATCH_ENDED');
      expect(ended, match.label).toHaveLength(1);
      expect(ended[0]?.simSecs, match.label).toBeGreaterThanOrEqual(match.endSecs ?? Number.POSITIVE_INFINITY);
      expect(ended[0]?.event.status, match.label).toBe(match.finalStatus);
      // Nothing after the end.
      expect(of(match.label).at(-1)?.event.type, match.label).toBe('MATCH_ENDED');
    }
  });

  it('the postponed match: no MATCH_STARTED, no MATCH_ENDED; at most a STATUS_CHANGED to postponed', () => {
    const events = of('postponed').map((e) => e.event);
    expect(events.filter((e) => e.type !== 'STATUS_CHANGED')).toEqual([]);
    for (const e of events) expect(e).toMatchObject({ type: 'STATUS_CHANGED', phase: 'postponed' });
  });

  it('var-cancel: GOAL_SCORED for the 67th-minute goal, later GOAL_CANCELLED (reason VAR) with SCORE_UPDATE 2-1', () => {
    const scored = typed('var-cancel', 'GOAL_SCORED').filter((e) => e.event.scorer === 'T. Quayle');
    expect(scored).toHaveLength(1);
    expect(scored[0]?.event).toMatchObject({ minute: '67', team: 'away', score: '2-2' });
    const cancelled = typed('var-cancel', 'GOAL_CANCELLED');
    expect(cancelled).toHaveLength(1);
    const cancel = cancelled[0];
    expect(cancel?.event).toMatchObject({ minute: '67', scorer: 'T. Quayle', team: 'away', score: '2-1', reason: 'VAR', goal_event_id: scored[0]?.event.event_id });
    expect(cancel?.simSecs).toBeGreaterThan(scored[0]?.simSecs ?? Number.POSITIVE_INFINITY);
    const samePoll = of('var-cancel').filter((e) => e.poll === cancel?.poll).map((e) => e.event);
    const position = samePoll.findIndex((e) => e.type === 'GOAL_CANCELLED');
    expect(samePoll[position + 1]).toMatchObject({ type: 'SCORE_UPDATE', score: '2-1' });
    // The late scorer id (J. Mabry's goal) is silent, and no goal is ever announced twice.
    expect(typed('var-cancel', 'GOAL_UPDATED')).toEqual([]);
    expect(typed('var-cancel', 'GOAL_SCORED').map((e) => e.event.minute)).toEqual(['12', '34', '58', '67', '90+3']);
    expect(typed('var-cancel', 'MATCH_ENDED')[0]?.event.final_score).toBe('3-1');
  });

  it('corrected-minute: the 45+2 goal is scored once (as "45") and updated once, in its own family', () => {
    const castellan = typed('corrected-minute', 'GOAL_SCORED').filter((e) => e.event.scorer === 'E. Castellan');
    expect(castellan.map((e) => e.event.minute)).toEqual(['45', '82']);
    const updates = typed('corrected-minute', 'GOAL_UPDATED');
    expect(updates).toHaveLength(1);
    expect(updates[0]?.event).toMatchObject({ previous_minute: '45', minute: '45+2', goal_event_id: castellan[0]?.event.event_id });
    expect(typed('corrected-minute', 'GOAL_SCORED')).toHaveLength(3);
    // Yellow at 38, red at 71 for K. Osei: a second yellow.
    const osei = typed('corrected-minute', 'CARD_ISSUED').filter((e) => e.event.player === 'K. Osei');
    expect(osei.map((e) => [e.event.color, e.event.second_yellow])).toEqual([['yellow', false], ['red', true]]);
  });

  it('vanishing: no MATCH_ENDED while it is out of the list, no second MATCH_STARTED, the goal scored meanwhile announced once', () => {
    const match = info('vanishing');
    const gap = match.livescoreGap;
    // It really was missing from polls during its gap, and the look-up found it live each time.
    const missing = absences.filter((a) => a.matchId === String(match.eventKey) && a.simSecs < (match.endSecs ?? 0));
    expect(missing.length).toBeGreaterThanOrEqual(2);
    for (const a of missing) {
      expect(a.simSecs).toBeGreaterThanOrEqual(gap?.fromSecs ?? Number.POSITIVE_INFINITY);
      expect(a.simSecs).toBeLessThan(gap?.untilSecs ?? 0);
      expect(a.outcome).toBe('found');
    }
    expect(typed('vanishing', 'MATCH_STARTED')).toHaveLength(1);
    const ended = typed('vanishing', 'MATCH_ENDED');
    expect(ended).toHaveLength(1);
    expect(ended[0]?.simSecs).toBeGreaterThanOrEqual(match.endSecs ?? Number.POSITIVE_INFINITY);
    expect(typed('vanishing', 'GOAL_SCORED').filter((e) => e.event.scorer === 'E. Parisi').map((e) => e.event.minute)).toEqual(['62']);
    expect(ended[0]?.event.final_score).toBe('2-2');
  });

  it('after-pen: final_score "2-2" from event_ft_result, penalty_score "4-5", winner away; no SCORE_UPDATE from "2 - 3"', () => {
    const ended = typed('after-pen', 'MATCH_ENDED');
    expect(ended).toHaveLength(1);
    expect(ended[0]?.event).toMatchObject({ final_score: '2-2', penalty_score: '4-5', winner: 'away', status: 'After Pen.' });
    expect(typed('after-pen', 'SCORE_UPDATE').map((e) => e.event.score)).not.toContain('2-3');
    expect(typed('after-pen', 'STATUS_CHANGED').map((e) => e.event.phase)).toEqual(['half_time', 'second_half', 'extra_time', 'penalties', 'finished']);
  });

  it('after-et: ends "After ET" with the final result 2-1, not the 90-minute ft result', () => {
    expect(typed('after-et', 'MATCH_ENDED')[0]?.event).toMatchObject({ final_score: '2-1', winner: 'home', status: 'After ET' });
  });

  it('unsorted-subs: substitutions in time order, the nameless card with its side, the coach\'s red card', () => {
    const subs = typed('unsorted-subs', 'SUBSTITUTION').map((e) => e.event.minute);
    expect(subs).toHaveLength(8);
    expect(subs).toEqual([...subs].sort((a, b) => Number(a) - Number(b)));
    const cards = typed('unsorted-subs', 'CARD_ISSUED').map((e) => e.event);
    expect(cards.find((c) => c.player === '')).toMatchObject({ team: 'home', minute: '33', color: 'yellow' });
    expect(cards.find((c) => c.player === 'G. Bertoldi')).toMatchObject({ coach: true, color: 'red', second_yellow: false });
  });

  it('prelisted: silent while listed before kick-off, then MATCH_STARTED at kick-off', () => {
    const match = info('prelisted');
    const started = typed('prelisted', 'MATCH_STARTED');
    expect(started[0]?.simSecs).toBeGreaterThanOrEqual(match.kickoffSecs ?? Number.POSITIVE_INFINITY);
    expect(started[0]?.event.goals).toEqual([]);
  });

  it('every event_id of the cycle is distinct', () => {
    const ids = all.map((e) => e.event.event_id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
