/**
 * The service against the simulated provider, over real HTTP, with a real WebSocket client: the
 * simulator runs on a manual clock that the test moves from checkpoint to checkpoint (kick-off,
 * goals, half time, extra time, penalties, full time), waits for the service to poll the new
 * state, and finally compares the exact ordered events the client received for one match.
 *
 * Checkpoints sit one simulated second after a scripted moment, so each poll reveals a known set
 * of incidents: the cards and substitutions since the last checkpoint together with a goal, and the
 * service must announce them in time order whatever order the feed lists them in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidentSecs, scriptedMatches, type ScriptedMatchInfo } from '../../src/sim/render/allsportsapi/index.js';
import { startSimServer, type SimServer } from '../../src/sim/server.js';
import { startService, type TestService } from '../helpers/service.js';
import { isEvent, roundTrip, subscribe, TestClient, type Message } from '../helpers/ws-client.js';

const SPEED = 30;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const NUMERIC_ID = /^\d+$/;
const SCORE = /^\d+-\d+$/;

/** One simulated matchday on a manual clock, the service polling it, and one subscribed client. */
class Walk {
  private fakeNowMs = 1_750_000_000_000;
  private readonly startMs = this.fakeNowMs;
  sim!: SimServer;
  service!: TestService;
  client!: TestClient;

  async start(): Promise<void> {
    this.sim = await startSimServer({ now: () => this.fakeNowMs, speed: SPEED });
    this.service = await startService({ ALLSPORTS_BASE_URL: this.sim.baseUrl, POLL_INTERVAL_SECS: '0.05' });
    this.client = await TestClient.open(this.service.wsUrl);
    await subscribe(this.client, { action: 'subscribe_all' });
  }

  /**
   * Moves the simulated clock to `simSecs` and waits until the service has polled and published
   * that state: the second poll that completes after the change began after it.
   */
  async reach(simSecs: number): Promise<void> {
    const target = this.startMs + (simSecs / SPEED) * 1000;
    if (target < this.fakeNowMs) throw new Error(`checkpoints must move forward (${simSecs} s is in the past)`);
    this.fakeNowMs = target;
    await this.service.app.poller.nextPoll();
    const outcome = await this.service.app.poller.nextPoll();
    expect(outcome.ok, `poll at sim ${simSecs} s failed`).toBe(true);
  }

  /** A PONG orders the frames: every event published before the ping has arrived when it does. */
  async settle(): Promise<void> {
    await roundTrip(this.client);
  }

  eventsOf(matchId: string): Message[] {
    return this.client.received.filter((m) => isEvent(m) && m['match_id'] === matchId);
  }

  async stop(): Promise<void> {
    await this.client?.close();
    await this.service?.stop();
    await this.sim?.close();
  }
}

function scripted(label: string): ScriptedMatchInfo & { kickoffSecs: number; endSecs: number } {
  const info = scriptedMatches(0).find((m) => m.label === label);
  if (info === undefined || info.kickoffSecs === null || info.endSecs === null) throw new Error(`no played match ${label}`);
  return info as ScriptedMatchInfo & { kickoffSecs: number; endSecs: number };
}

/** Absolute sim second at which a break ('Half Time', 'Penalties') or play period starts. */
function periodStart(info: ScriptedMatchInfo, which: 'Half Time' | 'Penalties' | 'second-half' | 'extra-first'): number {
  const segment = info.plan?.segments.find((s) => (s.kind === 'break' ? s.status === which : s.period === which));
  if (segment === undefined || info.kickoffSecs === null) throw new Error(`${info.label} has no ${which}`);
  return info.kickoffSecs + segment.startSecs;
}

/** Walks the checkpoints in order, then past the match's removal from the list. */
async function walkMatch(walk: Walk, info: ScriptedMatchInfo & { endSecs: number }, checkpoints: number[]): Promise<Message[]> {
  const matchId = String(info.eventKey);
  for (const secs of checkpoints) await walk.reach(secs);
  await walk.client.next((m) => m.type === 'MATCH_ENDED' && m['match_id'] === matchId);
  // Still listed as finished, then gone from the list: neither may announce anything again.
  await walk.reach(info.endSecs + 30);
  await walk.reach(info.livescoreUntilSecs + 1);
  await walk.service.app.poller.nextPoll();
  await walk.service.app.poller.nextPoll();
  await walk.settle();
  return walk.eventsOf(matchId);
}

