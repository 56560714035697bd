/**
 * One running instance per DATA_DIR. The SQLite file could be opened by two processes, but two
 * services writing one event log would interleave their histories; the second instance is told so
 * and runs on a private temporary directory instead.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'football-streaming-core.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as { code?: string }).code === 'EPERM';
  }
}

export interface DataDirLock {
  release(): void;
}

/**
 * Takes the lock on `dataDir` (created if missing). Returns `undefined` with the holder's pid when
 * another live process holds it; a lock left by a dead process (kill -9) is taken over.
 */
export function lockDataDir(dataDir: string): { lock: DataDirLock } | { heldBy: number } {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return {
        lock: {
          release() {
            try {
              if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
            } catch {
              // Already gone (a second release, or the directory was removed): nothing to release.
            }
          },
        },
      };
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) return { heldBy: holder };
      // Stale: its process is gone. Remove it and try again (another starter may win the race).
      try {
        unlinkSync(path);
      } catch (unlinkError) {
        if ((unlinkError as { code?: string }).code !== 'ENOENT') throw unlinkError;
      }
    }
  }
  throw new Error(`cannot take the lock ${path}`);
}
