// Parse and detection benchmark, each against a baseline, over the simulated matchday's replies:
//   parse:  JSON.parse alone (baseline, the lower bound) vs parseReplyText (parse + validate + normalise)
//   detect: a seed-style detector (baseline: "new entries in the goalscorers array", by count) vs
//           detect() (identity matching, corrections, lifecycle), on a whole matchday of polls
import { renderLivescore, toProviderJson, matchdayLengthSecs } from '../dist/sim/render/allsportsapi/index.js';
import { parseReplyText } from '../dist/upstream/allsportsapi/parse.js';
import { detect } from '../dist/detect/diff.js';

const STEP_SECS = 15; // one poll every 15 simulated seconds
const bodies = [];
for (let t = 0; t < matchdayLengthSecs; t += STEP_SECS) bodies.push(toProviderJson(renderLivescore(t)));
const totalBytes = bodies.reduce((n, b) => n + b.length, 0);
const snapshots = bodies.map((b) => parseReplyText(b)).map((r) => (r.ok ? r.value.matches : []));

function time(fn, minMs = 1500) {
  let iterations = 0;
  const started = performance.now();
  while (performance.now() - started < minMs) {
    fn();
    iterations += 1;
  }
  return (performance.now() - started) / iterations;
}

// Baseline detector modelled on the seed: counts of list entries and the score string.
function seedDetect(previous, matches) {
  const next = new Map();
  let events = 0;
  for (const m of matches) {
    const prev = previous.get(m.matchId);
    if (!prev) events += 1;
    else {
      events += Math.max(0, m.goals.length - prev.goals.length);
      events += Math.max(0, m.cards.length - prev.cards.length);
      events += Math.max(0, m.substitutions.length - prev.substitutions.length);
      if (JSON.stringify(m.finalResult) !== JSON.stringify(prev.finalResult)) events += 1;
    }
    next.set(m.matchId, m);
  }
  for (const id of previous.keys()) if (!next.has(id)) events += 1;
  return { next, events };
}

function ourDetect(states, matches) {
  let events = 0;
  for (const m of matches) {
    const d = detect(states.get(m.matchId), m);
    events += d.events.length;
    if (d.state) states.set(m.matchId, d.state);
  }
  return events;
}

const rows = [];
const parseBaseline = time(() => {
  for (const body of bodies) JSON.parse(body);
});
const parseOurs = time(() => {
  for (const body of bodies) parseReplyText(body);
});
const mb = totalBytes / 1024 / 1024;
rows.push({ benchmark: 'parse: JSON.parse only (baseline)', 'ms per matchday': parseBaseline.toFixed(2), 'µs per poll': ((parseBaseline * 1000) / bodies.length).toFixed(1), 'MB/s': (mb / (parseBaseline / 1000)).toFixed(0) });
rows.push({ benchmark: 'parse: parseReplyText', 'ms per matchday': parseOurs.toFixed(2), 'µs per poll': ((parseOurs * 1000) / bodies.length).toFixed(1), 'MB/s': (mb / (parseOurs / 1000)).toFixed(0) });

let seedEvents = 0;
const detectBaseline = time(() => {
  let previous = new Map();
  seedEvents = 0;
  for (const matches of snapshots) {
    const r = seedDetect(previous, matches);
    previous = r.next;
    seedEvents += r.events;
  }
});
let ourEvents = 0;
const detectOurs = time(() => {
  const states = new Map();
  ourEvents = 0;
  for (const matches of snapshots) ourEvents += ourDetect(states, matches);
});
rows.push({ benchmark: `detect: seed-style counts (baseline, ${seedEvents} events)`, 'ms per matchday': detectBaseline.toFixed(2), 'µs per poll': ((detectBaseline * 1000) / snapshots.length).toFixed(1) });
rows.push({ benchmark: `detect: detect() (${ourEvents} events)`, 'ms per matchday': detectOurs.toFixed(2), 'µs per poll': ((detectOurs * 1000) / snapshots.length).toFixed(1) });

// The common case in production: a re-poll where nothing changed.
const busiest = snapshots.reduce((a, b) => (b.length > a.length ? b : a));
const settled = new Map();
ourDetect(settled, busiest);
const unchanged = time(() => ourDetect(new Map(settled), busiest), 1000);
rows.push({ benchmark: `detect: unchanged re-poll of ${busiest.length} live matches`, 'µs per poll': (unchanged * 1000).toFixed(1) });

console.log(`\nParse and detect: ${bodies.length} polls of one simulated matchday (${mb.toFixed(1)} MB of replies)`);
console.table(rows);
