/**
 * Issue 16 items 8 and 9, as an operator (or an attacker with a shell) would try them on real
 * processes: the instance lock cannot be bypassed through its file, and its file cannot lock the
 * service out.
 * - The lock file of a running instance deleted, or replaced by a fresh one: a second instance is
 *   still refused (the database file itself is locked), and the first keeps its history alone.
 * - A lock file with foreign content (a PID written by hand, binary garbage, a damaged database
 *   header), or a symbolic link in its place: no live process holds it, so start-up uses it, and a
 *   link's target is never touched.
 * - An instance of an older version (an SQLite lock on the lock file only) and this one exclude each
 *   other in both directions; so does an instance started where flock(1) is missing.
 * (`npm test` builds dist/ first.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { DataDirInUseError, LOCK_FILE, lockDataDir } from '../../src/store/data-dir-lock.js';
import { DATABASE_FILE } from '../../src/store/sqlite-event-store.js';
import { killAll, ROOT, spawnService, startServiceProcess, type ServiceProcess } from '../helpers/process.js';
import { startStandIn, standInEnv, type StandIn } from '../helpers/stand-in.js';
import { tempDataDir } from '../helpers/service.js';
import { wireEnvelope, wireMatch } from '../helpers/wire.js';

let standIn: StandIn | undefined;
const processes: ServiceProcess[] = [];
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }
  await killAll(processes.splice(0));
  await standIn?.close();
  standIn = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function newDataDir(): string {
  const dir = tempDataDir();
  dirs.push(dir);
  return dir;
}

async function liveStandIn(): Promise<StandIn> {
  standIn = await startStandIn();
  standIn.livescore({ body: wireEnvelope(wireMatch({ key: 777, status: '12' })) });
  return standIn;
}

const isListening = (line: Record<string, unknown>) => typeof line['port'] === 'number' && typeof line['url'] === 'string';

/**
 * Starts a second service on `dataDir` and waits until it either exits or listens; it must have
 * exited 1 with the one-line refusal. (A service that listens instead fails the test at once.)
 */
async function expectRefused(dataDir: string, env: Record<string, string> = {}): Promise<void> {
  const second = spawnService({ ...standInEnv(standIn as StandIn), DATA_DIR: dataDir, BIND_ADDRESS: '127.0.0.1:0', ...env });
  processes.push(second);
  const outcome = await Promise.race([
    second.exited.then((exit) => ({ exit })),
    second.waitForLog(isListening, 30_000).then(() => ({ exit: undefined })),
  ]);
  expect(outcome.exit?.code, `the second instance ran:\n${second.output()}`).toBe(1);
  const lines = second.output().trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`DATA_DIR ${dataDir} is in use by another running instance`);
}

/** The history of a running service, through its REST API. */
async function historyOf(url: string): Promise<Array<{ seq: number; type: string }>> {
  const response = await fetch(`${url}/events?since=0&limit=1000`);
  return ((await response.json()) as { events: Array<{ seq: number; type: string }> }).events;
}

it('deleting or replacing the lock file of a running instance does not let a second one in: the history stays one', async () => {
  await liveStandIn();
  const dataDir = newDataDir();
  const first = await startServiceProcess({ ...standInEnv(standIn as StandIn), DATA_DIR: dataDir });
  processes.push(first);
  await first.waitForLog((line) => line['type'] === 'MATCH_STARTED');
  const lockPath = join(dataDir, LOCK_FILE);

  unlinkSync(lockPath);
  await expectRefused(dataDir);

  // Replaced by a fresh file (as `rm` then `touch`, or an editor saving it, would do).
  writeFileSync(lockPath, '');
  await expectRefused(dataDir);

  // The first instance still writes its history alone: one MATCH_STARTED, and it still polls.
  const polled = (standIn as StandIn).count('Livescore');
  await (standIn as StandIn).waitForRequests('Livescore', polled + 2);
  const events = await historyOf(first.url);
  expect(events.map((event) => event.type)).toEqual(['MATCH_STARTED']);
}, 60_000);

it('a lock file with foreign content that no process holds is used: echo 12345 > the lock file', async () => {
  await liveStandIn();
  const dataDir = newDataDir();
  writeFileSync(join(dataDir, LOCK_FILE), '12345\n');
  const service = await startServiceProcess({ ...standInEnv(standIn as StandIn), DATA_DIR: dataDir });
  processes.push(service);
  await service.waitForLog((line) => line['type'] === 'MATCH_STARTED');
  expect(service.output()).not.toContain('file is not a database');
  // Used as a lock, not merely ignored: a second instance is refused.
  await expectRefused(dataDir);
}, 60_000);

