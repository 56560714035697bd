/**
 * The test client page (GET /) in a real Chromium, driven by playwright-core, against the service
 * running in-process on a stand-in provider: the page connects, renders events and the matches
 * panel, reconnects and resumes by itself after the server closes it, and answers ping with PONG.
 *
 * Chromium is Debian's (/usr/bin/chromium, `apt-get install -y chromium`); nothing is downloaded.
 * The steps share one page and run in order: each builds on the state the previous one left.
 */
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../src/domain/protocol.js';
import { startService, startWithStandIn, type TestService } from '../helpers/service.js';
import type { StandIn } from '../helpers/stand-in.js';
import { wireCard, wireEnvelope, wireGoal, wireMatch, type WireObject } from '../helpers/wire.js';

const WAIT_MS = 10_000;
/** Provider text that would run script if the page ever parsed it as HTML. */
const HOSTILE_SCORER = '<img src=x onerror="window.__pwned=1">Striker';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
});

/** A new page that records console errors and uncaught exceptions into `errors`. */
async function openPage(errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error: Error) => errors.push(`pageerror: ${error.message}`));
  return page;
}

describe('test client page in Chromium', () => {
  let standIn: StandIn;
  let service: TestService;
  let page: Page;
  const pageErrors: string[] = [];

  /** Serves this one match from now on. */
  const serve = (...goals: WireObject[]) => (extra: { status?: string; cards?: WireObject[] } = {}) =>
    standIn.livescore({ body: wireEnvelope(wireMatch({ key: 1001, home: 'Home FC', away: 'Away FC', status: extra.status ?? '12', goals, cards: extra.cards ?? [] })) });

  const firstGoal = wireGoal('home', '11', HOSTILE_SCORER, '1 - 0');
  const secondGoal = wireGoal('away', '30', 'B. Second', '1 - 1');
  const thirdGoal = wireGoal('home', '40', 'C. Third', '2 - 1');

  const logItems = (type: string) => page.locator(`#event-log li[data-type="${type}"]`);
  const scoreOf = (matchId: string) => page.locator(`#matches [data-match-id="${matchId}"] [data-field="score"]`);
  /** Waits until an element matching `selector` exists (Playwright's auto-waiting locator). */
  const waitFor = (selector: string) => page.locator(selector).first().waitFor({ state: 'attached', timeout: WAIT_MS });
  const text = async (selector: string) => (await page.locator(selector).textContent())?.trim() ?? '';
  const attr = async (selector: string, name: string) => page.locator(selector).getAttribute(name);

  /** Waits for the poller to store an event with a seq above `seq`. */
  async function storedBeyond(seq: number): Promise<void> {
    for (let polls = 0; polls < 100; polls += 1) {
      if ((await service.app.store.bounds()).latestSeq > seq) return;
      await service.app.poller.nextPoll();
    }
    throw new Error(`no event stored after seq ${seq}`);
  }

  beforeAll(async () => {
    ({ standIn, service } = await startWithStandIn());
    page = await openPage(pageErrors);
  });

  // On failure, what the page itself reported: its status line and connection activity.
  afterEach(async (context) => {
    if (context.task.result?.state !== 'fail' || page === undefined) return;
    const header = (await page.locator('header').innerText()).replace(/\s+/g, ' ');
    const activity = await page.locator('#activity').innerText();
    console.error(`page header: ${header}\nactivity (newest first):\n${activity}\nerrors: ${pageErrors.join('; ')}`);
  });

  afterAll(async () => {
    // Page first: a page left open would try to reconnect to the stopped service.
    await page?.close();
    await service?.stop();
    await standIn?.close();
  });

  it('loads from GET / and shows "connected" with a fresh subscription', async () => {
    const response = await page.goto(`${service.url}/?reconnectBaseMs=50`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toContain('text/html');
    await waitFor('#status[data-state="connected"]');
    expect(await text('#status')).toBe('connected');
    await waitFor('#connections[data-count="1"]');
    expect(await attr('#resume', 'data-resumed')).toBe('fresh');
    // The subscription's snapshot set the position: an epoch and a seq are shown.
    await waitFor('#last-seq[data-seq]:not([data-seq=""])');
    const { epoch } = await service.app.store.bounds();
    expect(await text('#epoch')).toBe(epoch);
    expect(await text('#matches-empty')).toBe('No live matches yet.');
  });

  it('shows MATCH_STARTED and an injected goal in the log, and the new score in the matches panel', async () => {
    serve()({ status: '10' });
    await waitFor('#event-log li[data-type="MATCH_STARTED"]');
    const started = logItems('MATCH_STARTED');
    expect(await started.count()).toBe(1);
    expect(await started.getAttribute('data-match-id')).toBe('1001');
    await waitFor('#matches [data-match-id="1001"]');
    expect(await text('#matches [data-match-id="1001"] [data-field="home"]')).toBe('Home FC');
    expect(await text('#matches [data-match-id="1001"] [data-field="away"]')).toBe('Away FC');
    expect(await text('#matches [data-match-id="1001"] .match-league')).toContain('Premier League');

    serve(firstGoal)({ status: '12' });
    await waitFor('#event-log li[data-type="GOAL_SCORED"]');
    const goal = logItems('GOAL_SCORED');
    expect(await goal.count()).toBe(1);
    const description = (await goal.locator('summary .desc').textContent()) ?? '';
    // Provider text shows as text: the markup is visible, and no element or script came of it.
    expect(description).toContain(`11' ${HOSTILE_SCORER} (Home FC)`);
    expect(description).toContain('1-0');
    expect(await page.locator('#event-log img, #matches img').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();

    await page.locator('#matches [data-match-id="1001"] [data-field="score"]').filter({ hasText: /^1-0$/ }).waitFor({ timeout: WAIT_MS });
    expect(await scoreOf('1001').textContent()).toBe('1-0');

    // The raw JSON is one click away and is the frame the server sent.
    await goal.locator('summary').click();
    const raw = JSON.parse((await goal.locator('pre.raw').textContent()) ?? '{}') as Record<string, unknown>;
    expect(raw).toMatchObject({ type: 'GOAL_SCORED', match_id: '1001', scorer: HOSTILE_SCORER, minute: '11', score: '1-0', team: 'home' });
    expect(await goal.getAttribute('data-seq')).toBe(String(raw['seq']));
    expect(await goal.getAttribute('data-event-id')).toBe(String(raw['event_id']));
  });

  it('reconnects by itself after the server closes it with 1001, resumes, and shows a later goal exactly once', async () => {
    const seqBefore = Number(await attr('#last-seq', 'data-seq'));
    expect(seqBefore).toBeGreaterThan(0);

    service.app.hub.closeAll(CloseCode.GoingAway, 'shutdown');
    await waitFor('#last-close[data-code="1001"]');
    expect(await text('#last-close')).toContain('1001');
    await waitFor('#connections[data-count="2"]');
    await waitFor('#resume[data-resumed="true"]');
    expect(await text('#resume')).toBe(`resumed after seq ${seqBefore}`);
    await waitFor('#status[data-state="connected"]');

    serve(firstGoal, secondGoal)({ status: '31' });
    await waitFor('#event-log li[data-type="GOAL_SCORED"][data-seq]:has-text("B. Second")');
    await page.locator('#matches [data-match-id="1001"] [data-field="score"]').filter({ hasText: /^1-1$/ }).waitFor({ timeout: WAIT_MS });

    // A later event marks the end of anything the goal could have dragged along (events arrive in order).
    serve(firstGoal, secondGoal)({ status: '33', cards: [wireCard('away', '32', 'D. Booked')] });
    await waitFor('#event-log li[data-type="CARD_ISSUED"]');
    expect(await logItems('GOAL_SCORED').filter({ hasText: 'B. Second' }).count()).toBe(1);
    expect(await logItems('GOAL_SCORED').count()).toBe(2);
    expect(await logItems('MATCH_STARTED').count()).toBe(1);
    expect(await logItems('CARD_ISSUED').filter({ hasText: 'D. Booked' }).count()).toBe(1);
    // The server sent no duplicate for the page to drop.
    expect(await attr('#dup-count', 'data-count')).toBe('0');
    const seqs = await page.locator('#event-log li[data-seq]').evaluateAll((items) => items.map((item) => Number(item.getAttribute('data-seq'))));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
  });

  it('after Disconnect and Connect, resumes and shows the goal scored while it was away', async () => {
    await page.locator('#btn-connection').click();
    await waitFor('#status[data-state="disconnected"]');
    const seqBefore = Number(await attr('#last-seq', 'data-seq'));

    serve(firstGoal, secondGoal, thirdGoal)({ status: '41', cards: [wireCard('away', '32', 'D. Booked')] });
    await storedBeyond(seqBefore);
    expect(await logItems('GOAL_SCORED').filter({ hasText: 'C. Third' }).count()).toBe(0);

    await page.locator('#btn-connection').click();
    await waitFor('#connections[data-count="3"]');
    await waitFor('#resume[data-resumed="true"]');
    expect(await text('#resume')).toBe(`resumed after seq ${seqBefore}`);
    await waitFor('#event-log li[data-type="GOAL_SCORED"]:has-text("C. Third")');
    await page.locator('#matches [data-match-id="1001"] [data-field="score"]').filter({ hasText: /^2-1$/ }).waitFor({ timeout: WAIT_MS });
    expect(await logItems('GOAL_SCORED').filter({ hasText: 'C. Third' }).count()).toBe(1);
    expect(await attr('#dup-count', 'data-count')).toBe('0');
  });

  it('shows PONG after Ping', async () => {
    await waitFor('#status[data-state="connected"]');
    expect(await attr('#pong', 'data-count')).toBe('0');
    await page.locator('#btn-ping').click();
    await waitFor('#pong[data-count="1"]');
    expect(await text('#pong')).toMatch(/^PONG/);
  });

  it('logged no console errors and threw no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});

describe('test client page with AUTH_TOKENS', () => {
  let service: TestService;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // The built-in simulator is enough here: only the upgrade's authentication matters.
    service = await startService({ AUTH_TOKENS: 'page-secret' });
    page = await openPage(pageErrors);
  });

  afterAll(async () => {
    await page?.close();
    await service?.stop();
  });

  it('passes ?token= from its own URL to /ws (the server refuses upgrades without it)', async () => {
    await page.goto(`${service.url}/?token=page-secret&reconnectBaseMs=50`);
    await page.locator('#connections[data-count="1"]').waitFor({ state: 'attached', timeout: WAIT_MS });
    expect((await page.locator('#status').textContent())?.trim()).toBe('connected');
    // The token is used, never shown.
    expect(await page.locator('body').innerText()).not.toContain('page-secret');
    expect(pageErrors).toEqual([]);
  });
});