/** The seed's fields of each event type, in the seed's order. */
const SEED_FIELDS: Record<string, readonly string[]> = {
  MATCH_STARTED: ['type', 'match_id', 'home_team', 'away_team', 'league', 'league_id', 'start_time', 'timestamp'],
  GOAL_SCORED: ['type', 'match_id', 'minute', 'scorer', 'team', 'score', 'home_team', 'away_team', 'league_id', 'timestamp'],
  CARD_ISSUED: ['type', 'match_id', 'minute', 'player', 'team', 'card_type', 'home_team', 'away_team', 'league_id', 'timestamp'],
  SUBSTITUTION: ['type', 'match_id', 'minute', 'player_in', 'player_out', 'team', 'home_team', 'away_team', 'league_id', 'timestamp'],
  SCORE_UPDATE: ['type', 'match_id', 'home_team', 'away_team', 'score', 'status', 'league_id', 'timestamp'],
  MATCH_ENDED: [
    'type',
    'match_id',
    'home_team',
    'home_team_key',
    'away_team',
    'away_team_key',
    'final_score',
    'halftime_score',
    'league',
    'league_key',
    'country',
    'timestamp',
  ],
};

/** Every frame carries these, whatever its type. */
const stamped = { event_id: expect.any(String), timestamp: expect.stringMatching(ISO_UTC), seq: expect.any(Number) };

