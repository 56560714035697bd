#!/usr/bin/env node
/**
 * Builds the React example into a folder any static server can serve:
 *
 *   node examples/react/build.mjs [outdir] [--development]      (default: examples/react/dist)
 *
 * `--development` builds React's development version (readable, with its checks, and StrictMode's
 * double mount, which shows that the feed is closed and opened again cleanly).
 * esbuild bundles main.tsx with React, react-dom and the SDK (`@football-streaming-core/client`,
 * the package's ESM build) into main.js, and copies index.html beside it. Type-check with
 * `npx tsc -p examples/react`.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const development = args.includes('--development');
const outdir = resolve(args.find((arg) => !arg.startsWith('--')) ?? join(here, 'dist'));
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: [join(here, 'main.tsx')],
  outfile: join(outdir, 'main.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  jsx: 'automatic',
  minify: !development,
  sourcemap: true,
  define: { 'process.env.NODE_ENV': development ? '"development"' : '"production"' },
  logLevel: 'warning',
});
copyFileSync(join(here, 'index.html'), join(outdir, 'index.html'));
console.log(`built ${join(outdir, 'main.js')}`);
