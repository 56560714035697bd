/**
 * The browser examples in a real Chromium (playwright-core, Debian's /usr/bin/chromium), each page
 * served from another origin than the service (a static server on its own port), as a site that
 * embeds live scores would:
 * - examples/browser/index.html: a plain page importing the SDK bundle from the service's /client.js;
 *   the service allows only that origin (ALLOWED_ORIGINS);
 * - examples/react: `useFeed` and a component, type-checked with tsc, built with esbuild (the
 *   project's toolchain) and rendered by React in StrictMode.
 * Both must show the service's goals exactly: every GOAL_SCORED between the first and the last shown,
 * once, and nothing the service did not send.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireEvent } from '../../src/domain/events.js';
import { ROOT } from '../helpers/process.js';
import { startService, type TestService } from '../helpers/service.js';
import { serveFolder, type StaticServer } from '../helpers/static-server.js';

const WAIT_MS = 30_000;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'];
const ENV = { SIM_SPEED: '300', POLL_INTERVAL_SECS: '0.2' };

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
});

async function openPage(errors: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error: Error) => errors.push(`pageerror: ${error.message}`));
  return page;
}

/** The whole retained history, paged through GET /events. */
async function history(baseUrl: string): Promise<WireEvent[]> {
  const events: WireEvent[] = [];
  for (let since = 0; ; ) {
    const page = (await (await fetch(`${baseUrl}/events?since=${since}&limit=1000`)).json()) as { events: WireEvent[]; next_since: number; has_more: boolean };
    events.push(...page.events);
    if (!page.has_more) return events;
    since = page.next_since;
  }
}

/** The goals a page shows (`li[data-event-id]` in `selector`), oldest first. */
async function shownGoals(page: Page, selector: string): Promise<Array<{ eventId: string; seq: number; text: string }>> {
  const goals = await page.locator(`${selector} li[data-event-id]`).evaluateAll((items) =>
    items.map((item) => ({ eventId: String(item.getAttribute('data-event-id')), seq: Number(item.getAttribute('data-seq')), text: String(item.textContent) })));
  return goals.sort((a, b) => a.seq - b.seq);
}

/** Shown goals = the service's GOAL_SCORED events from the first shown to the last, with their scorer and minute. */
async function expectExactGoals(service: TestService, goals: Array<{ eventId: string; seq: number; text: string }>, fromSeq?: number): Promise<void> {
  const first = fromSeq ?? goals[0]?.seq ?? 0;
  const last = goals.at(-1)?.seq ?? 0;
  const expected = (await history(service.url)).filter((e) => e.type === 'GOAL_SCORED' && e.seq >= first && e.seq <= last) as Array<Extract<WireEvent, { type: 'GOAL_SCORED' }>>;
  expect(goals.map((g) => g.eventId)).toEqual(expected.map((e) => e.event_id));
  goals.forEach((goal, i) => expect(goal.text).toContain(`${expected[i]?.minute}' ${expected[i]?.scorer}`));
}

describe('examples/browser/index.html (a plain page on another origin)', () => {
  let site: StaticServer;
  let service: TestService;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    site = await serveFolder(join(ROOT, 'examples/browser'));
    service = await startService({ ...ENV, ALLOWED_ORIGINS: site.url });
    page = await openPage(errors);
  });
  afterAll(async () => {
    await page?.close();
    await service?.stop();
    await site?.close();
  });

  it('imports /client.js cross-origin, goes live and shows the goals the service sends', async () => {
    expect(new URL(site.url).origin).not.toBe(new URL(service.url).origin);
    await page.goto(`${site.url}/?server=${encodeURIComponent(service.url)}`);
    await page.locator('#status[data-state="open"][data-upstream="ok"]').waitFor({ state: 'attached', timeout: WAIT_MS });
    expect(await page.locator('#status').innerText()).toBe('live');
    await page.locator('#matches li').first().waitFor({ timeout: WAIT_MS });
    await page.waitForFunction(`document.querySelectorAll('#goals li').length >= 3`, undefined, { timeout: WAIT_MS * 2 });
    await expectExactGoals(service, await shownGoals(page, '#goals'));
  });

  it('after a reload resumes from the position it kept, missing no goal', async () => {
    const saved = JSON.parse(String(await page.evaluate(`sessionStorage.getItem(Object.keys(sessionStorage).find((k) => k.startsWith('goals-example:')))`))) as { seq: number };
    await page.reload();
    await page.locator('#status[data-state="open"]').waitFor({ state: 'attached', timeout: WAIT_MS });
    await page.waitForFunction(`document.querySelectorAll('#goals li').length >= 2`, undefined, { timeout: WAIT_MS * 2 });
    const goals = await shownGoals(page, '#goals');
    // Everything after the kept position (the goals during the reload too), and nothing before it.
    expect(goals[0]?.seq).toBeGreaterThan(saved.seq);
    await expectExactGoals(service, goals, saved.seq + 1);
  });

  it('logged no console errors (no CORS refusal) and threw no page errors', () => {
    expect(errors).toEqual([]);
  });
});

describe('examples/react (useFeed, built with esbuild, rendered in Chromium)', () => {
  const out = mkdtempSync(join(tmpdir(), 'fsc-example-react-'));
  let site: StaticServer;
  let service: TestService;
  let page: Page;
  const errors: string[] = [];

  /** Runs a node script of the repository and resolves with its exit code and output. */
  const run = (args: string[]) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('close', (code) => resolve({ code, output }));
    });

  beforeAll(async () => {
    service = await startService(ENV);
  });
  afterAll(async () => {
    await page?.close();
    await service?.stop();
    await site?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('type-checks under strict (tsc -p examples/react)', async () => {
    const result = await run([join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'examples/react']);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 180_000);

  it('builds with esbuild (node examples/react/build.mjs --development: StrictMode mounts twice)', async () => {
    const result = await run(['examples/react/build.mjs', out, '--development']);
    expect(result.code, result.output).toBe(0);
    site = await serveFolder(out);
  });

  it('renders live matches and goals with useFeed, one connection under StrictMode', async () => {
    page = await openPage(errors);
    await page.goto(`${site.url}/?server=${encodeURIComponent(service.url)}`);
    await page.locator('[data-testid="state"][data-state="open"]').waitFor({ state: 'attached', timeout: WAIT_MS });
    // The service's view of the provider (the simulated one is fine) reaches the component through useFeed.
    await page.locator('[data-testid="state"][data-upstream="ok"]').waitFor({ state: 'attached', timeout: WAIT_MS });
    expect(await page.locator('[data-testid="state"]').innerText()).toBe('live');
    await page.locator('[data-testid="matches"] li').first().waitFor({ timeout: WAIT_MS });
    // The scores shown are the service's for those matches.
    const { matches } = (await (await fetch(`${service.url}/matches`)).json()) as { matches: Array<{ match_id: string }> };
    const shownIds = await page.locator('[data-testid="matches"] li').evaluateAll((items) => items.map((i) => String(i.getAttribute('data-match-id'))));
    expect(shownIds.filter((id) => matches.some((m) => m.match_id === id)).length).toBeGreaterThan(0);
    await page.waitForFunction(`document.querySelectorAll('[data-testid="goals"] li').length >= 3`, undefined, { timeout: WAIT_MS * 2 });
    await expectExactGoals(service, await shownGoals(page, '[data-testid="goals"]'));
    // StrictMode mounted, unmounted and mounted the effect again: one feed stayed open, not two.
    expect(service.app.hub.connectionCount).toBe(1);
  });

  it('logged no console errors and threw no page errors', () => {
    expect(errors).toEqual([]);
  });
});
