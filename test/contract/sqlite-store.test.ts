/**
 * The store contract on the embedded default: a real SQLite file in a temporary directory per test,
 * plus what is specific to SQLite (WAL mode, the directory created when missing).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE, SqliteEventStore } from '../../src/store/sqlite-event-store.js';
import { storeContract } from './store.contract.js';

/** Runs `change` on the database file through a connection of its own (the store's stays open). */
function edit(dataDir: string, change: (db: Database.Database) => void): Promise<void> {
  const db = new Database(join(dataDir, DATABASE_FILE), { fileMustExist: true });
  try {
    change(db);
  } finally {
    db.close();
  }
  return Promise.resolve();
}

storeContract('SqliteEventStore', {
  newLocation: () => Promise.resolve(mkdtempSync(join(tmpdir(), 'fsc-store-'))),
  open: (dataDir) => Promise.resolve(new SqliteEventStore({ dataDir })),
  dispose: (dataDir) => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })),
  pruneChunk: 2000,
  writeRawState: (dataDir, key, raw) =>
    edit(dataDir, (db) =>
      db
        .prepare("INSERT INTO match_state (match_id, state, updated_at) VALUES (?, ?, 'x') ON CONFLICT(match_id) DO UPDATE SET state = excluded.state")
        .run(key, raw),
    ),
  damagePrunedCounter: (dataDir) => edit(dataDir, (db) => db.prepare("UPDATE meta SET value = 'abc' WHERE key = 'pruned_through'").run()),
});

describe('SqliteEventStore specifics', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('creates a missing DATA_DIR and keeps one database file in WAL mode there', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fsc-store-'));
    dirs.push(root);
    const dataDir = join(root, 'nested', 'data');
    const store = new SqliteEventStore({ dataDir });
    await store.commit({ events: [], states: [], forget: [] });
    await store.close();
    const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });
});
