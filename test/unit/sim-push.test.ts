/**
 * The simulated provider's push feed (issue 13): `/live_events` pushes, in the Livescore wire
 * format, the match objects that changed, the moment they change. The tracker is checked against
 * the renderer over a whole matchday; the socket is driven on a manual clock with `pushNow()`, and
 * once on the real clock to show the timer delivers by itself.
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PushTracker } from '../../src/sim/push.js';
import { incidentSecs, liveObjects, matchdayLengthSecs, renderLivescore, scriptedMatches, type WireMatch } from '../../src/sim/render/allsportsapi/index.js';
import { startSimServer, type SimServer } from '../../src/sim/server.js';
import { until } from '../helpers/waits.js';

/** A push client that queues frames (raw text) and waits for them with a deadline. */
class PushClient {
  readonly frames: string[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.frames.push(data.toString('utf8')));
  }

  static async connect(url: string): Promise<PushClient> {
    const ws = new WebSocket(url);
    const client = new PushClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  async frame(index: number): Promise<WireMatch[]> {
    await until(() => this.frames.length > index, `push frame #${index}`);
    return JSON.parse(this.frames[index] ?? '[]') as WireMatch[];
  }

  close(): void {
    this.ws.terminate();
  }
}

function labelled(label: string) {
  const match = scriptedMatches(0).find((m) => m.label === label);
  if (match === undefined) throw new Error(`no match ${label}`);
  return match;
}

describe('PushTracker', () => {
  it('second by second through the first hour, a jump, and the loop into the next matchday, the pushed changes rebuild every Livescore list', () => {
    const tracker = new PushTracker(liveObjects);
    const book = new Map<number, string>();
    const start = 0;
    tracker.prime(start);
    for (const match of renderLivescore(start).result) book.set(match.event_key, JSON.stringify(match));
    let pushedSeconds = 0;
    // The tracker reports changes since its last look, however long ago: the jump is a valid look too.
    const seconds = [
      ...Array.from({ length: 3_600 }, (_, i) => start + 1 + i),
      ...Array.from({ length: 600 }, (_, i) => matchdayLengthSecs - 300 + i),
    ];
    // Problems are collected and asserted once: an expect() per match per second would dominate the run.
    const problems: string[] = [];
    for (const second of seconds) {
      const changed = tracker.changedAt(second);
      const listed = renderLivescore(second).result;
      const listedKeys = new Set(listed.map((m) => m.event_key));
      if (changed.length > 0) pushedSeconds += 1;
      for (const match of changed) {
        const text = JSON.stringify(match);
        if (!listedKeys.has(match.event_key)) problems.push(`${second}: pushed ${match.event_key}, which is not listed`);
        // Only what changed: never a match identical to what was last pushed for it.
        if (book.get(match.event_key) === text) problems.push(`${second}: pushed ${match.event_key} unchanged`);
        book.set(match.event_key, text);
      }
      // A match that left the list is not pushed (polls find vanished matches); drop it from the replica too.
      for (const key of book.keys()) if (!listedKeys.has(key)) book.delete(key);
      for (const match of listed) {
        if (book.get(match.event_key) !== JSON.stringify(match)) problems.push(`${second}: ${match.event_key} changed but was not pushed`);
      }
    }
    expect(problems).toEqual([]);
    // Statuses move every sim minute while something is live, so most pushes are minute ticks, not every second.
    expect(pushedSeconds).toBeGreaterThan(60);
    expect(pushedSeconds).toBeLessThan(seconds.length / 2);
    // Thousands of renders: room for a machine shared with other test runs.
  }, 90_000);

  it('the same second twice, or a fraction later, pushes nothing', () => {
    const tracker = new PushTracker(liveObjects);
    const goal = incidentSecs('var-cancel', '12');
    tracker.prime(goal - 1);
    const changed = tracker.changedAt(goal);
    expect(changed.map((m) => m.event_key)).toContain(labelled('var-cancel').eventKey);
    expect(tracker.changedAt(goal)).toEqual([]);
    expect(tracker.changedAt(goal + 0.9)).toEqual([]);
  });

  it('a match that leaves the list and comes back is pushed again on its return', () => {
    const vanishing = labelled('vanishing');
    const gap = vanishing.livescoreGap;
    if (gap === null) throw new Error('vanishing has a gap');
    const tracker = new PushTracker(liveObjects);
    tracker.prime(gap.fromSecs - 1);
    expect(tracker.changedAt(gap.fromSecs).map((m) => m.event_key)).not.toContain(vanishing.eventKey);
    for (let s = gap.fromSecs + 1; s < gap.untilSecs; s += 1) {
      expect(tracker.changedAt(s).map((m) => m.event_key)).not.toContain(vanishing.eventKey);
    }
    expect(tracker.changedAt(gap.untilSecs).map((m) => m.event_key)).toContain(vanishing.eventKey);
  });
});

