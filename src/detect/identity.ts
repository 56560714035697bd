/**
 * Stable identity for goals, cards and substitutions, which the provider sends without ids.
 * Incidents are paired between the last state and a new snapshot by side, player and minute, so
 * a reordered list, a corrected minute ("45" → "45+2"), a player id that appears later, or a
 * corrected spelling under the same id all keep the incident's identity.
 */
import { createHash } from 'node:crypto';
import { normaliseName } from '../domain/names.js';
import { minuteDistance } from './minute.js';

/** Greatest minute correction still treated as the same incident. */
export const MINUTE_TOLERANCE = 5;

export { normaliseName } from '../domain/names.js';

/** How two player references relate. */
export type PlayerRelation = 'same' | 'different' | 'conflict';

/**
 * `same`: equal ids, or no id on one side and equal names; `conflict`: two different ids;
 * `different`: different names where at least one id is unknown.
 */
export function playerRelation(aId: string, aName: string, bId: string, bName: string): PlayerRelation {
  if (aId !== '' && bId !== '') return aId === bId ? 'same' : 'conflict';
  return normaliseName(aName) === normaliseName(bName) ? 'same' : 'different';
}

/** Cost of treating two sightings as one incident; `undefined` when they cannot be. */
export function incidentCost(relation: PlayerRelation, minuteA: string, minuteB: string): number | undefined {
  const distance = minuteDistance(minuteA, minuteB);
  switch (relation) {
    case 'same':
      return distance <= MINUTE_TOLERANCE ? distance : undefined;
    case 'different':
      // A spelling fix where the id is still unknown: same minute (give or take one) required.
      return distance <= 1 ? 50 + distance : undefined;
    case 'conflict':
      // The provider re-attributed the goal to another player: only at the very same minute.
      return distance === 0 ? 100 : undefined;
  }
}

export interface Pairing<K, N> {
  readonly pairs: ReadonlyArray<readonly [K, N]>;
  readonly removed: readonly K[];
  readonly added: readonly N[];
}

/**
 * Pairs known incidents with fresh sightings, cheapest first (greedy on a handful of items per
 * match, which is exact enough here and deterministic: ties go to the earlier item).
 */
export function pairIncidents<K, N>(
  known: readonly K[],
  fresh: readonly N[],
  cost: (known: K, fresh: N) => number | undefined,
): Pairing<K, N> {
  const candidates: Array<{ cost: number; k: number; n: number }> = [];
  known.forEach((k, ki) => {
    fresh.forEach((n, ni) => {
      const c = cost(k, n);
      if (c !== undefined) candidates.push({ cost: c, k: ki, n: ni });
    });
  });
  candidates.sort((a, b) => a.cost - b.cost || a.k - b.k || a.n - b.n);
  const knownUsed = new Array<boolean>(known.length).fill(false);
  const freshUsed = new Array<boolean>(fresh.length).fill(false);
  const pairs: Array<readonly [K, N]> = [];
  for (const candidate of candidates) {
    if (knownUsed[candidate.k] || freshUsed[candidate.n]) continue;
    knownUsed[candidate.k] = true;
    freshUsed[candidate.n] = true;
    pairs.push([known[candidate.k] as K, fresh[candidate.n] as N]);
  }
  return {
    pairs,
    removed: known.filter((_, i) => !knownUsed[i]),
    added: fresh.filter((_, i) => !freshUsed[i]),
  };
}

/**
 * Deterministic event id from the parts that identify a real-world incident: the same incident
 * gets the same id on every run, so clients can deduplicate across reconnects and restarts.
 */
export function eventId(matchId: string, ...parts: readonly string[]): string {
  const digest = createHash('sha256').update([matchId, ...parts].join('\u001f')).digest('base64url');
  return `${matchId}-${digest.slice(0, 16)}`;
}
