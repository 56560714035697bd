/**
 * One running instance per DATA_DIR. Two services writing one event log would interleave their
 * histories (every `MATCH_STARTED` twice), so the second one is refused at start-up.
 *
 * The exclusion is held by the kernel, never inferred from a PID, a timestamp or a file's content:
 * it is released the instant the holder exits, however it exits (SIGKILL included, before it is
 * even reaped as a zombie), so a reused PID, a PID 1 in every container or a file left from a crash
 * cannot fool it. Every process on one kernel (containers sharing a volume included) sees it.
 *
 * Three locks, all taken without waiting, all needed:
 * 1. an `flock(2)` on the database file itself: what the lock protects is the history, and a file
 *    that is open and locked cannot be swapped from under its holder without swapping the history
 *    with it (deleting the lock file, or replacing it, does not let a second instance in);
 * 2. an `flock(2)` on the lock file `football-streaming-core.instance.lock`, so that deleting the
 *    database of a running instance does not let a second one start on the same directory either;
 * 3. an exclusive SQLite lock (a POSIX record lock) on that same lock file: the lock the previous
 *    versions took, so that an instance of an older version and one of this version exclude each
 *    other during an upgrade, and the lock that still holds where `flock(1)` is missing.
 *
 * The flocks are taken by util-linux's `flock(1)` on a descriptor this process opened and passed to
 * it: an flock belongs to the open file description, which stays open here after `flock(1)` exits,
 * so the lock lives exactly as long as this process holds the descriptor. (Node has no flock of its
 * own; a native module would have to be compiled on every install.) Each locked path is checked
 * afterwards to still name the very file that was locked, so a file replaced between the open and
 * the lock is not taken for the lock.
 *
 * The lock file carries no data: whatever it contains (a PID written by hand, garbage), a lock file
 * that no live process holds is emptied and used. A symbolic link or another non-regular file in
 * its place is replaced, never followed.
 *
 * With `WORKERS` (node:cluster), the primary process of an instance takes this lock and its workers
 * open the database without taking it (`startApp({ dataDirLockHeld: true })`): SQLite's own locks
 * (POSIX record locks) and flocks are independent on Linux, so the workers share the database while
 * a second instance still finds the lock held by the first one's primary. DATA_DIR must be on a
 * local filesystem, as SQLite's WAL mode already requires (on NFS, flock is emulated with record
 * locks and would collide with SQLite's).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, ftruncateSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from './sqlite-event-store.js';
import { DataDirInUseError } from '../errors.js';

/** The lock file in DATA_DIR (its content means nothing; only its locks matter). */
export const LOCK_FILE = 'football-streaming-core.instance.lock';
/** The PID file older versions wrote; it means nothing now and is removed once the lock is taken. */
export const LEGACY_LOCK_FILE = 'football-streaming-core.lock';

/** Defined in the error catalogue (src/errors.ts). */
export { DataDirInUseError };

/** The lock, held until `release` (idempotent) or until the process ends. */
export interface DataDirLock {
  /**
   * `flock`: the database file and the lock file are flocked (and the lock file SQLite-locked).
   * `sqlite-only`: no flock could be taken (`flock(1)` missing, or a filesystem without flock), so
   * only the SQLite lock on the lock file holds: deleting that file while the instance runs would
   * let a second instance in (the caller warns, with `degradedBecause`).
   */
  readonly mechanism: 'flock' | 'sqlite-only';
  /** Why the mechanism is `sqlite-only`. */
  readonly degradedBecause?: string;
  /**
   * Lets go of the lock. Call it after this process closed its own connections to the database:
   * closing a descriptor of a file drops every POSIX lock this process holds on it, SQLite's too.
   */
  release(): void;
}

/** What `flock(1)` answered for one descriptor; `unavailable` says why no flock can be had. */
type FlockResult = 'locked' | 'held' | { readonly unavailable: string };

/** The flock(1) executable, looked up on PATH (util-linux; BusyBox has one too). */
const FLOCK = 'flock';
/** Attempts to lock a path that keeps being replaced between the open and the lock. */
const MAX_ATTEMPTS = 5;

/**
 * Locks held by this process, by file identity: a second lock of the same directory in this process
 * (tests, or a programming error) is refused without opening another descriptor, since closing that
 * descriptor again would drop this process's POSIX locks on the file (the SQLite ones among them).
 */
const heldHere = new Set<string>();

const identity = (stats: { dev: number | bigint; ino: number | bigint }): string => `${stats.dev}:${stats.ino}`;

