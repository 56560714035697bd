/** Match-minute arithmetic for the provider's minute strings: "29", "45+3", "90+", "105". */

/** Minutes since kick-off, counting added time: "45+2" → 47. `NaN` for text that is not a minute. */
export function minuteValue(minute: string): number {
  const match = /^(\d{1,3})(?:\s*\+\s*(\d{0,2}))?'?$/.exec(minute.trim());
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

/** Sort key: parseable minutes in order, unparseable ones last. */
export function minuteSortKey(minute: string): number {
  const value = minuteValue(minute);
  return Number.isNaN(value) ? Number.MAX_SAFE_INTEGER : value;
}
