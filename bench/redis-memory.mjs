// How much Redis memory a matchday's history takes in the scale-out store.
//   npm run build && node bench/redis-memory.mjs            (Redis at REDIS_URL, default redis://127.0.0.1:6379/0)
// The simulated matchday is polled every POLL_SECS simulated seconds through the real parser and
// detector, exactly as the poller does (vanished matches looked up with the simulator's fixtures
// answer), and every poll's events and changed states are committed through RedisEventStore under a
// private key prefix. It prints MEMORY USAGE of every key (exact: SAMPLES 0), bytes per event, and a
// projection to a bigger matchday; the keys are deleted afterwards.
import { Buffer } from 'node:buffer';
import { Redis } from 'ioredis';
import { detect, detectAbsent } from '../dist/detect/diff.js';
import { matchdayLengthSecs, renderFixture, renderLivescore, toProviderJson } from '../dist/sim/render/allsportsapi/index.js';
import { RedisEventStore } from '../dist/store/redis-event-store.js';
import { parseReplyText } from '../dist/upstream/allsportsapi/parse.js';

const POLL_SECS = 15;
const MISSING_POLLS_BEFORE_END = 3;
const PROJECTED_EVENTS = Number(process.env.PROJECTED_EVENTS ?? 20_000);

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0');
const prefix = `fsc-bench:memory:${process.pid}:`;
const store = new RedisEventStore({ redis, prefix });
await redis.ping();

const states = new Map();
const saved = new Map();
const startMs = Date.now();
let polls = 0;
let events = 0;
let commits = 0;
const recorded = [];
for (let simSecs = 0; simSecs < matchdayLengthSecs; simSecs += POLL_SECS, polls += 1) {
  const reply = parseReplyText(toProviderJson(renderLivescore(simSecs)));
  if (!reply.ok) throw new Error(`simulated Livescore refused at ${simSecs}s: ${reply.error.message}`);
  const out = [];
  const seen = new Set();
  for (const snapshot of reply.value.matches) {
    seen.add(snapshot.matchId);
    out.push({ matchId: snapshot.matchId, ...detect(states.get(snapshot.matchId), snapshot) });
  }
  for (const state of [...states.values()].filter((s) => !seen.has(s.matchId) && !s.ended)) {
    let outcome = { kind: 'unconfirmed' };
    if (state.started) {
      const fixture = parseReplyText(toProviderJson(renderFixture(Number(state.matchId), simSecs)));
      const found = fixture.ok ? fixture.value.matches[0] : undefined;
      if (found !== undefined) outcome = { kind: 'found', snapshot: found };
    }
    out.push({ matchId: state.matchId, ...detectAbsent(state, outcome, MISSING_POLLS_BEFORE_END) });
  }
  const timestamp = new Date(startMs + simSecs * 1000).toISOString();
  const commit = { events: [], states: [], forget: [] };
  for (const { matchId, state, events: found } of out) {
    if (state === null) {
      if (states.delete(matchId)) commit.forget.push(matchId);
      saved.delete(matchId);
    } else {
      states.set(matchId, state);
      const json = JSON.stringify(state);
      if (saved.get(matchId) !== json) {
        saved.set(matchId, json);
        commit.states.push(state);
      }
    }
    for (const event of found) {
      const s = states.get(event.match_id);
      commit.events.push({ event, timestamp, homeTeamKey: s?.homeTeamKey ?? '', awayTeamKey: s?.awayTeamKey ?? '' });
    }
  }
  if (commit.events.length + commit.states.length + commit.forget.length === 0) continue;
  await store.commit(commit);
  recorded.push(commit);
  commits += 1;
  events += commit.events.length;
}

const measure = async (label) => {
  const rows = [];
  for (const [name, key] of Object.entries(store.keys)) rows.push({ name, bytes: await usage(key) });
  const total = rows.reduce((n, r) => n + r.bytes, 0);
  const streamBytes = rows.find((r) => r.name === 'events')?.bytes ?? 0;
  const entries = await redis.xlen(store.keys.events);
  const stored = await store.readAfter({ since: 0, limit: 10_000_000 });
  const payloadBytes = stored.reduce((n, e) => n + Buffer.byteLength(e.json), 0);
  console.log(`${label}: ${commits} commits, ${events} events, ${entries - events} states markers`);
  for (const r of rows) console.log(`  ${r.name.padEnd(7)} ${String(r.bytes).padStart(10)} B`);
  console.log(`  total   ${String(total).padStart(10)} B  (${(total / 1024 / 1024).toFixed(2)} MiB)`);
  console.log(`  event stream: ${(streamBytes / events).toFixed(0)} B per event, markers included (payload JSON alone ${(payloadBytes / events).toFixed(0)} B)`);
};
const usage = async (key) => Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
const version = (await redis.info('server')).match(/redis_version:(\S+)/)?.[1];
console.log(`Redis ${version}; the simulated matchday polled every ${POLL_SECS} sim-s (${polls} polls), ${states.size} match states kept`);
await measure('simulated matchday');

// A big matchday: the same commits again, as other matches (ids renamed), up to PROJECTED_EVENTS events.
const rename = (id, round) => `${id}${String(round).padStart(4, '0')}`;
for (let round = 1; events < PROJECTED_EVENTS; round += 1) {
  for (const commit of recorded) {
    await store.commit({
      events: commit.events.map((p) => ({ ...p, event: { ...p.event, match_id: rename(p.event.match_id, round), event_id: `${p.event.event_id}:${round}` } })),
      states: commit.states.map((s) => ({ ...s, matchId: rename(s.matchId, round) })),
      forget: commit.forget.map((id) => rename(id, round)),
    });
    commits += 1;
    events += commit.events.length;
  }
}
await measure(`a bigger matchday (the simulated one repeated as other matches)`);

let cursor = '0';
do {
  const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
  cursor = next;
  if (found.length > 0) await redis.del(...found);
} while (cursor !== '0');
await store.close();
await redis.quit();
