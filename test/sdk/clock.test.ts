/**
 * The match clock: the server's pure stamping (src/domain/clock.ts) and the SDK's minute derived
 * from it, which must agree with the provider's minute at the moment the phase was seen.
 */
import { clockMinute, HandledCloseCodes, minuteSortKey as sdkSortKey } from '@football-streaming-core/client';
import { describe, expect, it } from 'vitest';
import { phaseClock, stampClocks } from '../../src/domain/clock.js';
import { minuteOf } from '../../src/upstream/allsportsapi/status.js';
import type { MatchState } from '../../src/domain/match.js';
import { CloseCode } from '../../src/domain/protocol.js';
import { minuteSortKey } from '../../src/detect/minute.js';

const NOW = new Date('2026-05-17T12:00:00.000Z');
const at = (ms: number) => NOW.getTime() + ms;
const MINUTE_MS = 60_000;

describe('phaseClock', () => {
  it('runs only in the first half, second half and extra time', () => {
    for (const phase of ['not_started', 'half_time', 'penalties', 'finished', 'postponed'] as const) {
      expect(phaseClock(phase, '', NOW, 1)).toBeNull();
    }
    expect(phaseClock('first_half', '1', NOW, 1)).toEqual({ phase_started_at: NOW.toISOString(), base_minute: 0, speed: 1 });
    expect(phaseClock('second_half', '46', NOW, 1)?.base_minute).toBe(45);
    expect(phaseClock('extra_time', '91', NOW, 1)?.base_minute).toBe(90);
    expect(phaseClock('extra_time', '107', NOW, 1)?.base_minute).toBe(105);
  });

  it('dates the phase back by the minute the provider already shows, at the clock speed', () => {
    // "13" is the 13th minute: 12 full minutes have passed.
    expect(phaseClock('first_half', '13', NOW, 1)?.phase_started_at).toBe(new Date(at(-12 * 60_000)).toISOString());
    expect(phaseClock('first_half', '13', NOW, 30)?.phase_started_at).toBe(new Date(at(-12 * 2_000)).toISOString());
    expect(phaseClock('first_half', '45+2', NOW, 1)?.phase_started_at).toBe(new Date(at(-46 * 60_000)).toISOString());
    // Text that is not a minute: the phase starts now.
    expect(phaseClock('second_half', '2nd Half', NOW, 1)?.phase_started_at).toBe(NOW.toISOString());
  });
});

describe('clockMinute (SDK)', () => {
  it('gives back the provider minute at the moment of stamping, then moves on without events', () => {
    const clock = phaseClock('first_half', '13', NOW, 1);
    expect(clockMinute(clock, at(0))).toBe('13');
    expect(clockMinute(clock, at(59_000))).toBe('13');
    expect(clockMinute(clock, at(60_000))).toBe('14');
    expect(clockMinute(clock, at(10 * 60_000))).toBe('23');
  });

  /**
   * Every phase, as a fan reads the scoreboard: [phase, provider status when the phase was first
   * seen, clock speed, match minutes later, what the clock shows]. Extra time is 91'…105', 106'…120'
   * then 120+N; half time, the extra-time breaks and the shoot-out have no running minute.
   */
  const table: ReadonlyArray<readonly [MatchState['phase'], string, number, number, string | undefined]> = [
    ['not_started', '', 1, 0, undefined],
    ['first_half', '1', 1, 0, '1'],
    ['first_half', '1', 1, 44, '45'],
    ['first_half', '1', 1, 45, '45+1'],
    ['first_half', '45+', 1, 3, '45+3'],
    ['first_half', '45+2', 1, 0, '45+2'],
    ['half_time', 'Half Time', 1, 10, undefined],
    ['second_half', '46', 1, 0, '46'],
    ['second_half', '46', 1, 44, '90'],
    ['second_half', '46', 1, 48, '90+4'],
    ['second_half', '90+', 1, 2, '90+2'],
    ['extra_time_break', 'Break Time', 1, 5, undefined],
    ['extra_time', '91', 1, 0, '91'],
    ['extra_time', '91', 1, 14, '105'],
    // No break reported between the halves of extra time: the clock runs on, 106' and not 105+1.
    ['extra_time', '91', 1, 15, '106'],
    ['extra_time', '91', 1, 18, '109'],
    ['extra_time', '91', 1, 29, '120'],
    ['extra_time', '91', 1, 32, '120+3'],
    // The second half of extra time, seen after its break: a clock from 105.
    ['extra_time', '106', 1, 0, '106'],
    ['extra_time', '109', 1, 0, '109'],
    ['extra_time', '106', 1, 14, '120'],
    ['extra_time', '106', 1, 16, '120+2'],
    ['extra_time', '120+', 1, 1, '120+1'],
    ['penalties', 'Penalties', 1, 3, undefined],
    ['finished', 'After Pen.', 1, 0, undefined],
    ['postponed', 'Postponed', 1, 0, undefined],
    ['suspended', 'Suspended', 1, 0, undefined],
    // The simulated matchday runs 30 times fast: a wall-clock minute is half an hour of play.
    ['first_half', '1', 30, 44, '45'],
    ['second_half', '46', 30, 46, '90+2'],
    ['extra_time', '91', 30, 20, '111'],
    ['extra_time', '106', 0.5, 16, '120+2'],
  ];
  it.each(table)('%s, first seen at %j, speed %d, %d minutes of play later: %j', (phase, status, speed, playedMinutes, shown) => {
    const clock = phaseClock(phase, status, NOW, speed);
    expect(clockMinute(clock, at((playedMinutes * MINUTE_MS) / speed))).toBe(shown);
  });

  it('never reads an extra-time minute as added time of 105 ("105+17" while a goal is listed at 109)', () => {
    const clock = phaseClock('extra_time', '91', NOW, 1);
    for (let played = 0; played < 30; played += 1) expect(clockMinute(clock, at(played * MINUTE_MS))).not.toMatch(/^105\+/);
  });

  it('runs 30 times fast on the simulated matchday', () => {
    const clock = phaseClock('second_half', '46', NOW, 30);
    expect(clockMinute(clock, at(60_000))).toBe('76');
  });

  it('shows nothing without a clock', () => {
    expect(clockMinute(null, at(0))).toBeUndefined();
  });
});