it('binary garbage, a damaged database header or a symbolic link in place of the lock file do not stop start-up; a link target is never touched', async () => {
  const cases: Array<{ what: string; prepare: (lockPath: string, dir: string) => void; check?: (dir: string) => void }> = [
    { what: 'binary garbage', prepare: (path) => writeFileSync(path, Buffer.from([0, 255, 254, 1, 2, 3, 0, 0, 0x80, 0xc3, 0x28])) },
    { what: 'a damaged database header', prepare: (path) => writeFileSync(path, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(200, 0xee)])) },
    {
      what: 'a symbolic link to a file that matters',
      prepare: (path, dir) => {
        writeFileSync(join(dir, 'precious.txt'), 'do not touch');
        symlinkSync(join(dir, 'precious.txt'), path);
      },
      check: (dir) => expect(readFileSync(join(dir, 'precious.txt'), 'utf8')).toBe('do not touch'),
    },
    { what: 'a dangling symbolic link', prepare: (path, dir) => symlinkSync(join(dir, 'nowhere', 'at-all'), path) },
  ];
  for (const { what, prepare, check } of cases) {
    const dataDir = newDataDir();
    prepare(join(dataDir, LOCK_FILE), dataDir);
    const lock = (() => {
      try {
        return lockDataDir(dataDir);
      } catch (error) {
        throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
      }
    })();
    try {
      expect(lock.mechanism, what).toBe('flock');
      expect(() => lockDataDir(dataDir), what).toThrow(DataDirInUseError);
      check?.(dataDir);
    } finally {
      lock.release();
    }
  }
});

it('a database file that is a symbolic link is locked through it: two DATA_DIRs on one database exclude each other', () => {
  const elsewhere = newDataDir();
  const target = join(elsewhere, 'history.sqlite');
  writeFileSync(target, '');
  const [first, second] = [newDataDir(), newDataDir()];
  symlinkSync(target, join(first, DATABASE_FILE));
  symlinkSync(target, join(second, DATABASE_FILE));
  const lock = lockDataDir(first);
  try {
    expect(lock.mechanism).toBe('flock');
    expect(() => lockDataDir(second)).toThrow(DataDirInUseError);
  } finally {
    lock.release();
  }
  lockDataDir(second).release();
});

/** A process that holds the lock exactly as the previous version did: SQLite EXCLUSIVE on the lock file, no flock. */
async function olderVersionHolding(dataDir: string): Promise<ChildProcess> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(${JSON.stringify(join(dataDir, LOCK_FILE))});
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    try { db.exec('BEGIN EXCLUSIVE'); console.log('held'); } catch (error) { console.log('refused ' + error.code); process.exit(3); }
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const answer = await new Promise<string>((resolve) => child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
  if (answer !== 'held') await new Promise((resolve) => child.once('exit', resolve));
  return Object.assign(child, { answer });
}

it('an instance of the previous version (SQLite lock on the lock file only) and this version exclude each other', async () => {
  await liveStandIn();
  const dataDir = newDataDir();
  const older = (await olderVersionHolding(dataDir)) as ChildProcess & { answer: string };
  expect(older.answer).toBe('held');
  await expectRefused(dataDir);
  older.kill('SIGKILL');
  await new Promise((resolve) => older.once('exit', resolve));

  const service = await startServiceProcess({ ...standInEnv(standIn as StandIn), DATA_DIR: dataDir });
  processes.push(service);
  const newer = (await olderVersionHolding(dataDir)) as ChildProcess & { answer: string };
  expect(newer.answer).toBe('refused SQLITE_BUSY');
}, 60_000);

it('where flock(1) is missing the lock still holds (on the lock file), and the service says what that costs', async () => {
  await liveStandIn();
  const dataDir = newDataDir();
  // PATH without flock(1): the service itself runs from process.execPath and needs nothing else.
  const emptyBin = mkdtempSync(join(tmpdir(), 'fsc-nobin-'));
  dirs.push(emptyBin);
  const first = await startServiceProcess({ ...standInEnv(standIn as StandIn), DATA_DIR: dataDir, PATH: emptyBin });
  processes.push(first);
  await first.waitForLog((line) => String(line['msg']).includes('flock(1) (util-linux) was not found'));
  await first.waitForLog((line) => line['type'] === 'MATCH_STARTED');
  await expectRefused(dataDir, { PATH: emptyBin });
  // One with flock and one without still exclude each other.
  await expectRefused(dataDir);
  expect(readFileSync(join(dataDir, DATABASE_FILE)).length).toBeGreaterThan(0);
}, 60_000);
