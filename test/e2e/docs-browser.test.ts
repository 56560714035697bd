/**
 * The Swagger UI page at `/docs` in Chromium (playwright-core) under the policy the service sends:
 * every operation of the OpenAPI document is shown and the browser reports no Content-Security-Policy
 * violation (`securitypolicyviolation` events and console errors both watched), with and without
 * AUTH_TOKENS (issue 18 §5).
 */
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../helpers/service.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-sync'];

describe('Swagger UI at /docs in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it.each([
    ['without a token', {}],
    ['with AUTH_TOKENS', { AUTH_TOKENS: 'docs-token' }],
  ])('shows every operation with no CSP violation (%s)', async (_label, env: Record<string, string>) => {
    const service = await startService({ ALLSPORTS_BASE_URL: 'http://127.0.0.1:9/football/', ...env });
    const page = await browser.newPage();
    try {
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) problems.push(`console ${message.type()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      // Violations are events in the page; collect them from the first script on.
      await page.addInitScript(() => {
        const w = globalThis as unknown as { violations: string[]; addEventListener(type: string, listener: (event: { violatedDirective: string; sourceFile: string }) => void): void };
        w.violations = [];
        w.addEventListener('securitypolicyviolation', (event) => w.violations.push(`${event.violatedDirective} ${event.sourceFile}`));
      });
      const response = await page.goto(`${service.url}/docs/`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
      const doc = (await (await fetch(`${service.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
      const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
      await page.waitForFunction((count) => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('.opblock').length === count, operations, { timeout: 30_000 });
      // The top bar with its logo (the inline <style> a plain policy refuses) is rendered.
      await page.waitForSelector('.topbar svg', { timeout: 30_000 });
      const violations = await page.evaluate(() => (globalThis as unknown as { violations: string[] }).violations);
      expect(violations).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      await service.stop();
    }
  });
});
