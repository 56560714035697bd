/**
 * The built service (`node dist/main.js`) with a known API key, polling a stand-in provider that
 * fails in every way that tends to leak a URL — 5xx pages and proxy error pages quoting the full
 * request URL, timeouts, error envelopes echoing the URL, 429s, HTML where JSON was expected — at
 * LOG_LEVEL=trace. The key, the auth tokens and the metrics token appear nowhere in what the
 * process prints, nor in /health or /metrics. Neither do the credentials of a proxy given in
 * ALLSPORTS_BASE_URL (nor are they stored in DATA_DIR), nor a token carried by a malformed HTTP
 * request, whose raw bytes Node hands to the logger. (`npm test` builds dist/ first.)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServiceProcess, type ListeningService } from '../helpers/process.js';
import { startStandIn, type CannedReply, type RecordedRequest, type StandIn } from '../helpers/stand-in.js';
import { TestClient } from '../helpers/ws-client.js';

const API_KEY = 'KEY-7f3a9c1e-SECRET';
const AUTH_TOKEN = 'tok-4b5c6d7e-SECRETTOKEN';
const METRICS_TOKEN = 'metrics-9d8e7f60-SECRET';
const SECRETS = [API_KEY, AUTH_TOKEN, METRICS_TOKEN];
/** Distinctive parts: not even a fragment may show. */
const FRAGMENTS = ['7f3a9c1e', '4b5c6d7e', '9d8e7f60'];

