/**
 * One running instance per DATA_DIR, enforced by a lock the kernel holds: a second instance on a
 * held DATA_DIR is refused at start-up (exit 1 and one line naming the directory and what to do)
 * and never falls back to another directory; the first one is left alone. A PID file from an older
 * version, even one naming a live process, does not block start-up. The workers of one instance
 * (`dataDirLockHeld`) share the directory its primary holds. (`npm test` builds dist/ first.)
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { DataDirInUseError, LEGACY_LOCK_FILE, lockDataDir, type DataDirLock } from '../../src/store/data-dir-lock.js';
import { killAll, spawnService, startServiceProcess, type ServiceProcess } from '../helpers/process.js';
import { startService, tempDataDir, type TestService } from '../helpers/service.js';
import { startStandIn, standInEnv, type StandIn } from '../helpers/stand-in.js';
import { wireEnvelope, wireMatch } from '../helpers/wire.js';

let standIn: StandIn | undefined;
const processes: ServiceProcess[] = [];
const services: TestService[] = [];
const apps: RunningApp[] = [];
const locks: DataDirLock[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop();
  for (const service of services.splice(0)) await service.stop();
  for (const lock of locks.splice(0)) lock.release();
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

const privateDirs = () => new Set(readdirSync(tmpdir()).filter((name) => name.startsWith('football-streaming-core-')));

it('a second process on a held DATA_DIR exits 1 with one line naming the directory; the first one is left alone', async () => {
  standIn = await startStandIn();
  standIn.livescore({ body: wireEnvelope(wireMatch({ key: 777, status: '12' })) });
  const dataDir = newDataDir();
  const first = await startServiceProcess({ ...standInEnv(standIn), DATA_DIR: dataDir });
  processes.push(first);
  await first.waitForLog((line) => line['type'] === 'MATCH_STARTED');
  const before = privateDirs();

  const second = spawnService({ ...standInEnv(standIn), DATA_DIR: dataDir, BIND_ADDRESS: '127.0.0.1:0' });
  processes.push(second);
  expect((await second.exited).code).toBe(1);
  const lines = second.output().trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(
    `DATA_DIR ${dataDir} is in use by another running instance: stop it, or give this instance its own DATA_DIR`,
  );
  // No fallback directory was made.
  expect([...privateDirs()].filter((name) => !before.has(name))).toEqual([]);

  // The first instance still holds its history alone: one MATCH_STARTED, and it still polls.
  const polledBefore = standIn.count('Livescore');
  await standIn.waitForRequests('Livescore', polledBefore + 2);
  const health = (await (await fetch(`${first.url}/health`)).json()) as { store: { latest_seq: number } };
  expect(health.store.latest_seq).toBe(1);
});

it('refuses a second in-process instance with a coded error, and lets one start once the first has stopped', async () => {
  standIn = await startStandIn();
  const dataDir = newDataDir();
  const first = await startService(standInEnv(standIn), { dataDir });
  services.push(first);
  const refusal = await startService(standInEnv(standIn), { dataDir }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(refusal).toBeInstanceOf(DataDirInUseError);
  expect(refusal).toMatchObject({ code: 'DATA_DIR_IN_USE', dataDir });
  const { epoch } = await first.app.store.bounds();
  await first.stop();
  services.length = 0;

  const next = await startService(standInEnv(standIn), { dataDir });
  services.push(next);
  expect((await next.app.store.bounds()).epoch).toBe(epoch);
});

it('a PID file from an older version naming a live, unrelated process does not block start-up', async () => {
  const dataDir = newDataDir();
  // A live process that has nothing to do with the service (a reused PID).
  const unrelated = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    writeFileSync(join(dataDir, LEGACY_LOCK_FILE), String(unrelated.pid));
    standIn = await startStandIn();
    const service = await startService(standInEnv(standIn), { dataDir });
    services.push(service);
    expect(service.logs.some((line) => line.includes('in use by another running instance'))).toBe(false);
    // It runs on the DATA_DIR it was given, and the meaningless PID file is gone.
    const polled = await service.app.poller.nextPoll();
    expect(polled.ok).toBe(true);
    expect(existsSync(join(dataDir, 'football-streaming-core.sqlite'))).toBe(true);
    expect(existsSync(join(dataDir, LEGACY_LOCK_FILE))).toBe(false);
  } finally {
    unrelated.kill('SIGKILL');
  }
});

it("the workers of one instance share the DATA_DIR its primary holds, while another instance is still refused", async () => {
  const dataDir = newDataDir();
  standIn = await startStandIn();
  standIn.livescore({ body: wireEnvelope(wireMatch({ key: 4242, status: '5' })) });
  // This test process plays the primary: it holds the lock and starts no service itself.
  locks.push(lockDataDir(dataDir));
  const config = loadConfig({ ...standInEnv(standIn), BIND_ADDRESS: '127.0.0.1:0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const logger = createLogger(config, [], { write: () => undefined });
  const worker = await startApp({ config, logger, dataDirLockHeld: true });
  apps.push(worker);
  await worker.poller.nextPoll();
  expect((await worker.store.bounds()).latestSeq).toBe(1);

  await expect(startApp({ config, logger })).rejects.toBeInstanceOf(DataDirInUseError);
  expect(() => lockDataDir(dataDir)).toThrow(DataDirInUseError);
});

/**
 * A process holding the lock on `dataDir` (the built module, as a service's start-up takes it):
 * resolves once it holds it.
 */
async function holderProcess(dataDir: string): Promise<ReturnType<typeof spawn>> {
  const module = new URL('../../dist/store/data-dir-lock.js', import.meta.url).href;
  const holder = spawn(process.execPath, ['--input-type=module', '-e', `const { lockDataDir } = await import(${JSON.stringify(module)}); lockDataDir(${JSON.stringify(dataDir)}); console.log('held'); setInterval(() => {}, 1000);`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    holder.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('held')) resolve();
    });
    holder.once('exit', (code) => reject(new Error(`the holder exited (${code}) before holding the lock`)));
  });
  return holder;
}

it('a start right after kill -9 of the holder waits for the kernel to let go, instead of refusing; a live holder is still refused after the wait', async () => {
  const dataDir = newDataDir();
  const holder = await holderProcess(dataDir);
  // The holder is killed the moment the wait begins; its threads exit while this process waits (not
  // reaped meanwhile: the wait blocks this thread), and the lock is then taken.
  let waited = 0;
  const lock = lockDataDir(dataDir, {
    waitMs: 60_000,
    onWait: () => {
      waited += 1;
      holder.kill('SIGKILL');
    },
  });
  locks.push(lock);
  expect(waited).toBe(1);
  expect(lock.mechanism).toBe('flock');

  // A holder that stays alive is still refused once the wait is over.
  lock.release();
  locks.length = 0;
  const live = await holderProcess(dataDir);
  try {
    expect(() => lockDataDir(dataDir, { waitMs: 200 })).toThrow(DataDirInUseError);
  } finally {
    live.kill('SIGKILL');
  }
  // This very process holding the lock: refused without waiting (this wait could never end, and the
  // test would run into its timeout).
  const ours = newDataDir();
  locks.push(lockDataDir(ours));
  expect(() => lockDataDir(ours, { waitMs: 600_000 })).toThrow(DataDirInUseError);
});
