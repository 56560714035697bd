// Top frames of `node --cpu-prof` profiles, per phase of a `bench:scale --cpuProf=<dir>` run.
//   node bench/scale/top-frames.mjs <dir> [--top=15] [--phase=<substring>]
// Reads every *.cpuprofile in <dir> and <dir>/phases.json (the phases' CLOCK_MONOTONIC windows, the
// clock .cpuprofile files use), and prints, for each phase, the functions with the most self time
// over the profiles whose samples fall in its window (every worker of the server together), as a
// share of the samples in the window. "(idle)" is time the worker waited for work. --each: a table
// per profile (the primary and each worker apart).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, ...rest] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node bench/scale/top-frames.mjs <dir> [--top=15] [--phase=<substring>]');
  process.exit(2);
}
const args = Object.fromEntries(rest.map((a) => a.replace(/^--/, '').split('=')));
const top = Number(args.top ?? 15);
let phases;
try {
  phases = JSON.parse(readFileSync(join(dir, 'phases.json'), 'utf8'));
} catch {
  phases = [{ name: 'whole profile', fromUs: -Infinity, toUs: Infinity }];
}
if (args.phase) phases = phases.filter((p) => p.name.includes(args.phase));

const profiles = readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .map((f) => ({ file: f, ...JSON.parse(readFileSync(join(dir, f), 'utf8')) }));

const short = (url) => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '').replace(/^.*\/(dist|src)\//, '$1/');

// --each: one table per profile (process) instead of all together.
const groups = 'each' in args ? profiles.map((p) => [p]) : [profiles];
for (const phase of phases) for (const group of groups) {
  const self = new Map();
  let total = 0;
  let workers = 0;
  for (const profile of group) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    let t = profile.startTime;
    let counted = 0;
    for (let i = 0; i < profile.samples.length; i += 1) {
      t += profile.timeDeltas[i];
      if (t < phase.fromUs || t > phase.toUs) continue;
      const { callFrame } = byId.get(profile.samples[i]);
      const name = callFrame.functionName || '(anonymous)';
      const key = callFrame.url ? `${name} ${short(callFrame.url)}:${callFrame.lineNumber + 1}` : name;
      self.set(key, (self.get(key) ?? 0) + 1);
      counted += 1;
    }
    if (counted > 0) workers += 1;
    total += counted;
  }
  const busy = total - (self.get('(idle)') ?? 0);
  if (total === 0) continue;
  const which = 'each' in args ? ` (${group[0].file})` : '';
  console.log(`\n## ${phase.name}${which}: ${total} samples from ${workers} profiles, ${((100 * busy) / Math.max(1, total)).toFixed(1)}% busy`);
  console.log('| self % of busy | function |\n|---|---|');
  for (const [key, count] of [...self].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`| ${((100 * count) / Math.max(1, busy)).toFixed(1)} | \`${key}\` |`);
  }
}