describe('stampClocks', () => {
  const state = (phase: MatchState['phase'], status: string, clock?: MatchState['clock']): MatchState => ({
    matchId: '1', homeTeam: 'H', awayTeam: 'A', homeTeamKey: '11', awayTeamKey: '12', leagueId: '9', league: 'L', country: 'C',
    startTime: '2026-05-17 12:00', status, minute: minuteOf(status), phase, started: true, ended: false, score: { home: 0, away: 0 }, halftimeScore: null,
    penaltyScore: null, goals: [], cards: [], substitutions: [], absentPolls: 0, scoreRevision: 0, phaseHistory: [phase],
    retiredEventIds: [], ...(clock !== undefined ? { clock } : {}),
  });
  const statusChanged = { type: 'STATUS_CHANGED', match_id: '1' };

  it('stamps a state whose phase changed, and the STATUS_CHANGED announcing it', () => {
    const commit = { events: [{ event: statusChanged }], states: [state('second_half', '46')] };
    const before = state('half_time', 'Half Time', null);
    expect(stampClocks(commit, () => before, NOW, 1)).toEqual(['1']);
    const clock = { phase_started_at: NOW.toISOString(), base_minute: 45, speed: 1 };
    expect(commit.states[0]?.clock).toEqual(clock);
    expect(commit.events[0]?.event).toEqual({ ...statusChanged, clock });
  });

  it('stops the clock at half time: the state and the STATUS_CHANGED both say null', () => {
    const running = { phase_started_at: '2026-05-17T11:15:00.000Z', base_minute: 0, speed: 1 };
    const commit = { events: [{ event: statusChanged }], states: [state('half_time', 'Half Time', running)] };
    expect(stampClocks(commit, () => state('first_half', '45+2', running), NOW, 1)).toEqual(['1']);
    expect(commit.states[0]?.clock).toBeNull();
    expect(commit.events[0]?.event).toEqual({ ...statusChanged, clock: null });
  });

  it('keeps the clock of a state whose phase did not change', () => {
    const clock = { phase_started_at: '2026-05-17T11:50:00.000Z', base_minute: 0, speed: 1 };
    const commit = { events: [], states: [state('first_half', '12', clock)] };
    expect(stampClocks(commit, () => state('first_half', '11', clock), NOW, 1)).toEqual([]);
    expect(commit.states[0]?.clock).toBe(clock);
  });

  it('starts a clock from 105 when the provider shows the second half of extra time (same phase)', () => {
    const firstHalf = { phase_started_at: '2026-05-17T11:40:00.000Z', base_minute: 90, speed: 1 };
    const stoppage = { events: [], states: [state('extra_time', '105+', firstHalf)] };
    expect(stampClocks(stoppage, () => state('extra_time', '104', firstHalf), NOW, 1)).toEqual([]);
    const commit = { events: [], states: [state('extra_time', '107', firstHalf)] };
    expect(stampClocks(commit, () => state('extra_time', '105+', firstHalf), NOW, 1)).toEqual(['1']);
    expect(commit.states[0]?.clock).toEqual({ phase_started_at: new Date(at(-MINUTE_MS)).toISOString(), base_minute: 105, speed: 1 });
    expect(clockMinute(commit.states[0]?.clock, at(0))).toBe('107');
  });

  it('stops the clock for the break between the halves of extra time, and restarts it at 106', () => {
    const running = { phase_started_at: '2026-05-17T11:40:00.000Z', base_minute: 90, speed: 1 };
    const pause = { events: [{ event: statusChanged }], states: [state('extra_time_break', 'Break Time', running)] };
    stampClocks(pause, () => state('extra_time', '105+1', running), NOW, 1);
    expect(pause.states[0]?.clock).toBeNull();
    expect(pause.events[0]?.event).toEqual({ ...statusChanged, clock: null });
    const resumed = { events: [{ event: statusChanged }], states: [state('extra_time', '106', null)] };
    stampClocks(resumed, () => state('extra_time_break', 'Break Time', null), NOW, 1);
    expect(resumed.states[0]?.clock).toEqual({ phase_started_at: NOW.toISOString(), base_minute: 105, speed: 1 });
  });

  it('stamps a state stored before the clock existed', () => {
    const commit = { events: [], states: [state('first_half', '30')] };
    expect(stampClocks(commit, () => state('first_half', '29'), NOW, 1)).toEqual(['1']);
    expect(commit.states[0]?.clock?.base_minute).toBe(0);
  });
});

describe('the SDK agrees with the service', () => {
  it('orders minutes as detection does', () => {
    for (const minute of ['1', '45', '45+3', '46', '90+', '90+2', '105', 'x', ' 45 + 2 ']) {
      expect(sdkSortKey(minute)).toBe(minuteSortKey(minute));
    }
  });

  it('knows the close codes the service sends', () => {
    for (const [name, code] of Object.entries(CloseCode)) {
      expect(HandledCloseCodes[name as keyof typeof HandledCloseCodes], name).toBe(code);
    }
  });
});
