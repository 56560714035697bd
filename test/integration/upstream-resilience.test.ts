/**
 * The service against a misbehaving provider (the stand-in over real HTTP): the circuit breaker
 * opens after repeated failures, stops requests for the cooldown, probes and recovers by itself;
 * HTTP 429 + Retry-After holds the next poll back; provider errors are logged once per change;
 * polling is adaptive (idle cadence with nothing live, fast cadence with a live match).
 *
 * Timestamps recorded by the stand-in are compared only as behaviour checks with wide margins
 * (a 1 s Retry-After, a 1 s idle interval against a 50 ms live one), never as performance limits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PollOutcome } from '../../src/engine/polling-source.js';
import { logLines, startService, type TestService } from '../helpers/service.js';
import { envelope, standInEnv, startStandIn, type CannedReply, type StandIn } from '../helpers/stand-in.js';
import { pollUntil } from '../helpers/waits.js';
import { wireEnvelope, wireMatch } from '../helpers/wire.js';

interface Health {
  status: string;
  upstream: { breaker: string; consecutive_failures: number; last_success_at: string | null; last_failure_kind: string | null };
}

const health = async (service: TestService): Promise<{ code: number; body: Health }> => {
  const response = await fetch(`${service.url}/health`);
  return { code: response.status, body: (await response.json()) as Health };
};

const failedWith = (kind: string) => (outcome: PollOutcome) => !outcome.ok && outcome.error.kind === kind;

describe('upstream resilience', () => {
  let service: TestService | undefined;
  let standIn: StandIn | undefined;

  afterEach(async () => {
    await service?.stop();
    service = undefined;
    await standIn?.close();
    standIn = undefined;
  });

  async function start(env: Record<string, string>): Promise<TestService> {
    service = await startService(standInEnv(standIn as StandIn, { UPSTREAM_RETRIES: '0', ...env }));
    return service;
  }

  it('opens the breaker after UPSTREAM_BREAKER_THRESHOLD failed polls, stops requests, probes and recovers by itself', async () => {
    standIn = await startStandIn();
    let healthy = false;
    standIn.livescore(() => (healthy ? { body: envelope([]) } : { status: 500, body: 'upstream exploded' }));
    const running = await start({ UPSTREAM_BREAKER_THRESHOLD: '3', UPSTREAM_BREAKER_COOLDOWN_SECS: '1' });

    await pollUntil(running, failedWith('circuit_open'));
    const requestsWhenOpened = standIn.count('Livescore');
    expect(requestsWhenOpened).toBe(3);
    const opened = await health(running);
    expect(opened.code).toBe(200);
    expect(opened.body.status).toBe('degraded');
    expect(opened.body.upstream.breaker).toBe('open');
    expect(opened.body.upstream.consecutive_failures).toBeGreaterThanOrEqual(3);

    // While open (1 s cooldown), polls every 50 ms fail fast without reaching the provider.
    for (let i = 0; i < 3; i += 1) {
      expect(await running.app.poller.nextPoll()).toMatchObject({ ok: false, error: { kind: 'circuit_open' } });
    }
    expect(standIn.count('Livescore')).toBe(requestsWhenOpened);

    // After the cooldown one probe goes through (half-open); it still fails, so the breaker opens again.
    await pollUntil(running, failedWith('http_5xx'));
    expect(standIn.count('Livescore')).toBe(requestsWhenOpened + 1);
    expect((await health(running)).body.upstream.breaker).toBe('open');

    // The provider recovers; the next probe closes the breaker without any intervention.
    healthy = true;
    await pollUntil(running, (outcome) => outcome.ok, 400);
    const recovered = await health(running);
    expect(recovered.code).toBe(200);
    expect(recovered.body.status).toBe('healthy');
    expect(recovered.body.upstream.breaker).toBe('closed');
    expect(recovered.body.upstream.consecutive_failures).toBe(0);
    expect(recovered.body.upstream.last_success_at).not.toBeNull();

    const transitions = logLines(running)
      .filter((line) => line['msg'] === 'upstream circuit breaker changed state')
      .map((line) => line['breaker']);
    expect(transitions).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toMatch(/^fsc_upstream_breaker_state 0$/m);
    expect(metrics).toMatch(/^fsc_upstream_failures_total\{kind="circuit_open"\} [1-9]/m);
  });

  it('honours HTTP 429 with Retry-After: the next poll waits at least that long', async () => {
    standIn = await startStandIn();
    const times: number[] = [];
    const replies: CannedReply[] = [
      { body: envelope([]) },
      { status: 429, headers: { 'retry-after': '1' }, body: 'slow down' },
      { body: envelope([]) },
    ];
    standIn.livescore(() => {
      times.push(Date.now());
      return replies.length > 1 ? (replies.shift() as CannedReply) : (replies[0] as CannedReply);
    });
    const running = await start({});
    await standIn.waitForRequests('Livescore', 4, 10_000);
    const [first, limited, afterLimit, next] = times as [number, number, number, number];
    expect(limited).toBeGreaterThanOrEqual(first);
    // Retry-After: 1 means one second at least; the live cadence alone would be 50 ms.
    expect(afterLimit - limited).toBeGreaterThanOrEqual(950);
    expect(next).toBeGreaterThanOrEqual(afterLimit);
    const failures = await running.app.metrics.upstreamFailures.get();
    expect(failures.values.find((v) => v.labels['kind'] === 'rate_limited')?.value).toBe(1);
  });

  it('logs a provider error once per change, not once per poll', async () => {
    standIn = await startStandIn();
    const wrongLogin: CannedReply = {
      body: { error: '1', result: [{ param: null, msg: 'Wrong login credentials', cod: 1004 }] },
    };
    const quota: CannedReply = { body: { success: 0, result: [{ param: null, msg: 'Daily request limit reached', cod: 1009 }] } };
    standIn.livescore(wrongLogin);
    const running = await start({ UPSTREAM_BREAKER_THRESHOLD: '1000' });
    const warnings = (kind: string) =>
      logLines(running).filter((line) => line['msg'] === 'poll failed; no events emitted' && line['kind'] === kind);

    for (let i = 0; i < 6; i += 1) await running.app.poller.nextPoll();
    expect(warnings('auth')).toHaveLength(1);
    expect(String(warnings('auth')[0]?.['error'])).toContain('Wrong login credentials');
    expect(logLines(running).filter((line) => line['msg'] === 'poll failed again').length).toBeGreaterThanOrEqual(4);

    standIn.livescore(quota);
    await pollUntil(running, failedWith('provider_error'));
    for (let i = 0; i < 4; i += 1) await running.app.poller.nextPoll();
    expect(warnings('provider_error')).toHaveLength(1);
    expect(String(warnings('provider_error')[0]?.['error'])).toContain('Daily request limit reached');

    standIn.livescore({ body: envelope([]) });
    await pollUntil(running, (outcome) => outcome.ok);
    expect(logLines(running).filter((line) => line['msg'] === 'upstream recovered')).toHaveLength(1);

    // The same error after a recovery is a change again: logged once more.
    standIn.livescore(wrongLogin);
    await pollUntil(running, failedWith('auth'));
    for (let i = 0; i < 4; i += 1) await running.app.poller.nextPoll();
    expect(warnings('auth')).toHaveLength(2);
    // Three changes, three warnings, over some fifteen failed polls.
    expect(logLines(running).filter((line) => line['level'] === 40)).toHaveLength(3);
  });

  it('polls an empty feed at the idle cadence and a feed with a live match at the fast one', async () => {
    standIn = await startStandIn();
    const times: number[] = [];
    let feed: CannedReply = { body: envelope([]) };
    standIn.livescore(() => {
      times.push(Date.now());
      return feed;
    });
    const running = await start({ POLL_INTERVAL_SECS: '0.05', POLL_INTERVAL_IDLE_SECS: '1' });
    const gaps = (from: number, to: number) => times.slice(from + 1, to + 1).map((t, i) => t - (times[from + i] as number));

    // Idle: two polls of an empty feed are at least the idle interval apart.
    await standIn.waitForRequests('Livescore', 2, 10_000);
    for (const gap of gaps(0, 1)) expect(gap).toBeGreaterThanOrEqual(950);

    // A live match appears: from the next poll on, the fast cadence applies.
    feed = { body: wireEnvelope(wireMatch({ key: 2001, status: '23' })) };
    const liveFrom = standIn.count('Livescore');
    await standIn.waitForRequests('Livescore', liveFrom + 12, 10_000);
    const liveGaps = gaps(liveFrom, liveFrom + 11).sort((a, b) => a - b);
    // Median gap far below the idle interval (the configured fast one is 50 ms).
    expect(liveGaps[Math.floor(liveGaps.length / 2)]).toBeLessThan(500);
    expect(running.app.book.liveCount).toBe(1);

    // The match ends: back to the idle cadence.
    feed = { body: wireEnvelope(wireMatch({ key: 2001, status: 'Finished', live: '0' })) };
    await pollUntil(running, (outcome) => outcome.ok && outcome.events.some((e) => e.type === 'MATCH_ENDED'));
    // The poll that saw the end was the last request; the next one waits for the idle interval.
    const endedAt = standIn.count('Livescore') - 1;
    await standIn.waitForRequests('Livescore', endedAt + 2, 10_000);
    for (const gap of gaps(endedAt, endedAt + 1)) expect(gap).toBeGreaterThanOrEqual(950);
  });
});
