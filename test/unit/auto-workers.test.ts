/** `WORKERS=auto`: processes from the cores, the open-file limit and MAX_CONNECTIONS. */
import { describe, expect, it } from 'vitest';
import { autoWorkers } from '../../src/cluster/auto-workers.js';
import { socketBudget } from '../../src/server/admission.js';

describe('WORKERS=auto', () => {
  it('on 2 cores with open files capped at 20,000, holds 100,000 connections in 7 processes: 6 without the writer', () => {
    const chosen = autoWorkers({ cores: 2, openFiles: 20_000, maxConnections: 100_000 });
    expect(chosen.workers).toBe(7);
    // The processes other than the writer fill at most 90% of their socket budget (19,800 here); one fewer would not.
    const holders = chosen.workers - 1;
    expect(100_000 / holders).toBeLessThanOrEqual(socketBudget(20_000) * 0.9);
    expect(100_000 / (holders - 1)).toBeGreaterThan(socketBudget(20_000) * 0.9);
    expect(chosen.reason).toMatch(
      /2 cores, open files capped at 20000 \(19800 sockets per process\): MAX_CONNECTIONS=100000 needs 7 processes: 6 at ≤ 90% of that budget and the writer/,
    );
  });

  it('plans no connections on the writer once one process is not enough', () => {
    // 30,000 need two holders at 90% of 19,800, and the writer beside them.
    expect(autoWorkers({ cores: 2, openFiles: 20_000, maxConnections: 30_000 }).workers).toBe(3);
    // One holder is enough: one process per core, as before.
    expect(autoWorkers({ cores: 2, openFiles: 20_000, maxConnections: 17_000 }).workers).toBe(2);
  });

  it('runs at least one process per core', () => {
    expect(autoWorkers({ cores: 8, openFiles: 1_048_576, maxConnections: 100_000 }).workers).toBe(8);
    expect(autoWorkers({ cores: 2, openFiles: 20_000, maxConnections: 10 }).workers).toBe(2);
    expect(autoWorkers({ cores: 4, openFiles: undefined, maxConnections: 100_000 }).workers).toBe(4);
  });

  it('stops at eight processes per core and says to raise the open-file limit', () => {
    const chosen = autoWorkers({ cores: 2, openFiles: 1_024, maxConnections: 100_000 });
    expect(chosen.workers).toBe(16);
    expect(chosen.reason).toMatch(/capped at 16 .* raise the open-file limit/);
  });
});
