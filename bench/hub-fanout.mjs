// The hub's own fan-out cost, without sockets: CPU per (event × client) of `Hub.publish` to N
// in-memory connections (a send adds the frame to a counter, which is emptied between batches as a
// reading client's would be). What it isolates is the hub's per-client bookkeeping (backpressure,
// units, indexes), which the socket benchmark (fanout.mjs) drowns in kernel time and, on a shared
// machine, in noise. Both builds run in one process, batch for batch in turn; best of several rounds.
//   node bench/hub-fanout.mjs --clients=10000 --batches=200 --batch=2 [--dist=dist --baseline=<another build>]
import { fork } from 'node:child_process';
import { setImmediate } from 'node:timers';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const clients = Number(arg('clients', 10_000));
const batches = Number(arg('batches', 200));
const batchSize = Number(arg('batch', 2));
const rounds = Number(arg('rounds', 5));

/** A hub of the given build with `clients` in-memory connections subscribed as `kind`. */
async function setUp(dist, kind) {
  const { Hub } = await import(pathToFileURL(join(dist, 'hub/hub.js')).href);
  const logger = { child: () => logger, info() {}, warn() {}, error() {}, debug() {} };
  const store = {
    bounds: async () => ({ epoch: 'bench', latestSeq: 0, prunedThrough: 0 }),
    readAfter: async () => [],
  };
  const hub = new Hub({
    store,
    snapshots: { snapshot: () => ({ seq: 0, matches: [] }) },
    logger,
    limits: { clientRatePerSec: 1000, clientRateBurst: 1000, slowConsumerBytes: 1024 * 1024, maxBadMessages: 10, totalUnsentBytes: 256 * 1024 * 1024 },
  });
  const connections = [];
  for (let i = 0; i < clients; i += 1) {
    const connection = {
      buffered: 0,
      send(frame) {
        this.buffered += frame.text.length;
        return frame.text.length;
      },
      get bufferedAmount() {
        return this.buffered;
      },
      get draining() {
        return false;
      },
      onceDrained() {},
      close() {},
      terminate() {},
    };
    connections.push(connection);
    const filter = kind === 'all' ? { kind: 'all' } : { kind: 'filtered', matchIds: ['1204101'], leagueIds: [String(i)], teamIds: [] };
    const request = { filter, since: undefined, epoch: undefined, snapshot: false };
    // `subscribe` runs through the client's request chain: wait for each. A build from before the
    // session seam (issue 17) has `connect` and `subscribe(client, request)` instead of `opened`.
    if (typeof hub.opened === 'function') await hub.opened(connection).subscribe(request);
    else await hub.subscribe(hub.connect(connection), request);
  }
  return { hub, connections, cpuMicros: 0 };
}

if (process.argv[2] === 'run') {
  // Both builds in one process, batch for batch in turn: whatever the machine does meanwhile, both get it alike.
  const kind = process.argv[3];
  const dists = JSON.parse(process.argv[4]);
  const rigs = [];
  for (const dist of dists) rigs.push(await setUp(dist, kind));
  const json = JSON.stringify({ type: 'GOAL_SCORED', match_id: '1204101', minute: '10', scorer: 'D. Fairley', team: 'home', score: '1-0', home_team: 'Harrowgate Town', away_team: 'Castleford Rovers', league_id: '9152', padding: 'x'.repeat(250) });
  const idle = () => new Promise((done) => setImmediate(done));
  let seq = 0;
  for (let b = 0; b < batches; b += 1) {
    const events = [];
    for (let i = 0; i < batchSize; i += 1) {
      seq += 1;
      events.push({ seq, eventId: `e${seq}`, type: 'GOAL_SCORED', matchId: '1204101', leagueId: '9152', homeTeamKey: '7301', awayTeamKey: '7302', timestamp: '', json });
    }
    for (const rig of b % 2 === 0 ? rigs : [...rigs].reverse()) {
      const before = process.cpuUsage();
      rig.hub.publish(events);
      // `fanningOut` since the hub split (issue 17); `fanout` before.
      while (rig.hub.fanningOut === true || rig.hub.fanout !== undefined) await idle();
      const used = process.cpuUsage(before);
      rig.cpuMicros += used.user + used.system;
      for (const connection of rig.connections) connection.buffered = 0;
    }
  }
  process.send(rigs.map((rig) => (rig.cpuMicros * 1000) / (batches * batchSize * clients)));
} else {
  const dist = resolve(arg('dist', new URL('../dist', import.meta.url).pathname));
  const baseline = arg('baseline', undefined);
  const builds = baseline === undefined ? [['this build', dist]] : [['baseline', resolve(baseline)], ['this build', dist]];
  const once = (kind) =>
    new Promise((done, fail) => {
      const child = fork(new URL(import.meta.url).pathname, ['run', kind, JSON.stringify(builds.map(([, build]) => build)), ...process.argv.slice(2)]);
      child.once('message', done);
      child.once('exit', (code) => code !== 0 && fail(new Error(`run exited ${code}`)));
    });
  const rows = [];
  for (const kind of ['all', 'filtered']) {
    const best = builds.map(() => Infinity);
    for (let round = 0; round < rounds; round += 1) {
      const figures = await once(kind);
      figures.forEach((figure, i) => (best[i] = Math.min(best[i], figure)));
    }
    builds.forEach(([name], i) =>
      rows.push({ build: name, subscribers: kind === 'all' ? 'subscribe_all' : 'filtered (match + own league)', clients, 'CPU ns per event per client (best of rounds)': best[i].toFixed(0) }),
    );
  }
  console.log(`\nHub fan-out without sockets: ${batches} batches of ${batchSize} events to ${clients} clients, both builds in one process batch for batch, best of ${rounds} rounds`);
  console.table(rows);
}
