/**
 * The Content-Security-Policy of the Swagger UI page at `/docs`. `@fastify/swagger-ui`'s static
 * policy blocks one thing the page itself does: the top bar's logo is an SVG with an inline
 * `<style>` element (rendered by `swagger-ui-standalone-preset.js`), which Chromium refuses and
 * reports as a violation. Its hash is allowed here, computed from the installed preset (so an
 * upgrade that changes the logo keeps working; `test/e2e/docs-browser.test.ts` watches for
 * violations). `upgrade-insecure-requests` is dropped: the page loads only its own assets, and
 * on a plain-HTTP address other than localhost it would send them to an https:// that is not there.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** `'sha256-…'` sources of every inline `<style>` the Swagger UI bundles render. */
export function swaggerUiStyleHashes(): string[] {
  let text: string;
  try {
    const root = dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui'));
    text = readFileSync(join(root, 'static', 'swagger-ui-standalone-preset.js'), 'utf8');
  } catch {
    return [];
  }
  const hashes = new Set<string>();
  for (const match of text.matchAll(/createElement\("style",null,("(?:[^"\\]|\\.)*")\)/g)) {
    try {
      const css = JSON.parse(match[1] as string) as string;
      hashes.add(`'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`);
    } catch {
      // Not a plain string literal: nothing to allow.
    }
  }
  return [...hashes];
}

/** The policy `@fastify/swagger-ui` sets (`staticCSP: true`), with the hashes above and without `upgrade-insecure-requests`. */
export function docsCsp(header: string, hashes: readonly string[]): string {
  return header
    .replace(/style-src ([^;]*);/, (_all, sources: string) => `style-src ${[sources.trim(), ...hashes].filter((s) => s !== '').join(' ')};`)
    .replace(/\s*upgrade-insecure-requests;?/, '')
    .trim();
}
