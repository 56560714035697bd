/**
 * Restart right after SIGKILL, as a supervisor does it: the whole process group of the service is
 * killed and a new process is started on the same DATA_DIR at once, while the killed one is still
 * a zombie (its parent, this test, has not reaped it yet). Five times in a row the new process
 * resumes its own history: same epoch, `seq` continues, nothing announced again.
 *
 * To make the zombie certain rather than likely, the test keeps its own event loop (the only place
 * Node reaps children) blocked from the kill until the new process has logged where it listens —
 * or has exited — and checks in /proc that the old process is indeed a zombie at that moment.
 * (`npm test` builds dist/ first.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { LiveFeed } from '../helpers/live-feed.js';
import { MAIN } from '../helpers/process.js';
import { startStandIn, standInEnv, type StandIn } from '../helpers/stand-in.js';

const RESTARTS = 5;
const MATCH = 777;

interface Instance {
  readonly child: ChildProcess;
  readonly logPath: string;
  url: string;
}

let standIn: StandIn | undefined;
const instances: Instance[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const instance of instances.splice(0)) {
    if (instance.child.exitCode === null && instance.child.signalCode === null) {
      const exited = new Promise((resolve) => instance.child.once('exit', resolve));
      process.kill(-(instance.child.pid as number), 'SIGKILL');
      await exited;
    }
  }
  await standIn?.close();
  standIn = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Blocks this thread (and so the reaping of children) for `ms`. */
const blockFor = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Starts the service in its own process group, its output going to a file (read without the event loop). */
function spawnInstance(env: Record<string, string>, dir: string, n: number): Instance {
  const logPath = join(dir, `service-${n}.log`);
  const out = openSync(logPath, 'w');
  const child = spawn(process.execPath, [MAIN], {
    cwd: tmpdir(),
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', BIND_ADDRESS: '127.0.0.1:0', ...env },
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  const instance: Instance = { child, logPath, url: '' };
  instances.push(instance);
  return instance;
}

const lines = (instance: Instance) =>
  readFileSync(instance.logPath, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/**
 * Synchronously waits (event loop blocked) until the instance logs where it listens; throws with
 * its output if it exits or the deadline passes first. Exit is seen through /proc, not an event.
 */
function waitListeningBlocking(instance: Instance, timeoutMs = 30_000): void {
  const deadline = Date.now() + timeoutMs;
  const pid = instance.child.pid as number;
  for (;;) {
    const listening = lines(instance).find((line) => typeof line['url'] === 'string' && typeof line['port'] === 'number');
    if (listening) {
      instance.url = String(listening['url']);
      return;
    }
    if (!existsSync(`/proc/${pid}`) || processState(pid) === 'Z' || Date.now() > deadline) {
      throw new Error(`the restarted service did not start:\n${readFileSync(instance.logPath, 'utf8')}`);
    }
    blockFor(10);
  }
}

/** The state letter of a process in /proc (`Z` for a zombie), or undefined once it is gone. */
function processState(pid: number): string | undefined {
  try {
    return /\) (\w) /.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function waitListening(instance: Instance, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (instance.url === '') {
    const listening = lines(instance).find((line) => typeof line['url'] === 'string' && typeof line['port'] === 'number');
    if (listening) instance.url = String(listening['url']);
    else if (instance.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the service did not start:\n${readFileSync(instance.logPath, 'utf8')}`);
    } else await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Page {
  epoch: string;
  events: Array<{ seq: number; type: string; match_id: string }>;
}

async function history(instance: Instance): Promise<Page> {
  const response = await fetch(`${instance.url}/events?since=0&limit=1000`);
  expect(response.status).toBe(200);
  return (await response.json()) as Page;
}

/** Polls the instance's history until the match is announced and `count` goals are stored after it. */
async function waitForGoals(instance: Instance, count: number, timeoutMs = 20_000): Promise<Page> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = await history(instance);
    const announced = page.events.some((e) => e.type === 'MATCH_STARTED');
    if (announced && page.events.filter((e) => e.type === 'GOAL_SCORED').length >= count) return page;
    if (Date.now() > deadline) throw new Error(`no ${count} goals stored: ${JSON.stringify(page.events)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it(`after SIGKILL of its process group and an immediate restart (old process still a zombie), the service resumes its own history, ${RESTARTS} times`, async () => {
  standIn = await startStandIn();
  const feed = new LiveFeed(standIn).add({ key: MATCH, status: '10' });
  const dataDir = mkdtempSync(join(tmpdir(), 'fsc-sigkill-'));
  dirs.push(dataDir);
  const env = standInEnv(standIn, { DATA_DIR: dataDir, LOG_LEVEL: 'info' });

  let current = spawnInstance(env, dataDir, 0);
  await waitListening(current);
  await waitForGoals(current, 0);
  feed.goal(MATCH, 'home', '11', 'Scorer 0');
  const first = await waitForGoals(current, 1);
  const epoch = first.epoch;

  for (let round = 1; round <= RESTARTS; round += 1) {
    const killed = current;
    const killedPid = killed.child.pid as number;
    // Kill the whole group and start again before this process's event loop runs (nothing reaps).
    process.kill(-killedPid, 'SIGKILL');
    current = spawnInstance(env, dataDir, round);
    waitListeningBlocking(current);
    // The old process had died (it holds nothing any more) but was not reaped: a zombie.
    expect(processState(killedPid), `round ${round}: the killed process is a zombie`).toBe('Z');
    expect(readFileSync(current.logPath, 'utf8')).not.toContain('in use by another running instance');

    feed.goal(MATCH, 'home', String(11 + round), `Scorer ${round}`);
    const page = await waitForGoals(current, round + 1);
    expect(page.epoch, `round ${round}: same epoch`).toBe(epoch);
    const seqs = page.events.map((e) => e.seq);
    expect(seqs, `round ${round}: seq continues without gaps`).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(page.events.filter((e) => e.type === 'MATCH_STARTED'), `round ${round}: announced once`).toHaveLength(1);
    expect(page.events.filter((e) => e.type === 'GOAL_SCORED')).toHaveLength(round + 1);
    expect(lines(current).some((line) => line['msg'] === 'restored match state from the store')).toBe(true);
  }
}, 120_000);