/** An exclusive, non-blocking flock on `fd`, taken by flock(1) on the same open file description. */
function flock(fd: number): FlockResult {
  // Short options only: BusyBox's flock knows no long ones. A conflict exits 1 without a word.
  const result = spawnSync(FLOCK, ['-n', '-x', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd], timeout: 10_000 });
  if (result.error !== undefined) {
    if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') return { unavailable: 'flock(1) (util-linux) was not found on PATH' };
    throw result.error;
  }
  const stderr = result.stderr.toString().trim();
  if (result.status === 0) return 'locked';
  if (result.status === 1 && stderr === '') return 'held';
  // Anything else is flock(1) reporting the lock cannot be had here (a filesystem without flock:
  // ENOLCK, EOPNOTSUPP…); a conflict is always a silent exit 1.
  return { unavailable: `flock(1) cannot lock here (exit ${result.status ?? result.signal}: ${stderr || 'no message'})` };
}

interface OpenedFile {
  readonly fd: number;
  readonly id: string;
}

/**
 * Opens `path` (created if missing). The lock file (`foreign: 'replace'`) is never opened through a
 * symbolic link (it may be emptied): something other than a regular file in its place (a link, a
 * FIFO) is replaced by an empty file, by an atomic rename that never touches what a link points to.
 * The database (`foreign: 'refuse'`) is opened as SQLite opens it, through a link if it is one.
 */
function openRegular(path: string, foreign: 'replace' | 'refuse'): OpenedFile {
  const replaceForeign = foreign === 'replace';
  const flags = constants.O_RDWR | constants.O_CREAT | constants.O_NONBLOCK | (replaceForeign ? constants.O_NOFOLLOW : 0);
  for (let attempt = 0; ; attempt += 1) {
    let fd: number | undefined;
    try {
      fd = openSync(path, flags, 0o644);
      const stats = fstatSync(fd);
      if (stats.isFile()) return { fd, id: identity(stats) };
      closeSync(fd);
      fd = undefined;
    } catch (error) {
      if (fd !== undefined) closeSync(fd);
      const code = (error as NodeJS.ErrnoException).code;
      // ELOOP: a symbolic link (O_NOFOLLOW); ENXIO: a FIFO with no reader or a socket.
      if (code !== 'ELOOP' && code !== 'ENXIO') throw error;
    }
    if (!replaceForeign || attempt >= MAX_ATTEMPTS) {
      throw new Error(`${path} is not a regular file: move it away`);
    }
    if (lstatSync(path).isDirectory()) throw new Error(`${path} is a directory: move it away`);
    // No instance of ours ever holds a non-regular file (it is never opened as one), so nothing
    // live is displaced. The rename swaps the link itself, never what it points to.
    const fresh = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(fresh, '', { flag: 'wx', mode: 0o644 });
    renameSync(fresh, path);
  }
}

