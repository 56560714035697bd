/**
 * Stable identity for goals, cards and substitutions, which the provider sends without ids.
 * Incidents are paired between the last state and a new snapshot by side, player and minute, so
 * a reordered list, a corrected minute ("45" → "45+2"), a player id that appears later, or a
 * corrected spelling under the same id all keep the incident's identity.
 */
import { createHash } from 'node:crypto';
import { normaliseName } from '../domain/names.js';
import { minuteDistance, minuteSortKey } from './minute.js';

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
 * match, deterministic: ties go to the earlier minute, then the earlier item), then order-preserving: two pairs that cross
 * in time (the earlier known incident paired with the later sighting) are swapped whenever the
 * swapped pairs are allowed and cost no more. Two goals of one player at 10' and 12' corrected to
 * 13' and 15' tie under greedy pairing (3 + 3 either way) and would pair crosswise, putting each
 * correction on the other goal; a player's incidents keep their relative order instead. On one line,
 * uncrossing never increases the total distance, and each swap removes at least one inversion, so
 * this ends; pairs of different players are never swapped onto each other (their swapped cost is
 * higher).
 */
export function pairIncidents<K extends { readonly minute: string }, N extends { readonly minute: string }>(
  known: readonly K[],
  fresh: readonly N[],
  cost: (known: K, fresh: N) => number | undefined,
): Pairing<K, N> {
  const knownAt = known.map((k) => minuteSortKey(k.minute));
  const freshAt = fresh.map((n) => minuteSortKey(n.minute));
  const candidates: Array<{ cost: number; k: number; n: number }> = [];
  known.forEach((k, ki) => {
    fresh.forEach((n, ni) => {
      const c = cost(k, n);
      if (c !== undefined) candidates.push({ cost: c, k: ki, n: ni });
    });
  });
  // Equal costs go to the earlier incident and the earlier sighting, by minute (the provider's list
  // order is noise): a known incident is taken for the earliest sighting it may be, since what is new
  // in a feed comes later in the match.
  const at = (list: readonly number[], i: number) => list[i] as number;
  candidates.sort(
    (a, b) => a.cost - b.cost || at(knownAt, a.k) - at(knownAt, b.k) || at(freshAt, a.n) - at(freshAt, b.n) || a.k - b.k || a.n - b.n,
  );
  const knownUsed = new Array<boolean>(known.length).fill(false);
  const freshUsed = new Array<boolean>(fresh.length).fill(false);
  const chosen: Array<{ k: number; n: number; cost: number }> = [];
  for (const candidate of candidates) {
    if (knownUsed[candidate.k] || freshUsed[candidate.n]) continue;
    knownUsed[candidate.k] = true;
    freshUsed[candidate.n] = true;
    chosen.push(candidate);
  }
  uncross(chosen, known, fresh, cost);
  return {
    pairs: chosen.map((p) => [known[p.k] as K, fresh[p.n] as N] as const),
    removed: known.filter((_, i) => !knownUsed[i]),
    added: fresh.filter((_, i) => !freshUsed[i]),
  };
}

/** Swaps crossing pairs (see `pairIncidents`) until none can be swapped; bounded, in place. */
function uncross<K extends { readonly minute: string }, N extends { readonly minute: string }>(
  chosen: Array<{ k: number; n: number; cost: number }>,
  known: readonly K[],
  fresh: readonly N[],
  cost: (known: K, fresh: N) => number | undefined,
): void {
  const knownAt = (i: number) => minuteSortKey((known[i] as K).minute);
  const freshAt = (i: number) => minuteSortKey((fresh[i] as N).minute);
  // Each swap removes an inversion: at most n² / 2 of them.
  let budget = (chosen.length * chosen.length) / 2 + 1;
  for (let swapped = true; swapped && budget > 0; ) {
    swapped = false;
    for (let i = 0; i < chosen.length && budget > 0; i += 1) {
      for (let j = 0; j < chosen.length && budget > 0; j += 1) {
        const a = chosen[i] as { k: number; n: number; cost: number };
        const b = chosen[j] as { k: number; n: number; cost: number };
        // a is the earlier known incident, paired with the later sighting: a crossing.
        if (!(knownAt(a.k) < knownAt(b.k) && freshAt(a.n) > freshAt(b.n))) continue;
        const ab = cost(known[a.k] as K, fresh[b.n] as N);
        const ba = cost(known[b.k] as K, fresh[a.n] as N);
        if (ab === undefined || ba === undefined || ab + ba > a.cost + b.cost) continue;
        chosen[i] = { k: a.k, n: b.n, cost: ab };
        chosen[j] = { k: b.k, n: a.n, cost: ba };
        swapped = true;
        budget -= 1;
      }
    }
  }
}

/**
 * Deterministic event id from the parts that identify a real-world incident: the same incident
 * gets the same id on every run, so clients can deduplicate across reconnects and restarts.
 */
export function eventId(matchId: string, ...parts: readonly string[]): string {
  const digest = createHash('sha256').update([matchId, ...parts].join('\u001f')).digest('base64url');
  return `${matchId}-${digest.slice(0, 16)}`;
}
