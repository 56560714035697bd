/**
 * `WORKERS=auto`: how many processes an instance runs, from the cores and the open-file limit.
 *
 * Each process may hold at most its socket budget (the open-file limit minus a reserve, see
 * `socketBudget`), so a single process with the default `MAX_CONNECTIONS=100000` and open files
 * capped at 20,000 could never hold the limit. `auto` runs at least one process per core, and more
 * when `MAX_CONNECTIONS` needs them: enough that every process fills at most 90% of its budget (the
 * kernel and the primary do not spread connections over workers exactly evenly), not counting the
 * writer: busy polling and committing, it is the last to call `accept` and holds few connections
 * (1–5 % of them in bench:scale at 50,000–100,000), so the others are planned to hold them all. Bounded by eight
 * processes per core (and 256): past that the processes' own memory and context switches cost more
 * than they hold, and the open-file limit is what to raise.
 */
import { openFileLimit, socketBudget } from '../server/admission.js';

/** The share of its socket budget a worker is planned to fill. */
const BUDGET_SHARE = 0.9;
const MAX_PER_CORE = 8;
const MAX_WORKERS = 256;

export interface AutoWorkersInput {
  readonly cores: number;
  /** This process's open-file limit; undefined where it cannot be read (then: one per core). */
  readonly openFiles: number | undefined;
  readonly maxConnections: number;
}

export interface AutoWorkers {
  readonly workers: number;
  /** Why, in one line (logged at start). */
  readonly reason: string;
}

export function autoWorkers({ cores, openFiles, maxConnections }: AutoWorkersInput): AutoWorkers {
  const perCore = Math.max(1, Math.floor(cores));
  if (openFiles === undefined) {
    return { workers: Math.min(MAX_WORKERS, perCore), reason: `${perCore} cores; open-file limit unknown: one process per core` };
  }
  const budget = socketBudget(openFiles);
  const planned = Math.max(1, Math.floor(budget * BUDGET_SHARE));
  const holders = Math.ceil(maxConnections / planned);
  // More than one process: one of them is the writer, planned to hold none.
  const needed = holders > 1 ? holders + 1 : holders;
  const workers = Math.min(MAX_WORKERS, perCore * MAX_PER_CORE, Math.max(perCore, needed));
  const reason =
    needed > perCore
      ? `${perCore} cores, open files capped at ${openFiles} (${budget} sockets per process): MAX_CONNECTIONS=${maxConnections} needs ${needed} processes: ${holders} at ≤ 90% of that budget and the writer` +
        (workers < needed ? `; capped at ${workers} (${MAX_PER_CORE} per core): raise the open-file limit` : '')
      : `${perCore} cores; ${budget} sockets per process hold MAX_CONNECTIONS=${maxConnections} with one process per core`;
  return { workers, reason };
}

/** `WORKERS=auto` for this machine. */
export function autoWorkersHere(cores: number, maxConnections: number): AutoWorkers {
  return autoWorkers({ cores, openFiles: openFileLimit(), maxConnections });
}
