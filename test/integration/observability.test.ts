/**
 * What operators see: Prometheus /metrics (names, labels, values that move when things happen),
 * /health (healthy / degraded 200 / unhealthy 503 with upstream detail), JSON log lines that carry
 * match_id for every line about a match, and LOG_FORMAT=pretty for humans.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { StandInRig, type TestService } from '../helpers/service.js';
import { envelope } from '../helpers/stand-in.js';
import { pollUntil } from '../helpers/waits.js';
import { subscribe, TestClient } from '../helpers/ws-client.js';
import { wireEnvelope, wireGoal, wireMatch } from '../helpers/wire.js';

/** Value of one sample in Prometheus text format (`name{labels} value`), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) found[pair[1] as string] = pair[2] as string;
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

interface Health {
  status: string;
  uptime_secs: number;
  connections: number;
  upstream: {
    last_success_at: string | null;
    consecutive_failures: number;
    breaker: string;
    last_failure_kind: string | null;
  };
}

describe('observability', () => {
  const rig = new StandInRig({ UPSTREAM_RETRIES: '0' });
  afterEach(() => rig.stop());

  const start = (env: Record<string, string> = {}): Promise<TestService> => rig.start(env);

  const metricsText = async (running: TestService): Promise<string> => {
    const response = await fetch(`${running.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  const getHealth = async (running: TestService): Promise<{ code: number; body: Health }> => {
    const response = await fetch(`${running.url}/health`);
    return { code: response.status, body: (await response.json()) as Health };
  };

  it('exposes Prometheus metrics whose values move with connections, events, upstream failures, closes and refusals', async () => {
    const running = await start({ MAX_BAD_MESSAGES: '1', ALLOWED_ORIGINS: 'https://good.example' });
    await running.app.poller.nextPoll();
    const before = await metricsText(running);
    for (const name of [
      'fsc_connections',
      'fsc_upstream_breaker_state',
      'nodejs_eventloop_lag_seconds',
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
    ]) {
      expect(sample(before, name), name).toBeGreaterThanOrEqual(0);
    }
    // The event-loop delay, the worst worker and per process (a single process is worker 0).
    expect(sample(before, 'fsc_event_loop_delay_p99_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(before, 'fsc_worker_event_loop_delay_p99_seconds', { worker: '0' })).toBeGreaterThanOrEqual(0);
    expect(sample(before, 'fsc_event_loop_delay_max_seconds')).toBeGreaterThanOrEqual(sample(before, 'fsc_event_loop_delay_p99_seconds') ?? 0);
    for (const family of [
      'fsc_subscriptions',
      'fsc_events_total',
      'fsc_fanout_duration_seconds',
      'fsc_upstream_request_duration_seconds',
      'fsc_upstream_failures_total',
      'fsc_client_closes_total',
      'fsc_connection_refusals_total',
    ]) {
      expect(before, family).toContain(`# TYPE ${family} `);
    }
    expect(sample(before, 'fsc_connections')).toBe(0);
    expect(sample(before, 'fsc_upstream_breaker_state')).toBe(0);
    expect(sample(before, 'fsc_upstream_request_duration_seconds_count', { method: 'Livescore', outcome: 'ok' })).toBeGreaterThanOrEqual(1);

    // A subscriber and two events.
    const client = await rig.open(running.wsUrl);
    await subscribe(client, { action: 'subscribe_all' });
    rig.standIn.livescore({ body: wireEnvelope(wireMatch({ status: '10' })) });
    await client.nextOfType('MATCH_STARTED');
    rig.standIn.livescore({
      body: wireEnvelope(wireMatch({ status: '12', goals: [wireGoal('home', '11', 'A. Striker', '1 - 0')] })),
    });
    await client.nextOfType('SCORE_UPDATE');
    const live = await metricsText(running);
    expect(sample(live, 'fsc_connections')).toBe(1);
    expect(sample(live, 'fsc_subscriptions', { kind: 'all' })).toBe(1);
    expect(sample(live, 'fsc_events_total', { type: 'MATCH_STARTED' })).toBe(1);
    expect(sample(live, 'fsc_events_total', { type: 'GOAL_SCORED' })).toBe(1);
    expect(sample(live, 'fsc_events_total', { type: 'SCORE_UPDATE' })).toBe(1);
    expect(sample(live, 'fsc_fanout_duration_seconds_count')).toBe(3);
    expect(sample(live, 'fsc_fanout_duration_seconds_bucket', { le: '+Inf' })).toBe(3);

    // Upstream failures by kind, and the breaker gauge.
    rig.standIn.livescore({ status: 503, body: 'down' });
    expect(await pollUntil(running, (outcome) => !outcome.ok)).toMatchObject({ error: { kind: 'http_5xx' } });
    const failing = await metricsText(running);
    expect(sample(failing, 'fsc_upstream_failures_total', { kind: 'http_5xx' })).toBeGreaterThanOrEqual(1);
    expect(sample(failing, 'fsc_upstream_request_duration_seconds_count', { method: 'Livescore', outcome: 'http_5xx' })).toBeGreaterThanOrEqual(1);

    // A close for bad messages and two refusals.
    const bad = await TestClient.open(running.wsUrl);
    bad.send('garbage');
    expect((await bad.closed).code).toBe(4400);
    await expect(TestClient.open(running.wsUrl, { origin: 'https://evil.example' })).rejects.toMatchObject({ status: 403 });
    await expect(TestClient.open(running.wsUrl, { origin: 'https://evil.example' })).rejects.toMatchObject({ status: 403 });
    const after = await metricsText(running);
    expect(sample(after, 'fsc_client_closes_total', { reason: 'bad_messages' })).toBe(1);
    expect(sample(after, 'fsc_connection_refusals_total', { reason: 'origin' })).toBe(2);
    expect(sample(after, 'fsc_client_errors_total', { code: 'INVALID_JSON' })).toBe(1);
  });

  it('reports healthy, then degraded (200) while the upstream fails, then unhealthy (503) when the store is gone', async () => {
    const running = await start();
    await running.app.poller.nextPoll();
    const healthy = await getHealth(running);
    expect(healthy.code).toBe(200);
    expect(healthy.body).toMatchObject({
      status: 'healthy',
      connections: 0,
      upstream: { consecutive_failures: 0, breaker: 'closed' },
    });
    expect(typeof healthy.body.uptime_secs).toBe('number');
    expect(Date.parse(healthy.body.upstream.last_success_at ?? '')).not.toBeNaN();

    await rig.open(running.wsUrl);
    expect((await getHealth(running)).body.connections).toBe(1);

    rig.standIn.livescore({ status: 500, body: 'no' });
    await pollUntil(running, (outcome) => !outcome.ok);
    const degraded = await getHealth(running);
    expect(degraded.code).toBe(200);
    expect(degraded.body.status).toBe('degraded');
    expect(degraded.body.upstream.consecutive_failures).toBeGreaterThanOrEqual(1);
    expect(degraded.body.upstream.last_failure_kind).toBe('http_5xx');
    expect(degraded.body.upstream.last_success_at).not.toBeNull();
    // Another failed poll: the failure count grows, the last success stays where it was.
    await running.app.poller.nextPoll();
    const stillDegraded = await getHealth(running);
    expect(stillDegraded.body.status).toBe('degraded');
    expect(stillDegraded.body.upstream.consecutive_failures).toBeGreaterThan(degraded.body.upstream.consecutive_failures);
    expect(stillDegraded.body.upstream.last_success_at).toBe(degraded.body.upstream.last_success_at);

    rig.standIn.livescore({ body: envelope([]) });
    await pollUntil(running, (outcome) => outcome.ok);
    expect((await getHealth(running)).body.status).toBe('healthy');

    await running.app.store.close();
    const unhealthy = await getHealth(running);
    expect(unhealthy.code).toBe(503);
    expect(unhealthy.body.status).toBe('unhealthy');
  });

  it('writes JSON log lines, and every line about a match carries its match_id', async () => {
    const running = await start({ MISSING_POLLS_BEFORE_END: '1' });
    rig.standIn.livescore({
      body: wireEnvelope(
        wireMatch({ key: 3001, status: '10' }),
        wireMatch({ key: 3002, status: '55', goals: [wireGoal('away', '50', 'B. Winger', '0 - 1')] }),
      ),
    });
    await pollUntil(running, (outcome) => outcome.ok && outcome.events.length > 0);
    // Match 3001 vanishes from the list: the poller looks it up (the stand-in does not know it).
    rig.standIn.livescore({ body: wireEnvelope(wireMatch({ key: 3002, status: '56', goals: [wireGoal('away', '50', 'B. Winger', '0 - 1')] })) });
    await rig.standIn.waitForRequests('Fixtures', 1);
    await running.app.poller.nextPoll();

    const lines = running.logs.flatMap((text) => text.split('\n')).filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(0);
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const line of parsed) {
      expect(typeof line['level']).toBe('number');
      expect(typeof line['time']).toBe('string');
      expect(typeof line['msg']).toBe('string');
    }
    const events = parsed.filter((line) => line['msg'] === 'event');
    expect(events.map((line) => line['match_id']).sort()).toEqual(expect.arrayContaining(['3001', '3002']));
    for (const line of events) expect(['3001', '3002']).toContain(line['match_id']);
    const aboutMatches = parsed.filter((line) => /\bmatch\b/i.test(String(line['msg'])) && !/restored|matches/.test(String(line['msg'])));
    expect(aboutMatches.some((line) => String(line['msg']).includes('vanished'))).toBe(true);
    for (const line of aboutMatches) expect(line['match_id'], String(line['msg'])).toBe('3001');
  });

  it('writes human-readable lines with LOG_FORMAT=pretty, still scrubbing secrets', () => {
    const written: string[] = [];
    const logger = createLogger({ logLevel: 'info', logFormat: 'pretty' }, ['s3cr3t-key-value'], {
      write: (line: string) => {
        written.push(line);
      },
    });
    logger.info({ match_id: '4242', url: 'https://x/?APIkey=s3cr3t-key-value' }, 'goal detected');
    logger.debug('not at this level');
    const text = written.join('');
    expect(text).toContain('goal detected');
    expect(text).toContain('4242');
    expect(text).toContain('INFO');
    expect(text).not.toContain('s3cr3t-key-value');
    expect(text).not.toContain('not at this level');
    for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
      expect(() => JSON.parse(line) as unknown).toThrow();
    }

    const json: string[] = [];
    createLogger({ logLevel: 'info', logFormat: 'json' }, [], { write: (line: string) => void json.push(line) }).info(
      { match_id: '4242' },
      'goal detected',
    );
    expect(JSON.parse(json.join(''))).toMatchObject({ match_id: '4242', msg: 'goal detected', level: 30 });
  });
});