describe('full event sequence of the "unsorted-subs" match (nameless card, coach red card, unsorted substitutions)', () => {
  const walk = new Walk();
  const info = scripted('unsorted-subs');
  const at = (minute: string) => incidentSecs('unsorted-subs', minute) + 1;
  const teams = { match_id: '1204103', home_team: 'Valmora', away_team: 'Pietrarossa', league_id: '9207' };
  let events: Message[] = [];

  beforeAll(async () => {
    await walk.start();
    events = await walkMatch(walk, info, [
      info.kickoffSecs + 1,
      at('22'),
      periodStart(info, 'Half Time') + 1,
      periodStart(info, 'second-half') + 1,
      at('51'),
      at('77'),
      info.endSecs + 1,
    ]);
  });
  afterAll(() => walk.stop());

  it('announces every incident once, in time order, with the status changes and the end', () => {
    expect(events.map((e) => e.type)).toEqual([
      'MATCH_STARTED',
      'GOAL_SCORED',
      'SCORE_UPDATE',
      'CARD_ISSUED',
      'CARD_ISSUED',
      'STATUS_CHANGED',
      'STATUS_CHANGED',
      'SUBSTITUTION',
      'SUBSTITUTION',
      'GOAL_SCORED',
      'SCORE_UPDATE',
      'SUBSTITUTION',
      'SUBSTITUTION',
      'SUBSTITUTION',
      'SUBSTITUTION',
      'GOAL_SCORED',
      'SCORE_UPDATE',
      'CARD_ISSUED',
      'SUBSTITUTION',
      'SUBSTITUTION',
      'CARD_ISSUED',
      'STATUS_CHANGED',
      'MATCH_ENDED',
    ]);
    expect(events).toMatchObject([
      { ...teams, type: 'MATCH_STARTED', score: '0-0', status: '1', phase: 'first_half', goals: [], cards: [], substitutions: [] },
      { ...teams, type: 'GOAL_SCORED', minute: '22', scorer: 'S. Ferraro', team: 'away', score: '0-1', assist: 'A. Colombo', penalty: false },
      { ...teams, type: 'SCORE_UPDATE', score: '0-1', status: '22' },
      // Nameless booking: the feed gives the side only in `info`.
      { ...teams, type: 'CARD_ISSUED', minute: '33', player: '', team: 'home', card_type: 'yellow card', color: 'yellow', coach: false },
      { ...teams, type: 'CARD_ISSUED', minute: '40', player: 'R. Marchetti', team: 'away', card_type: 'yellow card', color: 'yellow' },
      { ...teams, type: 'STATUS_CHANGED', status: 'Half Time', phase: 'half_time', previous_phase: 'first_half', score: '0-1' },
      { ...teams, type: 'STATUS_CHANGED', status: '46', phase: 'second_half', previous_phase: 'half_time', score: '0-1' },
      { ...teams, type: 'SUBSTITUTION', minute: '46', player_in: 'A. Pellegrino', player_out: 'L. Gatti', team: 'home' },
      { ...teams, type: 'SUBSTITUTION', minute: '46', player_in: 'D. Vitale', player_out: 'V. Cattaneo', team: 'home' },
      { ...teams, type: 'GOAL_SCORED', minute: '51', scorer: 'M. Rinaldi', team: 'home', score: '1-1', assist: 'F. Moretti' },
      { ...teams, type: 'SCORE_UPDATE', score: '1-1', status: '51' },
      // The feed lists these away 60', away 76', away 71', then home 65': announced in time order.
      { ...teams, type: 'SUBSTITUTION', minute: '60', player_in: 'F. Testa', player_out: 'L. Mancuso', team: 'away' },
      { ...teams, type: 'SUBSTITUTION', minute: '65', player_in: 'S. Orlandi', player_out: 'E. Fontana', team: 'home' },
      { ...teams, type: 'SUBSTITUTION', minute: '71', player_in: 'P. Serra', player_out: 'R. Marchetti', team: 'away' },
      { ...teams, type: 'SUBSTITUTION', minute: '76', player_in: 'E. Greco', player_out: 'G. Barbieri', team: 'away' },
      { ...teams, type: 'GOAL_SCORED', minute: '77', scorer: 'A. Colombo', team: 'away', score: '1-2', assist: 'S. Ferraro' },
      { ...teams, type: 'SCORE_UPDATE', score: '1-2', status: '77' },
      { ...teams, type: 'CARD_ISSUED', minute: '80', player: 'G. Bertoldi', team: 'home', card_type: 'red card', color: 'red', coach: true, second_yellow: false },
      { ...teams, type: 'SUBSTITUTION', minute: '83', player_in: 'C. Bruni', player_out: 'M. Rinaldi', team: 'home' },
      { ...teams, type: 'SUBSTITUTION', minute: '84', player_in: 'M. Villa', player_out: 'S. Ferraro', team: 'away' },
      { ...teams, type: 'CARD_ISSUED', minute: '87', player: 'P. Sartori', team: 'home', card_type: 'yellow card', color: 'yellow' },
      { ...teams, type: 'STATUS_CHANGED', status: 'Finished', phase: 'finished', previous_phase: 'second_half', score: '1-2' },
      {
        type: 'MATCH_ENDED',
        match_id: '1204103',
        home_team: 'Valmora',
        home_team_key: '7311',
        away_team: 'Pietrarossa',
        away_team_key: '7312',
        final_score: '1-2',
        halftime_score: '0-1',
        league: 'Serie Prima - Regular Season',
        league_key: '9207',
        country: 'Italy',
        status: 'Finished',
        winner: 'away',
      },
    ]);
    expect(events.at(-1)).not.toHaveProperty('penalty_score');
  });

  it('numbers the events with strictly increasing seq and distinct event ids', () => {
    const seqs = events.map((e) => e['seq'] as number);
    expect(seqs.every((s, i) => Number.isInteger(s) && (i === 0 || s > (seqs[i - 1] as number)))).toBe(true);
    expect(new Set(events.map((e) => e['event_id'])).size).toBe(events.length);
  });
});

