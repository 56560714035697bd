// Memory of filtered subscriptions: the server's heap per SSE stream with no filter (baseline), with
// 3 × N distinct ids (the worst case: every id a new index key), and with the same 3 × N ids as
// every other stream (shared keys). Bytes per filter id = (filtered − plain) / ids. The streams are
// opened by a child process, so the heap measured is the server's alone.
//   node --expose-gc bench/filter-memory.mjs --streams=200 --ids=500 [--dist=dist]
// --dist points at another build of this repository (e.g. one of an older commit) to compare.
import { fork } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;

if (process.argv[2] === 'clients') {
  // Child: opens the streams it is told to, reports when every one has its SUBSCRIBED, holds them until told to stop.
  const responses = [];
  process.on('message', async ({ urls }) => {
    await Promise.all(
      urls.map(
        (url) =>
          new Promise((done, fail) => {
            const req = request(url, { agent: false }, (response) => {
              if (response.statusCode !== 200) return fail(new Error(`HTTP ${response.statusCode} for a stream`));
              responses.push(response);
              let text = '';
              const onData = (chunk) => {
                text += chunk;
                if (text.includes('event: SUBSCRIBED')) {
                  response.off('data', onData);
                  response.resume();
                  done();
                }
              };
              response.setEncoding('utf8');
              response.on('data', onData);
            });
            req.on('error', fail);
            req.end();
          }),
      ),
    );
    process.send('subscribed');
  });
  process.on('disconnect', () => process.exit(0));
} else {
  const streams = Number(arg('streams', 200));
  const idsPerList = Number(arg('ids', 500));
  const dist = resolve(arg('dist', new URL('../dist', import.meta.url).pathname));
  const { loadConfig } = await import(pathToFileURL(join(dist, 'config.js')).href);
  const { startApp } = await import(pathToFileURL(join(dist, 'app.js')).href);
  const { createLogger } = await import(pathToFileURL(join(dist, 'log.js')).href);

  const dataDir = mkdtempSync(join(tmpdir(), 'fsc-bench-filters-'));
  const config = loadConfig({
    BIND_ADDRESS: '127.0.0.1:0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ALLSPORTS_API_KEY: 'bench',
    ALLSPORTS_BASE_URL: 'http://127.0.0.1:9/football/',
    POLL_INTERVAL_SECS: '3600',
    MAX_CONNECTIONS_PER_IP: '100000',
    MAX_FILTER_IDS: String(10 * streams * 3 * idsPerList),
  });
  const app = await startApp({ config, logger: createLogger(config, []) });
  const heap = () => {
    globalThis.gc?.();
    globalThis.gc?.();
    return process.memoryUsage().heapUsed;
  };
  const list = (first) => Array.from({ length: idsPerList }, (_, i) => String(10_000_000 + first + i)).join(',');
  const filteredUrl = (first) => `${app.url}/events/stream?match_id=${list(first)}&league_id=${list(first + idsPerList)}&team_id=${list(first + 2 * idsPerList)}`;

  async function measure(name, urlOf, ids) {
    const before = heap();
    const child = fork(new URL(import.meta.url).pathname, ['clients'], { stdio: 'inherit' });
    child.send({ urls: Array.from({ length: streams }, (_, s) => urlOf(s)) });
    await new Promise((done, fail) => {
      child.once('message', done);
      child.once('exit', (code) => fail(new Error(`clients exited ${code}`)));
    });
    const perStream = (heap() - before) / streams;
    child.disconnect();
    await new Promise((done) => child.once('exit', done));
    while (app.hub.connectionCount > 0) await new Promise((done) => setTimeout(done, 20));
    return { name, streams, 'filter ids per stream': ids, 'heap per stream KiB': (perStream / 1024).toFixed(1), perStream };
  }

  const plain = await measure('no filter (baseline)', () => `${app.url}/events/stream`, 0);
  const ids = 3 * idsPerList;
  const distinct = await measure(`3 × ${idsPerList} distinct ids`, (s) => filteredUrl(s * ids), ids);
  const shared = await measure(`3 × ${idsPerList} ids shared by every stream`, () => filteredUrl(0), ids);
  const rows = [plain, distinct, shared].map(({ perStream, ...row }) => ({
    ...row,
    'bytes per filter id': row['filter ids per stream'] === 0 ? '-' : ((perStream - plain.perStream) / ids).toFixed(0),
  }));
  console.log(`\nFilter memory (${dist}): server heap per SSE stream, ${streams} streams per row`);
  console.table(rows);
  await app.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