describe('secrets stay out of the output', () => {
  let service: ListeningService | undefined;
  let standIn: StandIn | undefined;
  let dataDir: string | undefined;

  afterEach(async () => {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
    service = undefined;
    await standIn?.close();
    standIn = undefined;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('never prints the API key or tokens through upstream errors, auth traffic, /health or /metrics', async () => {
    standIn = await startStandIn();
    const origin = new URL(standIn.baseUrl).origin;
    const full = (request: RecordedRequest) => `${origin}${request.url}`;
    const faults: Array<(request: RecordedRequest) => CannedReply> = [
      (r) => ({ status: 500, headers: { 'content-type': 'text/plain' }, body: `Internal Server Error while handling GET ${full(r)}` }),
      () => ({ delayMs: 1_500, body: { success: 1, result: [] } }),
      (r) => ({ body: { success: 0, error: '1', result: [{ param: 'APIkey', msg: `Wrong login credentials for ${full(r)}`, cod: 1004 }] } }),
      (r) => ({
        status: 502,
        headers: { 'content-type': 'text/html' },
        body: `<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>The proxy could not reach ${full(r)} (APIkey ${API_KEY})</p></body></html>`,
      }),
      (r) => ({ headers: { 'content-type': 'text/html' }, body: `<!DOCTYPE html><p>Moved: <a href="${full(r)}">${full(r)}</a></p>` }),
      (r) => ({ status: 429, headers: { 'retry-after': '0' }, body: { success: 0, message: `Too many requests for ${full(r)}` } }),
      (r) => ({ status: 403, body: { success: 0, result: [{ param: 'APIkey', msg: `Invalid key ${API_KEY} (${full(r)})`, cod: 1005 }] } }),
      () => ({ body: { success: 0, error: `Daily quota exceeded for key ${API_KEY}` } }),
      (r) => ({ body: `{"success":1,"result":[{"event_key":"${API_KEY}","url":"${full(r)}"}]}` }),
      (r) => ({ body: `{"success":1,"result":"${full(r)}"` }),
    ];
    let served = 0;
    standIn.livescore((request) => {
      const fault = faults[served % faults.length] as (request: RecordedRequest) => CannedReply;
      served += 1;
      return fault(request);
    });

    dataDir = mkdtempSync(join(tmpdir(), 'fsc-secrets-'));
    service = await startServiceProcess({
      ALLSPORTS_API_KEY: API_KEY,
      ALLSPORTS_BASE_URL: standIn.baseUrl,
      AUTH_TOKENS: `other-token,${AUTH_TOKEN}`,
      METRICS_TOKEN,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'trace',
      POLL_INTERVAL_SECS: '0.05',
      POLL_INTERVAL_IDLE_SECS: '0.05',
      UPSTREAM_TIMEOUT_SECS: '0.3',
      UPSTREAM_RETRIES: '1',
      UPSTREAM_RETRY_BASE_SECS: '0.01',
      // Every poll reaches the stand-in (breaker logging is covered by upstream-resilience).
      UPSTREAM_BREAKER_THRESHOLD: '1000',
    });
    const running = service;

    // Every fault twice.
    await standIn.waitForRequests('Livescore', faults.length * 2, 20_000);
    expect(standIn.requests.some((r) => r.query.get('APIkey') === API_KEY)).toBe(true);

    // Authenticated traffic with the tokens in headers and query strings, and refused attempts.
    const client = await TestClient.open(`${running.wsUrl}?token=${AUTH_TOKEN}`);
    client.send({ action: 'subscribe_all' });
    await client.nextOfType('SUBSCRIBED');
    await expect(TestClient.open(`${running.wsUrl}?token=${AUTH_TOKEN}x`)).rejects.toMatchObject({ status: 401 });
    expect((await fetch(`${running.url}/events?token=${AUTH_TOKEN}&since=0`)).status).toBe(200);
    expect((await fetch(`${running.url}/matches`, { headers: { authorization: `Bearer ${AUTH_TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${running.url}/nowhere?token=${AUTH_TOKEN}`)).status).toBe(404);
    expect((await fetch(`${running.url}/events?token=${AUTH_TOKEN}&since=-1`)).status).toBe(400);

    const health = await fetch(`${running.url}/health`);
    const healthText = await health.text();
    expect(JSON.parse(healthText)).toMatchObject({ status: 'degraded' });
    const metrics = await fetch(`${running.url}/metrics?token=${METRICS_TOKEN}`);
    expect(metrics.status).toBe(200);
    const metricsText = await metrics.text();
    expect(metricsText).toContain('fsc_upstream_failures_total{kind="http_5xx"}');
    await client.close();

    running.child.kill('SIGTERM');
    expect((await running.exited).code).toBe(0);
    const output = running.output();

    // The faults were exercised and logged (so this test can fail), with the secrets scrubbed.
    for (const kind of ['http_5xx', 'timeout', 'auth', 'bad_json', 'rate_limited', 'provider_error', 'bad_format']) {
      expect(output, kind).toContain(`"kind":"${kind}"`);
    }
    expect(output).toContain('Wrong login credentials');
    for (const text of [output, healthText, metricsText]) {
      for (const secret of [...SECRETS, ...FRAGMENTS]) expect(text.includes(secret), secret).toBe(false);
    }
  });

  it('never prints proxy credentials from ALLSPORTS_BASE_URL nor a token carried by a malformed request, at trace', async () => {
    const PROXY_USER = 'proxyuser';
    const PROXY_PASSWORD = 'pr0xy-3c1d5a7b-PASS';
    const RAW_TOKEN = 'rawtok-6e2f8a1d-SECRETTOKEN';
    const secrets = [PROXY_PASSWORD, `${PROXY_USER}:${PROXY_PASSWORD}`, RAW_TOKEN, '3c1d5a7b', '6e2f8a1d'];
    standIn = await startStandIn();
    const proxied = new URL(standIn.baseUrl);
    proxied.username = PROXY_USER;
    proxied.password = PROXY_PASSWORD;
    const quoting = `${proxied.origin.replace('//', `//${PROXY_USER}:${PROXY_PASSWORD}@`)}/football/?met=Livescore`;
    let served = 0;
    standIn.livescore(() => {
      served += 1;
      // A proxy error page quoting the URL with its credentials, then an error envelope quoting it.
      return served % 2 === 1
        ? { status: 502, headers: { 'content-type': 'text/plain' }, body: `Bad Gateway: could not reach ${quoting}` }
        : { body: { success: 0, error: `Proxy refused ${quoting}` } };
    });

    dataDir = mkdtempSync(join(tmpdir(), 'fsc-secrets-'));
    service = await startServiceProcess({
      ALLSPORTS_API_KEY: API_KEY,
      ALLSPORTS_BASE_URL: proxied.toString(),
      AUTH_TOKENS: RAW_TOKEN,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'trace',
      POLL_INTERVAL_SECS: '0.05',
      POLL_INTERVAL_IDLE_SECS: '0.05',
      UPSTREAM_RETRIES: '0',
      UPSTREAM_BREAKER_THRESHOLD: '1000',
    });
    const running = service;
    await standIn.waitForRequests('Livescore', 4, 20_000);

    // A malformed request (a header line without a colon) carrying the token in both places.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(running.port, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      socket.write(
        `GET /events?token=${RAW_TOKEN}&since=0 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${RAW_TOKEN}\r\n` +
          `this line is not a header\r\n\r\n`,
      );
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    await running.waitForLog((line) => typeof line['msg'] === 'string' && String(line['msg']).startsWith('client error'));

    running.child.kill('SIGTERM');
    expect((await running.exited).code).toBe(0);
    const output = running.output();
    // Exercised (so this test can fail): the polling line names the proxy, the faults were logged.
    expect(output).toContain('polling AllSportsAPI');
    expect(output).toContain('REDACTED@127.0.0.1');
    expect(output).toContain('"kind":"http_5xx"');
    expect(output).toContain('Proxy refused');
    for (const secret of [...secrets, API_KEY]) {
      expect(output.includes(secret), secret).toBe(false);
      // Nor as bytes: a Buffer is logged as {"type":"Buffer","data":[114,97,…]}, which no text scrubber sees.
      expect(output.includes(Buffer.from(secret).join(',')), `${secret} as bytes`).toBe(false);
    }
    expect(output).not.toContain('rawPacket');
    // Nor are the credentials kept in DATA_DIR (the feed identity is stored without them).
    for (const file of readdirSync(dataDir)) {
      const bytes = readFileSync(join(dataDir, file)).toString('latin1');
      for (const secret of [PROXY_PASSWORD, `${PROXY_USER}:`]) expect(bytes.includes(secret), `${secret} in ${file}`).toBe(false);
    }
  });
});