describe('full event sequence of the "after-pen" match (extra time, penalty shoot-out)', () => {
  const walk = new Walk();
  const info = scripted('after-pen');
  const at = (minute: string) => incidentSecs('after-pen', minute) + 1;
  const teams = { match_id: '1204105', home_team: 'Real Ostavia', away_team: 'Dynamo Karsk', league_id: '9345' };
  let events: Message[] = [];

  beforeAll(async () => {
    await walk.start();
    events = await walkMatch(walk, info, [
      info.kickoffSecs + 1,
      at('17'),
      at('39'),
      at('44'),
      periodStart(info, 'Half Time') + 1,
      periodStart(info, 'second-half') + 1,
      at('81'),
      periodStart(info, 'extra-first') + 1,
      periodStart(info, 'Penalties') + 1,
      info.endSecs + 1,
    ]);
  });
  afterAll(() => walk.stop());

  it('goes through half time, extra time and penalties and ends with the shoot-out score and winner', () => {
    expect(events).toMatchObject([
      { ...teams, type: 'MATCH_STARTED', score: '0-0', status: '1', phase: 'first_half' },
      { ...teams, type: 'GOAL_SCORED', minute: '17', scorer: 'M. Sokolov', team: 'away', score: '0-1', assist: 'Y. Davydenko', penalty: false },
      { ...teams, type: 'SCORE_UPDATE', score: '0-1', status: '17' },
      { ...teams, type: 'GOAL_SCORED', minute: '39', scorer: 'L. Azpiri', team: 'home', score: '1-1', assist: 'R. Velasco', penalty: false },
      { ...teams, type: 'SCORE_UPDATE', score: '1-1', status: '39' },
      { ...teams, type: 'GOAL_SCORED', minute: '44', scorer: 'R. Velasco', team: 'home', score: '2-1', assist: null, penalty: true },
      { ...teams, type: 'SCORE_UPDATE', score: '2-1', status: '44' },
      { ...teams, type: 'STATUS_CHANGED', status: 'Half Time', phase: 'half_time', previous_phase: 'first_half', score: '2-1' },
      { ...teams, type: 'STATUS_CHANGED', status: '46', phase: 'second_half', previous_phase: 'half_time' },
      { ...teams, type: 'SUBSTITUTION', minute: '64', player_in: 'O. Melnyk', player_out: 'M. Sokolov', team: 'away' },
      { ...teams, type: 'SUBSTITUTION', minute: '70', player_in: 'A. Quiroga', player_out: 'D. Cordero', team: 'home' },
      { ...teams, type: 'GOAL_SCORED', minute: '81', scorer: 'I. Kravets', team: 'away', score: '2-2', assist: null },
      { ...teams, type: 'SCORE_UPDATE', score: '2-2', status: '81' },
      { ...teams, type: 'STATUS_CHANGED', status: '91', phase: 'extra_time', previous_phase: 'second_half', score: '2-2' },
      // Revealed together: substitutions and cards interleaved by minute across both lists.
      { ...teams, type: 'SUBSTITUTION', minute: '93', player_in: 'T. Savchuk', player_out: 'Y. Davydenko', team: 'away' },
      { ...teams, type: 'CARD_ISSUED', minute: '95', player: 'M. Ibarra', team: 'home', card_type: 'yellow card', color: 'yellow' },
      { ...teams, type: 'SUBSTITUTION', minute: '99', player_in: 'S. Baena', player_out: 'L. Azpiri', team: 'home' },
      { ...teams, type: 'CARD_ISSUED', minute: '112', player: 'R. Petrenko', team: 'away', card_type: 'yellow card', color: 'yellow' },
      { ...teams, type: 'STATUS_CHANGED', status: 'Penalties', phase: 'penalties', previous_phase: 'extra_time', score: '2-2' },
      { ...teams, type: 'STATUS_CHANGED', status: 'After Pen.', phase: 'finished', previous_phase: 'penalties', score: '2-2' },
      {
        ...teams,
        type: 'MATCH_ENDED',
        final_score: '2-2',
        halftime_score: '2-1',
        penalty_score: '4-5',
        winner: 'away',
        status: 'After Pen.',
        league: 'Continental Cup - Quarter-finals',
        league_key: '9345',
        country: 'eurocups',
        home_team_key: '7321',
        away_team_key: '7322',
      },
    ]);
  });

  it('sends each seed event type with exactly the seed fields, types and formats (plus seq and event_id)', () => {
    const first = (type: string) => {
      const event = events.find((e) => e.type === type);
      if (event === undefined) throw new Error(`no ${type} among ${events.map((e) => e.type).join(', ')}`);
      return event;
    };
    expect(first('MATCH_STARTED')).toEqual({
      type: 'MATCH_STARTED',
      match_id: '1204105',
      home_team: 'Real Ostavia',
      away_team: 'Dynamo Karsk',
      league: 'Continental Cup - Quarter-finals',
      league_id: '9345',
      start_time: '2025-05-17 18:00',
      home_team_key: '7321',
      away_team_key: '7322',
      country: 'eurocups',
      score: '0-0',
      status: '1',
      phase: 'first_half',
      goals: [],
      cards: [],
      substitutions: [],
      // The match clock (issue 11): the first half, seen at its first minute, on a real-time feed.
      clock: { phase_started_at: expect.any(String), base_minute: 0, speed: 1 },
      ...stamped,
    });
    expect(first('GOAL_SCORED')).toEqual({
      type: 'GOAL_SCORED',
      ...teams,
      minute: '17',
      scorer: 'M. Sokolov',
      team: 'away',
      score: '0-1',
      assist: 'Y. Davydenko',
      penalty: false,
      own_goal: false,
      ...stamped,
    });
    expect(first('CARD_ISSUED')).toEqual({
      type: 'CARD_ISSUED',
      ...teams,
      minute: '95',
      player: 'M. Ibarra',
      team: 'home',
      card_type: 'yellow card',
      color: 'yellow',
      second_yellow: false,
      coach: false,
      ...stamped,
    });
    expect(first('SUBSTITUTION')).toEqual({
      type: 'SUBSTITUTION',
      ...teams,
      minute: '64',
      player_in: 'O. Melnyk',
      player_out: 'M. Sokolov',
      team: 'away',
      ...stamped,
    });
    expect(first('SCORE_UPDATE')).toEqual({ type: 'SCORE_UPDATE', ...teams, score: '0-1', status: '17', ...stamped });
    expect(first('MATCH_ENDED')).toEqual({
      type: 'MATCH_ENDED',
      match_id: '1204105',
      home_team: 'Real Ostavia',
      home_team_key: '7321',
      away_team: 'Dynamo Karsk',
      away_team_key: '7322',
      final_score: '2-2',
      halftime_score: '2-1',
      league: 'Continental Cup - Quarter-finals',
      league_key: '9345',
      country: 'eurocups',
      league_id: '9345',
      status: 'After Pen.',
      winner: 'away',
      penalty_score: '4-5',
      ...stamped,
    });

    for (const [type, fields] of Object.entries(SEED_FIELDS)) {
      const event = first(type);
      // The seed's fields come in the seed's order; additions may follow or interleave after them.
      const keys = Object.keys(event);
      expect(fields.filter((f) => keys.includes(f)), `${type} lacks a seed field`).toEqual(fields);
      const positions = fields.map((f) => keys.indexOf(f));
      expect([...positions].sort((a, b) => a - b), `${type} seed field order`).toEqual(positions);
      // Types and formats of the seed's examples.
      for (const field of fields) expect(typeof event[field], `${type}.${field}`).toBe('string');
      expect(event['match_id']).toMatch(NUMERIC_ID);
      if ('league_id' in event) expect(event['league_id']).toMatch(NUMERIC_ID);
      if ('league_key' in event) expect(event['league_key']).toMatch(NUMERIC_ID);
      if ('home_team_key' in event) expect(event['home_team_key']).toMatch(NUMERIC_ID);
      if ('away_team_key' in event) expect(event['away_team_key']).toMatch(NUMERIC_ID);
      if ('score' in event) expect(event['score']).toMatch(SCORE);
      if ('final_score' in event) expect(event['final_score']).toMatch(SCORE);
      if ('halftime_score' in event) expect(event['halftime_score']).toMatch(SCORE);
      if ('team' in event) expect(['home', 'away']).toContain(event['team']);
      expect(event['timestamp']).toMatch(ISO_UTC);
      expect(new Date(event['timestamp'] as string).toISOString()).toBe(event['timestamp']);
      expect(Number.isInteger(event['seq'])).toBe(true);
      expect(typeof event['event_id']).toBe('string');
      expect(event['event_id']).not.toBe('');
    }
  });
});

