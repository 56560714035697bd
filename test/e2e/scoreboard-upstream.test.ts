/**
 * The scoreboard's "provider unavailable" (issue 18 §2, §4): the page shows what the server's
 * `UPSTREAM_STATUS` frame says, through the SDK's `upstream` event.
 *
 * First a real WebSocket server in the test plays the service (it serves the page, the built SDK
 * bundle, an empty day of `/events`, and `/ws`), so the test decides exactly which frames the page
 * gets and when: `SUBSCRIBED`, an empty `SNAPSHOT`, then `UPSTREAM_STATUS` ok, down, degraded, ok.
 * Then the real service on a stand-in provider that refuses the API key, and takes it again.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { ROOT } from '../helpers/process.js';
import { startService, type TestService } from '../helpers/service.js';
import { envelope, standInEnv, startStandIn, type CannedReply, type StandIn } from '../helpers/stand-in.js';

const WAIT_MS = 15_000;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'];
const EPOCH = 'upstream-test';
const KEY = 'scoreboard-status-key';
/** AllSportsAPI's answer to a refused key. */
const WRONG_LOGIN: CannedReply = { body: { error: '1', result: [{ param: null, msg: 'Wrong login credentials', cod: 1004 }] } };

/** A stand-in for the service, speaking the protocol over a real socket; the test sends the frames. */
class ScriptedService {
  readonly sockets: WebSocket[] = [];
  private readonly waiters = new Set<() => void>();
  private constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {}

  static async start(): Promise<ScriptedService> {
    const page = readFileSync(join(ROOT, 'public/index.html'));
    const bundle = readFileSync(join(ROOT, 'packages/client/dist/client.min.js'));
    const server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      if (path === '/') response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
      else if (path === '/client.js') response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(bundle);
      else if (path === '/events') {
        response.writeHead(200, { 'Content-Type': 'application/json' }).end(
          JSON.stringify({ epoch: EPOCH, events: [], next_since: 0, has_more: false, latest_seq: 0, oldest_available_seq: 1, truncated: false }),
        );
      } else response.writeHead(404).end();
    });
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (request, socket, head) => {
      if (new URL(request.url ?? '/', 'http://x').pathname !== '/ws') {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const service = new ScriptedService(server, wss, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { action?: string };
        if (frame.action === 'subscribe_all' || frame.action === 'subscribe') {
          ws.send(JSON.stringify({ type: 'SUBSCRIBED', subscription: 'all_matches', epoch: EPOCH, seq: 0 }));
          ws.send(JSON.stringify({ type: 'SNAPSHOT', seq: 0, matches: [] }));
          service.sockets.push(ws);
          for (const wake of [...service.waiters]) wake();
        } else if (frame.action === 'ping') {
          ws.send(JSON.stringify({ type: 'PONG' }));
        }
      });
    });
    return service;
  }

  /** The first subscribed socket (waits for one). */
  subscribed(): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const socket = this.sockets[0];
        if (socket === undefined) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(socket);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error('the page did not subscribe'));
      }, WAIT_MS);
      this.waiters.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('scoreboard: provider status (UPSTREAM_STATUS)', () => {
  let browser: Browser;
  let service: ScriptedService;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    service = await ScriptedService.start();
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error: Error) => errors.push(`pageerror: ${error.message}`));
  });
  afterAll(async () => {
    await page?.close();
    await browser?.close();
    await service?.close();
  });

  const status = async () => (await page.locator('#status').innerText()).trim();
  const waitStatus = (text: string) =>
    page.waitForFunction(`document.getElementById('status-text').textContent === ${JSON.stringify(text)}`, undefined, { timeout: WAIT_MS });

  it('says "live" once subscribed while the provider is fine', async () => {
    await page.goto(`${service.url}/`);
    const socket = await service.subscribed();
    socket.send(JSON.stringify({ type: 'UPSTREAM_STATUS', state: 'ok', since: new Date().toISOString(), reason: 'polling normally' }));
    await waitStatus('live');
    expect(await page.locator('#status').getAttribute('data-upstream')).toBe('ok');
  });

  it('says "provider unavailable" when the server reports the provider down, with the reason under "connection"', async () => {
    const socket = await service.subscribed();
    const since = '2026-12-07T09:00:00.000Z';
    socket.send(JSON.stringify({ type: 'UPSTREAM_STATUS', state: 'down', since, reason: 'HTTP 401 from the provider' }));
    await waitStatus('provider unavailable');
    expect(await status()).toBe('provider unavailable');
    expect(await page.locator('#status').getAttribute('data-upstream')).toBe('down');
    // The socket itself is fine: that is under "connection", with the provider's reason.
    expect(await page.locator('#socket-state').textContent()).toBe('connected');
    expect(await page.locator('#upstream').textContent()).toContain('HTTP 401 from the provider');
    expect(await page.locator('#announcer').textContent()).toMatch(/provider is unavailable/);
    await page.screenshot({ path: join(ROOT, 'test-results/scoreboard-provider-down-phone.png'), fullPage: true });
  });

  it('says "live · delayed" when degraded, and "live" again when it recovers', async () => {
    const socket = await service.subscribed();
    socket.send(JSON.stringify({ type: 'UPSTREAM_STATUS', state: 'degraded', since: new Date().toISOString(), reason: 'slow answers' }));
    await waitStatus('live · delayed');
    socket.send(JSON.stringify({ type: 'UPSTREAM_STATUS', state: 'ok', since: new Date().toISOString(), reason: 'answering normally' }));
    await waitStatus('live');
    expect(await page.locator('#announcer').textContent()).toMatch(/provider is back/);
  });

  it('logged no console errors and threw no page errors', () => {
    expect(errors).toEqual([]);
  });
});

