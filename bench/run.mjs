// `npm run bench`: every benchmark, each against its baseline, side by side in one run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
for (const script of ['detect.mjs', 'fanout.mjs', 'unsent-memory.mjs', 'admission.mjs', 'filter-memory.mjs']) {
  const result = spawnSync(process.execPath, ['--expose-gc', here(script), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