describe('/live_events', () => {
  async function withServer(options: Parameters<typeof startSimServer>[0], body: (server: SimServer) => Promise<void>): Promise<void> {
    const server = await startSimServer(options);
    try {
      await body(server);
    } finally {
      await server.close();
    }
  }

  it('pushes the changed matches the moment they change, one frame to every client, in the provider encoding', async () => {
    const goal = incidentSecs('var-cancel', '12');
    let nowMs = 1_700_000_000_000;
    // Speed 1: one real second is one sim second, so the test steps the clock second by second.
    await withServer({ now: () => nowMs, speed: 1, startAtSimSecs: goal - 2 }, async (server) => {
      expect(server.pushUrl).toBe(`ws://127.0.0.1:${server.port}/live_events`);
      const first = await PushClient.connect(`${server.pushUrl}?APIkey=k&timezone=%2B02%3A00`);
      const second = await PushClient.connect(server.pushUrl);
      await until(() => server.pushClients() === 2, 'two push clients');
      // Nothing has changed since the first client connected.
      expect(server.pushNow()).toBe(0);

      nowMs += 2_000;
      const pushed = server.pushNow();
      expect(pushed).toBeGreaterThan(0);
      const frame = await first.frame(0);
      expect(frame).toEqual(renderLivescore(goal).result.filter((m) => frame.some((f) => f.event_key === m.event_key)));
      const match = frame.find((m) => m.event_key === labelled('var-cancel').eventKey);
      expect(match?.goalscorers.map((g) => g.time)).toEqual(['12']);
      expect(match?.event_final_result).toBe('1 - 0');
      // The provider's PHP escapes: "\/" in URLs.
      expect(first.frames[0]).toContain('https:\\/\\/');
      expect(await second.frame(0)).toEqual(frame);
      expect(server.pushes).toEqual({ frames: 1, matches: pushed });
      expect(server.pushNow()).toBe(0);

      first.close();
      second.close();
      await until(() => server.pushClients() === 0, 'clients gone');
      expect(server.pushNow()).toBe(0);
    });
  });

  it('runs on its own timer with the real clock (npm run sim, the built-in simulator)', async () => {
    // 600× speed: a sim minute every 100 ms, so a status tick arrives promptly without any pushNow().
    await withServer({ speed: 600, startAtSimSecs: labelled('var-cancel').kickoffSecs ?? 0 }, async (server) => {
      const client = await PushClient.connect(server.pushUrl);
      const frame = await client.frame(0);
      expect(frame.length).toBeGreaterThan(0);
      expect(server.pushes.frames).toBeGreaterThan(0);
      client.close();
    });
  });

  it('refuses upgrades on other paths with 404, and close() ends push connections', async () => {
    await withServer({ now: () => 0 }, async (server) => {
      const status = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/football/`);
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on('open', () => reject(new Error('upgrade accepted on the wrong path')));
        ws.on('error', () => undefined);
      });
      expect(status).toBe(404);

      const client = await PushClient.connect(server.pushUrl);
      const closed = new Promise<number>((resolve) => client.ws.once('close', (code) => resolve(code)));
      await server.close();
      expect(await closed).toBe(1006);
    });
  });

  it('npm run sim (dist/sim/cli.js) prints the push URL and pushes on it', async () => {
    const cli = fileURLToPath(new URL('../../dist/sim/cli.js', import.meta.url));
    const child = spawn(process.execPath, [cli], {
      cwd: tmpdir(),
      env: { PATH: process.env['PATH'] ?? '', SIM_PORT: '0', SIM_SPEED: '600', SIM_START_AT_SECS: String(labelled('var-cancel').kickoffSecs ?? 0) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await until(() => /ALLSPORTS_WS_URL=(ws:\/\/\S+\/live_events)/.test(output), `the sim to print its push URL (output: ${output})`, 15_000);
      const url = /ALLSPORTS_WS_URL=(ws:\/\/\S+\/live_events)/.exec(output)?.[1] ?? '';
      const client = await PushClient.connect(`${url}?APIkey=k`);
      const frame = await client.frame(0);
      expect(frame.length).toBeGreaterThan(0);
      expect(typeof frame[0]?.event_key).toBe('number');
      client.close();
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('rejects an invalid push interval', async () => {
    await expect(startSimServer({ pushIntervalMs: 0 })).rejects.toThrow(/pushIntervalMs/);
  });
});
