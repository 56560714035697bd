/**
 * When a client is silent (issue 19): a ping it was sent has gone unanswered past the answer window,
 * not merely an old last pong. At 100,000 connections on two cores the heartbeat wheel fell behind,
 * pinged each client less often than every interval, and the old rule (last pong older than the
 * timeout) dropped 3,559 clients that had answered every ping they were sent.
 */
import { describe, expect, it } from 'vitest';
import { answerWindow, isSilent } from '../../src/server/ws.js';

const INTERVAL = 5_000;
const TIMEOUT = 10_000;
const WINDOW = answerWindow(INTERVAL, TIMEOUT);

/** A client as the binding sees it: pinged at `pings`, answering each after `rtt` unless `answers` is false. */
function simulate(pings: number[], checks: number[], answers: boolean, rtt = 1): boolean[] {
  const state = { lastSeenAt: 0, pingedAt: 0 };
  const events = [...pings.map((t) => ({ t, kind: 'ping' as const })), ...(answers ? pings.map((t) => ({ t: t + rtt, kind: 'pong' as const })) : []), ...checks.map((t) => ({ t, kind: 'check' as const }))].sort(
    (a, b) => a.t - b.t || (a.kind === 'check' ? 1 : -1),
  );
  const verdicts: boolean[] = [];
  for (const { t, kind } of events) {
    if (kind === 'ping' && state.pingedAt <= state.lastSeenAt) state.pingedAt = t;
    if (kind === 'pong') state.lastSeenAt = t;
    if (kind === 'check') verdicts.push(isSilent(state, t, WINDOW));
  }
  return verdicts;
}

describe('heartbeat silence', () => {
  it('the answer window is the timeout less one interval (5 s with the defaults)', () => {
    expect(WINDOW).toBe(5_000);
    expect(answerWindow(5_000, 5_000)).toBe(2_500);
  });

  it('a client that answers every ping is never silent, however late the server pings it', () => {
    // Pings 5 s apart, then 20 s apart (the wheel behind on a saturated machine): the last pong is
    // up to 20 s old at a check, far past the 10 s timeout.
    const pings = [5_000, 10_000, 30_000, 50_000, 70_000];
    const checks = [12_000, 29_000, 45_000, 69_000, 75_000];
    expect(simulate(pings, checks, true)).toEqual([false, false, false, false, false]);
  });

  it('a client that stops answering is silent once a ping has waited past the window: 10 s after its last pong at the normal cadence', () => {
    const pings = [5_000, 10_000, 15_000, 20_000];
    // It never answers: the ping at 5 s is the oldest unanswered one.
    expect(simulate(pings, [9_000, 10_000, 10_001, 17_500], false)).toEqual([false, false, true, true]);
  });

  it('an unpinged client is not silent, and a ping answered at the same tick counts as answered', () => {
    expect(isSilent({ lastSeenAt: 0, pingedAt: 0 }, 60_000, WINDOW)).toBe(false);
    expect(isSilent({ lastSeenAt: 1_000, pingedAt: 1_000 }, 60_000, WINDOW)).toBe(false);
    expect(isSilent({ lastSeenAt: 1_000, pingedAt: 1_001 }, 6_002, WINDOW)).toBe(true);
  });
});
