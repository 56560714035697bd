/**
 * The sockets one process may hold: its open-file limit minus a reserve for everything else
 * (admission.ts keeps each process within it).
 */
import { readFileSync } from 'node:fs';

/** File descriptors kept out of the socket budget: stdio, the event loop, SQLite, Redis, the provider, IPC. */
const FD_RESERVE_MIN = 64;

/**
 * This process's soft limit on open files (Linux: /proc/self/limits), or undefined where it cannot
 * be read. Node raises the soft limit to the hard one at start, so this is what the process has.
 */
export function openFileLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (match?.[1] === undefined || match[1] === 'unlimited') return undefined;
    return Number(match[1]);
  } catch {
    // Not Linux: no budget of our own; the kernel's limit still applies.
    return undefined;
  }
}

/** Sockets one process may hold: its open-file limit minus a reserve (1%, at least 64). */
export function socketBudget(limit = openFileLimit()): number {
  if (limit === undefined) return Number.MAX_SAFE_INTEGER;
  return Math.max(1, limit - Math.max(FD_RESERVE_MIN, Math.ceil(limit / 100)));
}