describe('scoreboard: provider status from the real service', () => {
  let browser: Browser;
  let standIn: StandIn;
  let service: TestService;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    standIn = await startStandIn();
    standIn.livescore({ body: envelope([]) });
    // The breaker stays closed: the refused key alone makes the provider `down`.
    service = await startService(standInEnv(standIn, { ALLSPORTS_API_KEY: KEY, UPSTREAM_BREAKER_THRESHOLD: '1000' }));
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error: Error) => errors.push(`pageerror: ${error.message}`));
  });
  afterAll(async () => {
    await page?.close();
    await browser?.close();
    await service?.stop();
    await standIn?.close();
  });

  const waitStatus = (text: string) =>
    page.waitForFunction(`document.getElementById('status-text').textContent === ${JSON.stringify(text)}`, undefined, { timeout: WAIT_MS });

  it('says "provider unavailable" while the provider refuses the key, and "live" when it takes it again', async () => {
    await page.goto(`${service.url}/`);
    await waitStatus('live');
    standIn.livescore(WRONG_LOGIN);
    await waitStatus('provider unavailable');
    // No match is live here: the page says why there is nothing, rather than "No live matches yet".
    expect(await page.locator('#matches-empty').innerText()).toBe('No scores: the data provider is unavailable.');
    await page.locator('#connection > summary').click();
    expect(await page.locator('#upstream').innerText()).toContain('the provider refuses the API key');
    expect(await page.locator('#socket-state').innerText()).toBe('connected');
    const text = await page.locator('body').innerText();
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('Wrong login');
    await page.locator('#connection > summary').click();
    await page.screenshot({ path: join(ROOT, 'test-results/scoreboard-provider-down-desktop.png'), fullPage: true });
    standIn.livescore({ body: envelope([]) });
    await waitStatus('live');
    expect(await page.locator('#matches-empty').innerText()).toBe('No live matches yet.');
  });

  it('logged no console errors and threw no page errors', () => {
    expect(errors).toEqual([]);
  });
});
