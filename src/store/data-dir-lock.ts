/**
 * One running instance per DATA_DIR. Two services writing one event log would interleave their
 * histories (every `MATCH_STARTED` twice), so the second one is refused at start-up.
 *
 * The exclusion is an exclusive SQLite lock (a POSIX record lock underneath) on a small lock
 * database in DATA_DIR, held for the life of the instance. The kernel owns it: it is released the
 * instant the holder exits, however it exits (SIGKILL included, before it is even reaped as a
 * zombie), and it is never inferred from a PID, so a reused PID, a PID 1 in every container or a
 * lock file left from a crash cannot fool it. Every process on one kernel (containers sharing a
 * volume included) sees the same lock.
 *
 * With `WORKERS` (node:cluster), the primary process of an instance takes this lock and its workers
 * open the database without taking it (`startApp({ dataDirLockHeld: true })`); a second instance
 * still finds the lock held by the first one's primary.
 */
import { mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';

/** The lock database in DATA_DIR (empty; only its lock matters). */
export const LOCK_FILE = 'football-streaming-core.instance.lock';
/** The PID file older versions wrote; it means nothing now and is removed once the lock is taken. */
export const LEGACY_LOCK_FILE = 'football-streaming-core.lock';

/** Why start-up was refused; `code` is stable for callers (main.ts prints the message alone). */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  readonly code = 'DATA_DIR_IN_USE';
  constructor(
    /** The directory, as an absolute path. */
    readonly dataDir: string,
    options?: { cause?: unknown },
  ) {
    super(`DATA_DIR ${dataDir} is in use by another running instance: stop it, or give this instance its own DATA_DIR`, options);
  }
}

/** The lock, held until `release` (idempotent) or until the process ends. */
export interface DataDirLock {
  release(): void;
}

/** A PID file written by an older version: a number and nothing else. */
function isLegacyPidFile(path: string): boolean {
  try {
    return /^\d+\s*$/.test(readFileSync(path, 'utf8'));
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Takes the instance lock on `dataDir` (created if missing) without waiting. Throws a
 * `DataDirInUseError` when another live instance holds it; any other failure (permissions, a
 * read-only volume) is rethrown with the lock file's path.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  let db: Database.Database | undefined;
  try {
    db = new Database(path);
    // Refuse at once: a live holder never lets go, and a dead one already has (the kernel saw to it).
    db.pragma('busy_timeout = 0');
    // EXCLUSIVE locking mode keeps the lock once taken; the open transaction takes it now.
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db?.close();
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') throw new DataDirInUseError(dir, { cause: error });
    throw new Error(`cannot take the instance lock ${path}: ${(error as Error).message}`, { cause: error });
  }
  const legacy = join(dir, LEGACY_LOCK_FILE);
  if (isLegacyPidFile(legacy)) {
    try {
      unlinkSync(legacy);
    } catch (error) {
      // Only tidiness is lost: the file is ignored either way.
      if ((error as { code?: string }).code !== 'ENOENT') throw error;
    }
  }
  const held = db;
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      held.exec('ROLLBACK');
      held.close();
    },
  };
}
