/**
 * The simulated matchday in provider-neutral terms (src/sim/matchday.ts `neutralPhase`) agrees with
 * what the AllSportsAPI parser reads from the AllSportsAPI renderer at every moment: a renderer for
 * another provider can start from the neutral phase and get the same facts.
 */
import { describe, expect, it } from 'vitest';
import { phaseAt } from '../../src/sim/clock.js';
import { neutralPhase } from '../../src/sim/matchday.js';
import { matchdayLengthSecs, renderLivescore, scriptedMatches } from '../../src/sim/render/allsportsapi/index.js';
import { parseReply } from '../../src/upstream/allsportsapi/parse.js';

describe('neutralPhase', () => {
  it('gives the phase, minute and shoot-out flag the AllSportsAPI parser reads, every 10 sim seconds of a cycle', () => {
    const played = scriptedMatches(0).filter((m) => m.plan !== null && m.kickoffSecs !== null);
    let compared = 0;
    const phases = new Set<string>();
    for (let simSecs = 0; simSecs < matchdayLengthSecs; simSecs += 10) {
      const reply = parseReply(JSON.parse(JSON.stringify(renderLivescore(simSecs))));
      if (!reply.ok) throw new Error(reply.error.message);
      for (const snapshot of reply.value.matches) {
        const match = played.find((m) => String(m.eventKey) === snapshot.matchId);
        if (match?.plan == null || match.kickoffSecs === null) continue;
        const neutral = neutralPhase(phaseAt(match.plan, simSecs - match.kickoffSecs));
        expect({ phase: snapshot.phase, minute: snapshot.minute, shootout: snapshot.shootout }, `${match.label} at ${simSecs}s`).toEqual(neutral);
        phases.add(neutral.phase);
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(100);
    expect([...phases].sort()).toEqual(['extra_time', 'finished', 'first_half', 'half_time', 'not_started', 'penalties', 'second_half']);
  });
});
