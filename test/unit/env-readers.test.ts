/**
 * `src/config.ts` is the only reader of the environment (issue 17 §1): every other module gets its
 * settings from the validated, frozen `Config` (or `WorkerSettings`). This test reads every source
 * file under src/ and fails on any other reader, and on an `FSC_*` variable named outside config.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const src = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/** `process.env`, `process['env']`, `process?.env`, a destructured `{ env } = process`. */
const ENV_READ = /\bprocess\s*(?:\?\.|\.)\s*env\b|\bprocess\s*\[\s*['"`]env['"`]\s*\]|\{[^}]*\benv\b[^}]*\}\s*=\s*process\b/;

it('no module under src/ but config.ts reads process.env', () => {
  const files = sourceFiles(src);
  expect(files.length).toBeGreaterThan(20);
  const readers = files.filter((file) => relative(src, file) !== 'config.ts' && ENV_READ.test(readFileSync(file, 'utf8')));
  expect(readers.map((file) => relative(root, file))).toEqual([]);
  // The check itself finds a reader: config.ts is one.
  expect(ENV_READ.test(readFileSync(join(src, 'config.ts'), 'utf8'))).toBe(true);
});

it('the FSC_* variables a primary hands its workers are named in config.ts only', () => {
  const naming = sourceFiles(src).filter((file) => relative(src, file) !== 'config.ts' && /['"`]FSC_[A-Z_]+['"`]/.test(readFileSync(file, 'utf8')));
  expect(naming.map((file) => relative(root, file))).toEqual([]);
});
