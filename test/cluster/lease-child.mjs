/**
 * A contender for the lease in its own process, so a test can freeze it for real (SIGSTOP) and
 * resume it (SIGCONT). Prints one JSON line per happening; on the stdin line `commit` it commits one
 * event fenced with the last token it acquired, whether or not it still believes it leads (what a
 * resumed, stale writer would do), and prints the outcome.
 * Run with node: env REDIS_URL, PREFIX, NODE_ID, LEASE_MS. It runs the built code (dist/, which
 * npm test builds first), as the service does: plain node needs no TypeScript loader.
 */
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { REDIS_CLIENT_OPTIONS } from '../../dist/cluster/redis-client.js';
import { RedisLease } from '../../dist/cluster/redis-lease.js';
import { RedisEventStore } from '../../dist/store/redis-event-store.js';
import { FencedError } from '../../dist/store/types.js';

/** @param {string} name */
const env = (name) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};
/** @param {Record<string, unknown>} line */
const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

const redis = new Redis(env('REDIS_URL'), REDIS_CLIENT_OPTIONS);
await redis.connect();
const prefix = env('PREFIX');
const store = new RedisEventStore({ redis, prefix });
/** @type {string | undefined} */
let lastToken;
const lease = new RedisLease({
  redis,
  prefix,
  nodeId: env('NODE_ID'),
  leaseMs: Number(env('LEASE_MS')),
  onAcquired: (token) => {
    lastToken = token;
    say({ acquired: token });
  },
  onLost: (reason) => say({ lost: reason }),
});
lease.start();

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'commit') return;
  const fence = lastToken ?? 'none';
  const event = {
    type: 'SCORE_UPDATE',
    match_id: '1',
    home_team: 'H',
    away_team: 'A',
    score: '1-0',
    status: '50',
    league_id: '2',
    event_id: `stale:${fence}`,
  };
  store
    .commit({ events: [{ event, timestamp: new Date().toISOString(), homeTeamKey: 'h', awayTeamKey: 'a' }], states: [], forget: [], fence })
    .then(
      (stored) => say({ commit: 'ok', seqs: stored.map((e) => e.seq), isLeader: lease.isLeader }),
      (error) => say({ commit: error instanceof FencedError ? 'fenced' : `error: ${String(error)}`, isLeader: lease.isLeader }),
    );
});
process.on('SIGTERM', () => {
  void lease.stop().finally(() => {
    redis.disconnect();
    process.exit(0);
  });
});
