/**
 * One running instance per DATA_DIR: a second instance started on a DATA_DIR that a live process
 * holds says so and keeps its history in a private temporary directory, so the two event logs never
 * interleave. A lock left by a dead process (kill -9) is taken over. (`npm test` builds dist/ first.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/store/data-dir-lock.js';
import { startServiceProcess, type ListeningService } from '../helpers/process.js';
import { startService, tempDataDir, type TestService } from '../helpers/service.js';
import { startStandIn, standInEnv, type StandIn } from '../helpers/stand-in.js';
import { wireEnvelope, wireMatch } from '../helpers/wire.js';

let standIn: StandIn | undefined;
let child: ListeningService | undefined;
const services: TestService[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const service of services.splice(0)) await service.stop();
  if (child && child.child.exitCode === null) {
    child.child.kill('SIGTERM');
    await child.exited;
  }
  await standIn?.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it('a second instance on a held DATA_DIR refuses to start and leaves the first one alone', async () => {
  standIn = await startStandIn();
  standIn.livescore({ body: wireEnvelope(wireMatch({ key: 777, status: '12' })) });
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  child = await startServiceProcess({ ...standInEnv(standIn), DATA_DIR: dataDir });
  await child.waitForLog((line) => line['type'] === 'MATCH_STARTED');
  await expect(startService(standInEnv(standIn), { dataDir, keepData: true })).rejects.toThrow(
    `DATA_DIR ${dataDir} is in use by another running instance`,
  );
  // The first instance still holds its lock and its history.
  expect(readFileSync(join(dataDir, LOCK_FILE), 'utf8').trim()).toBe(String(child.child.pid));
  const firstHealth = (await (await fetch(`${child.url}/health`)).json()) as { store: { latest_seq: number } };
  expect(firstHealth.store.latest_seq).toBe(1);
});

it('takes over a lock left by a process that is gone (kill -9)', async () => {
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  writeFileSync(join(dataDir, LOCK_FILE), gone.stdout.toString());
  standIn = await startStandIn();
  const service = await startService(standInEnv(standIn), { dataDir, keepData: true });
  services.push(service);
  expect(service.logs.some((line) => line.includes('in use by another running instance'))).toBe(false);
  expect(readFileSync(join(dataDir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
  await service.stop();
  services.length = 0;
  expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
});
