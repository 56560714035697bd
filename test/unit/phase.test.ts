/**
 * Status normalisation (AllSportsAPI's, src/upstream/allsportsapi/status.ts), phase rules
 * (src/detect/phase.ts) and minute arithmetic (src/detect/minute.ts): the two
 * tables every detection decision rests on.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Phase } from '../../src/domain/match.js';
import { hasKickedOff, isCalledOff, isTerminal, phaseRank } from '../../src/detect/phase.js';
import { FINISHED_STATUSES, isShootoutStatus, minuteOf, phaseOf } from '../../src/upstream/allsportsapi/status.js';
import { minuteDistance, minuteSortKey, minuteValue } from '../../src/detect/minute.js';

describe('phaseOf', () => {
  it.each<[string, Phase]>([
    ['', 'not_started'],
    ['1', 'first_half'],
    ['30', 'first_half'],
    ['45', 'first_half'],
    ['45+', 'first_half'],
    ['45+2', 'first_half'],
    ["30'", 'first_half'],
    ['Half Time', 'half_time'],
    ['46', 'second_half'],
    ['90', 'second_half'],
    ['90+', 'second_half'],
    ['91', 'extra_time'],
    ['Break Time', 'extra_time_break'],
    ['105+', 'extra_time'],
    ['120', 'extra_time'],
    ['120+', 'extra_time'],
    ['Extra Time', 'extra_time'],
    ['Penalties', 'penalties'],
    ['Finished', 'finished'],
    ['After ET', 'finished'],
    ['After Pen.', 'finished'],
    ['Postponed', 'postponed'],
    ['Cancelled', 'cancelled'],
    ['Abandoned', 'abandoned'],
    ['Suspended', 'suspended'],
    ['Interrupted', 'interrupted'],
    ['Delayed', 'delayed'],
    ['Awarded', 'awarded'],
  ])('maps the provider status %j to %s', (status, phase) => {
    expect(phaseOf(status)).toBe(phase);
  });

  it('is case- and space-insensitive for word statuses', () => {
    expect(phaseOf('  half time ')).toBe('half_time');
    expect(phaseOf('FINISHED')).toBe('finished');
    expect(phaseOf('after pen')).toBe('finished');
  });

  it('carries unknown statuses through as "unknown" instead of guessing', () => {
    expect(phaseOf('Weather delay?')).toBe('unknown');
    expect(phaseOf('Q3')).toBe('unknown');
    expect(phaseOf('-')).toBe('unknown');
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (status) => {
        const phase = phaseOf(status);
        expect(typeof phase).toBe('string');
      }),
      { numRuns: 300 },
    );
  });

  it('treats the three finished labels of the recordings as finished', () => {
    for (const status of FINISHED_STATUSES) expect(phaseOf(status)).toBe('finished');
    expect([...FINISHED_STATUSES].sort()).toEqual(['After ET', 'After Pen.', 'Finished']);
  });
});

describe('phase predicates', () => {
  it('terminal phases: finished, postponed, cancelled, abandoned, awarded', () => {
    const all: Phase[] = [
      'not_started', 'first_half', 'half_time', 'second_half', 'extra_time', 'penalties', 'finished',
      'postponed', 'cancelled', 'abandoned', 'suspended', 'interrupted', 'delayed', 'awarded', 'unknown',
    ];
    expect(all.filter(isTerminal)).toEqual(['finished', 'postponed', 'cancelled', 'abandoned', 'awarded']);
    expect(all.filter((p) => !hasKickedOff(p))).toEqual(['not_started', 'delayed']);
    // Abandoned is terminal but not "called off": a match is abandoned during play.
    expect(all.filter(isCalledOff)).toEqual(['postponed', 'cancelled']);
  });

  it('ranks the in-play phases in match order and nothing else', () => {
    const order: Phase[] = ['not_started', 'first_half', 'half_time', 'second_half', 'extra_time', 'penalties'];
    const ranks = order.map(phaseRank);
    expect(ranks).toEqual([...ranks].sort((a, b) => (a ?? 0) - (b ?? 0)));
    expect(new Set(ranks).size).toBe(order.length);
    for (const p of ['finished', 'postponed', 'interrupted', 'unknown'] as Phase[]) expect(phaseRank(p)).toBeUndefined();
  });

  it('recognises the shoot-out by a status naming penalties', () => {
    expect(isShootoutStatus('Penalties')).toBe(true);
    expect(isShootoutStatus('After Pen.')).toBe(true);
    expect(isShootoutStatus('After ET')).toBe(false);
    expect(isShootoutStatus('Finished')).toBe(false);
    expect(isShootoutStatus('118')).toBe(false);
  });

  it('reads the minute of a minute status, and none of a word status', () => {
    expect(['23', '45+', '45+2', ' 67 ', "30'", 'Half Time', '', 'Finished'].map(minuteOf)).toEqual(['23', '45+', '45+2', '67', "30'", null, null, null]);
  });
});

describe('minutes', () => {
  it('values count added time: "45+2" is 47, "90+" is 90', () => {
    expect(minuteValue('29')).toBe(29);
    expect(minuteValue('45+2')).toBe(47);
    expect(minuteValue('90+')).toBe(90);
    expect(minuteValue('120+1')).toBe(121);
    expect(minuteValue('HT')).toBeNaN();
  });

  it('distance is what the identity tolerance compares', () => {
    expect(minuteDistance('45', '45+2')).toBe(2);
    expect(minuteDistance('14', '13')).toBe(1);
    expect(minuteDistance('x', 'x')).toBe(0);
    expect(minuteDistance('x', '12')).toBe(Number.POSITIVE_INFINITY);
  });

  it('sorts chronologically: stoppage time of a half comes before the next half', () => {
    const minutes = ['46', '45+3', '90+2', '12', '91', '45', '45+1', '120+1', '105'];
    const sorted = [...minutes].sort((a, b) => minuteSortKey(a) - minuteSortKey(b));
    expect(sorted).toEqual(['12', '45', '45+1', '45+3', '46', '90+2', '91', '105', '120+1']);
  });

  it('puts unparseable minutes last', () => {
    expect(minuteSortKey('?')).toBeGreaterThan(minuteSortKey('120+5'));
  });
});
