/** Match-minute arithmetic for the provider's minute strings: "29", "45+3", "90+", "105". */

/** "29", "45+3", "90+", "45 + 2", "30'": base minute and optional added minutes (at most two digits). */
const MINUTE = /^(\d{1,3})(?:\s*\+\s*(\d{0,2}))?'?$/;

/** Minutes since kick-off, counting added time: "45+2" → 47. `NaN` for text that is not a minute. */
export function minuteValue(minute: string): number {
  const match = MINUTE.exec(minute.trim());
  if (!match) return Number.NaN;
  return Number(match[1]) + (match[2] ? Number(match[2]) : 0);
}

/** Distance between two minute strings; equal unparseable texts are 0 apart, others far apart. */
export function minuteDistance(a: string, b: string): number {
  const x = minuteValue(a);
  const y = minuteValue(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return a.trim() === b.trim() ? 0 : Number.POSITIVE_INFINITY;
  return Math.abs(x - y);
}

/**
 * Chronological sort key: added time stays inside its half, so "45+3" sorts after "45" and before
 * "46", and "90+2" before "91" (by value "45+3" would be 48, after "46"). Unparseable minutes last.
 */
export function minuteSortKey(minute: string): number {
  const match = MINUTE.exec(minute.trim());
  if (!match) return Number.MAX_SAFE_INTEGER;
  // At most two digits of added time, so a hundredth per added minute never reaches the next minute.
  return Number(match[1]) + (match[2] ? Number(match[2]) / 100 : 0);
}
