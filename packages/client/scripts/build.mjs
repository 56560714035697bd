// Builds the SDK into dist/ (with --if-stale, only when a source is newer than the last build): ESM modules with declarations (tsc), and the browser bundle, readable (client.js) and minified
// (client.min.js, what the service serves at /client.js).
//
// `prepare` runs this with --if-possible: npm runs `prepare` when the package is installed from
// its folder (`file:` dependency, the workspace at the repository root), where the build tools are
// the repository's dev dependencies. Without them (`npm ci --omit=dev`, or a folder whose sources
// are not there, as in the Docker image's dependency stage) it says so and leaves dist/ as it is,
// unless dist/ is missing from a folder that has the sources: then nothing could import the
// package, and the install fails with the way out.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ifPossible = process.argv.includes('--if-possible');
const ifStale = process.argv.includes('--if-stale') || ifPossible;
const MARKER = `${root}dist/.built`;
const require = createRequire(import.meta.url);

function resolveTool(name, bin) {
  try {
    const manifest = require.resolve(`${name}/package.json`);
    return `${manifest.slice(0, -'package.json'.length)}${bin}`;
  } catch {
    return undefined;
  }
}

const tsc = resolveTool('typescript', 'bin/tsc');
let esbuild;
try {
  esbuild = require('esbuild');
} catch {
  esbuild = undefined;
}
const hasSources = existsSync(`${root}src/index.ts`);
if (ifPossible && (!hasSources || tsc === undefined || esbuild === undefined)) {
  if (hasSources && !existsSync(`${root}dist/index.js`)) {
    console.error(
      '@football-streaming-core/client: dist/ is not built and the build tools (typescript, esbuild) are not installed. ' +
        'Run `npm install` at the repository root first, or install the packed tarball (`npm pack -w @football-streaming-core/client`).',
    );
    process.exit(1);
  }
  process.exit(0);
}
if (!hasSources) throw new Error(`${root}src is missing: nothing to build`);
if (ifStale && upToDate()) process.exit(0);
if (tsc === undefined || esbuild === undefined) throw new Error('typescript and esbuild are needed to build the SDK (dev dependencies of the repository)');

/** dist/ was built after the last change to anything it is built from (so a pack or install never rebuilds it under a running process). */
function upToDate() {
  if (!existsSync(MARKER)) return false;
  const built = statSync(MARKER).mtimeMs;
  const newest = (path) => {
    const stat = statSync(path);
    if (!stat.isDirectory()) return stat.mtimeMs;
    return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newest(`${path}/${entry}`)));
  };
  return ['src', 'scripts', 'package.json', 'tsconfig.json'].every((input) => newest(`${root}${input}`) <= built);
}

function run(command, args) {
  const result = spawnSync(process.execPath, [command, ...args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

rmSync(`${root}dist`, { recursive: true, force: true });
run(tsc, ['-p', 'tsconfig.json']);
const bundle = { absWorkingDir: root, entryPoints: ['src/index.ts'], bundle: true, format: 'esm', target: 'es2020', logLevel: 'warning', legalComments: 'none' };
esbuild.buildSync({ ...bundle, outfile: 'dist/client.js' });
esbuild.buildSync({ ...bundle, minify: true, sourcemap: true, outfile: 'dist/client.min.js' });
writeFileSync(MARKER, `${new Date().toISOString()}\n`);
