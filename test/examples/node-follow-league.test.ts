/**
 * examples/node/follow-league.mjs, run as a user runs it (`node examples/node/follow-league.mjs`),
 * against the built service as a real process (`node dist/main.js`, the simulated matchday, fast)
 * behind a TCP proxy so that a restarted service (new port 0) is reached at the same address.
 *
 * The service is killed (SIGKILL) and started again on the same DATA_DIR while the script runs; then
 * the script is stopped and started again (it resumes from the position it saved on disk). The goals
 * it printed over both runs must be exactly the league's GOAL_SCORED events in the service's history
 * between where it started and where it stopped: none missed, none twice, in order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { WireEvent } from '../../src/domain/events.js';
import { killAll, ROOT, startServiceProcess, type ListeningService } from '../helpers/process.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { subscribe, TestClient, type Message } from '../helpers/ws-client.js';

const SCRIPT = join(ROOT, 'examples/node/follow-league.mjs');
const LEAGUE = '9152';
const ENV = { SIM_SPEED: '300', POLL_INTERVAL_SECS: '0.2', LOG_LEVEL: 'info' };
const WAIT_MS = 120_000;

interface PrintedGoal {
  seq: number;
  event_id: string;
  match_id: string;
  scorer: string;
  minute: string;
  score: string;
}

/** One run of the script: its goals (stdout, JSON lines) and what it said on stderr. */
class ScriptRun {
  readonly goals: PrintedGoal[] = [];
  stderr = '';
  private stdoutRest = '';
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (this.stdoutRest + chunk.toString()).split('\n');
      this.stdoutRest = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') this.goals.push(JSON.parse(line) as PrintedGoal);
      this.wake();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
      this.wake();
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => {
      this.wake();
      resolve(code);
    }));
  }

  /** Resolves once `condition` holds (checked on every output), or fails after `WAIT_MS`. */
  until(condition: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (condition()) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve();
        } else if (this.child.exitCode !== null) {
          this.waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`the script exited before ${what}; stderr:\n${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${what} within ${WAIT_MS} ms; stderr:\n${this.stderr.slice(-3000)}`));
      }, WAIT_MS);
      this.waiters.add(check);
      check();
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** The whole retained history, paged through GET /events. */
async function history(baseUrl: string): Promise<WireEvent[]> {
  const events: WireEvent[] = [];
  for (let since = 0; ; ) {
    const page = (await (await fetch(`${baseUrl}/events?since=${since}&limit=1000`)).json()) as { events: WireEvent[]; next_since: number; has_more: boolean };
    events.push(...page.events);
    if (!page.has_more) return events;
    since = page.next_since;
  }
}

describe('examples/node/follow-league.mjs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsc-example-node-'));
  const dataDir = join(dir, 'data');
  const positionFile = join(dir, 'position.json');
  const services: ListeningService[] = [];
  const runs: ScriptRun[] = [];
  let proxy: TcpProxy | undefined;

  afterAll(async () => {
    for (const run of runs) if (run.child.exitCode === null) run.child.kill('SIGKILL');
    await Promise.all(runs.map((run) => run.exited));
    await killAll(services);
    await proxy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const startScript = (url: string): ScriptRun => {
    const run = new ScriptRun(
      spawn(process.execPath, [SCRIPT, '--url', url, '--league', LEAGUE, '--position', positionFile, '--json'], {
        cwd: dir, // not the repository: the script finds the SDK and ws from its own folder, as an installed app does
        env: { PATH: process.env['PATH'] ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    runs.push(run);
    return run;
  };
  const printed = () => runs.flatMap((run) => run.goals);

  it('prints every goal of the league once, in order, through a service kill -9 and restart and its own restart', async () => {
    let service = await startServiceProcess({ ...ENV, DATA_DIR: dataDir });
    services.push(service);
    proxy = await startTcpProxy(service.port);

    // First run: a fresh start, from the snapshot's seq.
    const first = startScript(proxy.wsUrl);
    await first.until(() => /from seq \d+ \(fresh start\)/.test(first.stderr), 'fresh start');
    const startSeq = Number(/from seq (\d+) \(fresh start\)/.exec(first.stderr)?.[1]);
    await first.until(() => /provider: ok since /.test(first.stderr), "the service's view of the provider");
    await first.until(() => first.goals.length >= 2, 'two goals');

    // The service dies mid-matchday and comes back on the same data: the script resumes through it.
    service.child.kill('SIGKILL');
    await service.exited;
    await first.until(() => /connection: reconnecting/.test(first.stderr), 'a reconnect');
    const beforeRestart = first.goals.length;
    service = await startServiceProcess({ ...ENV, DATA_DIR: dataDir });
    services.push(service);
    proxy.setTarget(service.port);
    await first.until(() => /\(resumed\)/.test(first.stderr), 'a resume after the restart');
    await first.until(() => first.goals.length >= beforeRestart + 2, 'two goals after the restart');

    // The script stops (as Ctrl-C does) and starts again: it resumes from the position on disk.
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const saved = JSON.parse(readFileSync(positionFile, 'utf8')) as { seq: number; epoch: string };
    expect(saved.seq).toBeGreaterThanOrEqual(first.goals.at(-1)?.seq ?? Infinity);
    // A goal of the league while the script is down: the second run must print it (caught up from disk).
    const watcher = await TestClient.open(service.wsUrl);
    let missedWhileDown: Message;
    try {
      await subscribe(watcher, { action: 'subscribe', league_ids: [LEAGUE] });
      missedWhileDown = await watcher.next((m) => m.type === 'GOAL_SCORED', WAIT_MS);
    } finally {
      await watcher.close();
    }
    const second = startScript(proxy.wsUrl);
    await second.until(() => new RegExp(`from seq ${saved.seq} \\(resumed\\)`).test(second.stderr), 'a resume from the saved position');
    await second.until(() => second.goals.length >= 2, 'two goals in the second run');
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const endSeq = (JSON.parse(readFileSync(positionFile, 'utf8')) as { seq: number }).seq;

    const expected = (await history(service.url)).filter(
      (e) => e.type === 'GOAL_SCORED' && e.league_id === LEAGUE && e.seq > startSeq && e.seq <= endSeq,
    );
    const goals = printed();
    expect(goals.length).toBeGreaterThanOrEqual(beforeRestart + 4);
    expect(goals.map((g) => g.event_id)).toEqual(expected.map((e) => e.event_id));
    expect(goals.map((g) => g.seq)).toEqual(expected.map((e) => e.seq));
    expect(second.goals.map((g) => g.event_id)).toContain(missedWhileDown['event_id']);
  });
});
