/**
 * The scoreboard (GET /) in a real Chromium with `PROVIDER=api-football` and no key: the simulated
 * matchday, served in API-Football's format and read by its parser, shows up exactly as with
 * AllSportsAPI — matches grouped by league, goal scorers with their minutes, a final whistle
 * (issue 21 "Done when"). Chromium is Debian's (/usr/bin/chromium); nothing is downloaded.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatchView } from '../../src/domain/views.js';
import { startService, type TestService } from '../helpers/service.js';

const WAIT_MS = 30_000;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

describe('scoreboard in Chromium on the API-Football simulator', () => {
  let browser: Browser;
  let service: TestService;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    service = await startService({ PROVIDER: 'api-football', SIM_SPEED: '300', POLL_INTERVAL_SECS: '0.2' });
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    page.on('pageerror', (error: Error) => pageErrors.push(error.message));
    await page.goto(`${service.url}/`);
  });

  afterAll(async () => {
    await page?.close();
    await service?.stop();
    await browser?.close();
  });

  it('shows the matches with goal scorers and minutes, then a final whistle', async () => {
    await page.locator('#status[data-state="open"]').waitFor({ state: 'attached', timeout: WAIT_MS });
    await page.locator('#matches .match [data-kind="goal"]').first().waitFor({ state: 'attached', timeout: WAIT_MS });
    const { matches } = (await (await fetch(`${service.url}/matches`)).json()) as { matches: MatchView[] };
    const scored = matches.flatMap((m) => m.goals.map((g) => ({ match: m, goal: g })));
    expect(scored.length).toBeGreaterThan(0);
    const { match, goal } = scored[0] as { match: MatchView; goal: MatchView['goals'][number] };
    const shown = page.locator(`.match[data-match-id="${match.match_id}"] li[data-event-id="${goal.event_id}"]`);
    await shown.waitFor({ timeout: WAIT_MS });
    expect(await shown.innerText()).toContain(`${goal.scorer} ${goal.minute}'`);
    // A match that left live=all is confirmed with ids= and its end reaches the page.
    await page.locator('#event-log li[data-type="MATCH_ENDED"]').first().waitFor({ state: 'attached', timeout: WAIT_MS * 2 });
    expect(pageErrors).toEqual([]);
  });
});