/** Whether `path` still names the file `opened` refers to (it was not deleted or replaced meanwhile). */
function stillNamed(path: string, opened: OpenedFile): boolean {
  try {
    return identity(statSync(path)) === opened.id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Opens and flocks `path`, retrying when it is replaced between the open and the lock. Returns the
 * open descriptor (which holds the flock), or the descriptor alone when flock(1) is unavailable.
 */
function flockPath(path: string, dir: string, foreign: 'replace' | 'refuse'): { file: OpenedFile; result: FlockResult } {
  for (let attempt = 1; ; attempt += 1) {
    // Already locked by this very process: refused without opening another descriptor.
    try {
      if (heldHere.has(identity(statSync(path)))) throw new DataDirInUseError(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const file = openRegular(path, foreign);
    let result: FlockResult;
    try {
      result = flock(file.fd);
    } catch (error) {
      closeSync(file.fd);
      throw error;
    }
    if (result === 'held') {
      closeSync(file.fd);
      throw new DataDirInUseError(dir);
    }
    if (stillNamed(path, file)) return { file, result };
    // Locked a file that is no longer the one at `path`: that lock excludes nobody. Try again.
    closeSync(file.fd);
    if (attempt >= MAX_ATTEMPTS) throw new Error(`${path} keeps being replaced while the instance lock is taken`);
  }
}

/**
 * The lock previous versions took: an exclusive SQLite lock on the lock file, held by an open
 * EXCLUSIVE transaction. A lock file whose content is not a database (no live holder can have one:
 * SQLite refuses to lock it) is emptied in place and locked: emptied, not replaced, so that a lock
 * some process still holds on the file is kept and seen.
 */
function sqliteLock(path: string, lockFile: OpenedFile, dir: string): Database.Database {
  for (let attempt = 0; ; attempt += 1) {
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      // Refuse at once: a live holder never lets go, and a dead one already has (the kernel saw to it).
      db.pragma('busy_timeout = 0');
      // EXCLUSIVE locking mode keeps the lock once taken; the open transaction takes it now.
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      return db;
    } catch (error) {
      db?.close();
      const code = (error as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') throw new DataDirInUseError(dir, { cause: error });
      const foreign = code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT';
      if (!foreign || attempt > 0) throw new Error(`cannot take the instance lock ${path}: ${(error as Error).message}`, { cause: error });
      // The lock file carries no data: whatever was written into it goes.
      ftruncateSync(lockFile.fd, 0);
    }
  }
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

export interface LockOptions {
  /**
   * How long to keep trying while another process holds the lock (default 0: refuse at once). The
   * kernel lets go when the holder's last thread has exited, not when its main thread has: right
   * after `kill -9` of a busy process on a loaded machine, its other threads may take a while to
   * finish dying (the process already shows as a zombie), and a restart must not be refused for that.
   */
  readonly waitMs?: number;
  /** Called once, when the lock is found held and the wait begins. */
  readonly onWait?: (waitMs: number) => void;
}

/** Between two attempts while the lock is held. */
const RETRY_MS = 50;

/**
 * Takes the instance lock on `dataDir` (created if missing), trying again for up to `waitMs` while
 * another process holds it. Throws a `DataDirInUseError` when another live instance still holds it
 * then (at once when this process holds it); any other failure (permissions, a read-only volume) is
 * rethrown with the path concerned. Each attempt takes the locks without waiting on them: whether
 * they are held is only ever the kernel's answer.
 */
export function lockDataDir(dataDir: string, options: LockOptions = {}): DataDirLock {
  const waitMs = options.waitMs ?? 0;
  const deadline = Date.now() + waitMs;
  for (let waiting = false; ; ) {
    try {
      return tryLockDataDir(dataDir);
    } catch (error) {
      if (!(error instanceof DataDirInUseError) || Date.now() >= deadline || heldByThisProcess(dataDir)) throw error;
      if (!waiting) options.onWait?.(waitMs);
      waiting = true;
      // Start-up has nothing else to do meanwhile: a synchronous pause, as the attempts are.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RETRY_MS);
    }
  }
}

/** Whether this very process holds the lock on `dataDir` (waiting would not help). */
function heldByThisProcess(dataDir: string): boolean {
  try {
    return heldHere.has(identity(statSync(join(resolve(dataDir), LOCK_FILE))));
  } catch {
    // No lock file: not held here.
    return false;
  }
}

/** One attempt at the three locks, none waited for. */
function tryLockDataDir(dataDir: string): DataDirLock {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const lockPath = join(dir, LOCK_FILE);
  const databasePath = join(dir, DATABASE_FILE);
  const opened: OpenedFile[] = [];
  let db: Database.Database | undefined;
  let degradedBecause: string | undefined;
  try {
    const lockFile = flockPath(lockPath, dir, 'replace');
    opened.push(lockFile.file);
    if (typeof lockFile.result === 'object') degradedBecause = lockFile.result.unavailable;
    db = sqliteLock(lockPath, lockFile.file, dir);
    if (degradedBecause === undefined) {
      // The database is never "foreign": a non-regular file there is the operator's to move.
      const database = flockPath(databasePath, dir, 'refuse');
      opened.push(database.file);
      if (typeof database.result === 'object') degradedBecause = database.result.unavailable;
    }
  } catch (error) {
    // SQLite's handle first: closing a descriptor of the lock file drops its POSIX lock anyway.
    db?.close();
    for (const file of opened) closeSync(file.fd);
    if (error instanceof DataDirInUseError) throw error;
    throw new Error(`cannot take the instance lock in ${dir}: ${(error as Error).message}`, { cause: error });
  }
  for (const file of opened) heldHere.add(file.id);
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
    mechanism: degradedBecause === undefined ? 'flock' : 'sqlite-only',
    ...(degradedBecause === undefined ? {} : { degradedBecause }),
    release() {
      if (released) return;
      released = true;
      held.exec('ROLLBACK');
      held.close();
      for (const file of opened) {
        heldHere.delete(file.id);
        closeSync(file.fd);
      }
    },
  };
}