describe('full event sequence of the "prelisted" match (listed before kick-off, goal in stoppage time)', () => {
  const walk = new Walk();
  const info = scripted('prelisted');
  const at = (minute: string) => incidentSecs('prelisted', minute) + 1;
  const teams = { match_id: '1204107', home_team: 'Northwick City', away_team: 'Redbridge Albion', league_id: '9152' };
  let events: Message[] = [];
  let beforeKickoff: Message[] = [];

  beforeAll(async () => {
    await walk.start();
    // Listed with status "" before kick-off: nothing to announce yet.
    await walk.reach(info.livescoreFromSecs + 1);
    await walk.settle();
    beforeKickoff = walk.eventsOf('1204107');
    events = await walkMatch(walk, info, [
      info.kickoffSecs + 1,
      at('29'),
      periodStart(info, 'Half Time') + 1,
      periodStart(info, 'second-half') + 1,
      at('73'),
      at('90+2'),
      info.endSecs + 1,
    ]);
  });
  afterAll(() => walk.stop());

  it('announces nothing while the match is only listed, then starts it at kick-off', () => {
    expect(beforeKickoff).toEqual([]);
    expect(events[0]).toMatchObject({ ...teams, type: 'MATCH_STARTED', status: '1', score: '0-0', start_time: '2025-05-17 20:00' });
  });

  it('announces the match in order and ends it with the final and half-time scores', () => {
    expect(events).toMatchObject([
      { type: 'MATCH_STARTED' },
      { ...teams, type: 'GOAL_SCORED', minute: '29', scorer: 'G. Hadfield', team: 'home', score: '1-0', assist: 'R. Ellery' },
      { ...teams, type: 'SCORE_UPDATE', score: '1-0', status: '29' },
      { ...teams, type: 'CARD_ISSUED', minute: '44', player: 'F. Oakes', team: 'away', card_type: 'yellow card' },
      { ...teams, type: 'STATUS_CHANGED', phase: 'half_time', previous_phase: 'first_half' },
      { ...teams, type: 'STATUS_CHANGED', phase: 'second_half', previous_phase: 'half_time' },
      { ...teams, type: 'SUBSTITUTION', minute: '61', player_in: 'A. Quennell', player_out: 'T. Vickers', team: 'home' },
      { ...teams, type: 'SUBSTITUTION', minute: '66', player_in: 'R. Tulley', player_out: 'B. Kaur', team: 'away' },
      { ...teams, type: 'CARD_ISSUED', minute: '67', player: 'M. Crane', team: 'home', card_type: 'yellow card' },
      { ...teams, type: 'GOAL_SCORED', minute: '73', scorer: 'Z. Whitlock', team: 'away', score: '1-1', assist: 'H. Sowerby' },
      { ...teams, type: 'SCORE_UPDATE', score: '1-1', status: '73' },
      { ...teams, type: 'SUBSTITUTION', minute: '79', player_in: 'W. Blythe', player_out: 'R. Ellery', team: 'home' },
      { ...teams, type: 'SUBSTITUTION', minute: '80', player_in: 'K. Amadi', player_out: 'L. Prentice', team: 'away' },
      { ...teams, type: 'GOAL_SCORED', minute: '90+2', scorer: 'A. Quennell', team: 'home', score: '2-1', assist: 'S. Penrose' },
      { ...teams, type: 'SCORE_UPDATE', score: '2-1', status: '90+' },
      { ...teams, type: 'STATUS_CHANGED', status: 'Finished', phase: 'finished', previous_phase: 'second_half' },
      {
        type: 'MATCH_ENDED',
        match_id: '1204107',
        home_team: 'Northwick City',
        home_team_key: '7305',
        away_team: 'Redbridge Albion',
        away_team_key: '7306',
        final_score: '2-1',
        halftime_score: '1-0',
        league: 'Premier Division',
        league_key: '9152',
        country: 'England',
        winner: 'home',
      },
    ]);
    expect(events.at(-1)).not.toHaveProperty('penalty_score');
  });
});
