/**
 * API-Football `fixture.status.short` codes (FORMAT.md §4) → our phases, and the status text the
 * service shows for them. Decided on `short`, never on `long` (the recorded long texts differ from
 * the docs, and FT/AET/PEN share one). An unknown code is the `unknown` phase: neither live nor over.
 *
 * The status text is what every event's `status` field carries and what the match clock reads the
 * minute from, so it is written the way the service always has ("67", "45+2", "Half Time",
 * "Finished"…): a client sees the same statuses whichever provider the service polls.
 */
import type { Phase } from '../../domain/match.js';

interface CodeInfo {
  readonly phase: Phase;
  /** Text for codes that carry no minute. */
  readonly text?: string;
  /** The ball is (or may be) in play, or the match is paused within play: the provider lists it live. */
  readonly live: boolean;
}

/** Every documented code (FORMAT.md §4). `WO` (walkover) is a result awarded without play. */
const CODES: ReadonlyMap<string, CodeInfo> = new Map<string, CodeInfo>([
  ['TBD', { phase: 'not_started', text: '', live: false }],
  ['NS', { phase: 'not_started', text: '', live: false }],
  ['1H', { phase: 'first_half', live: true }],
  ['HT', { phase: 'half_time', text: 'Half Time', live: true }],
  ['2H', { phase: 'second_half', live: true }],
  ['ET', { phase: 'extra_time', live: true }],
  ['BT', { phase: 'extra_time_break', text: 'Break Time', live: true }],
  ['P', { phase: 'penalties', text: 'Penalties', live: true }],
  // Stopped, not over: "SUSP" may finish another day, "INT" should resume in minutes (FORMAT.md §4).
  ['SUSP', { phase: 'suspended', text: 'Suspended', live: true }],
  ['INT', { phase: 'interrupted', text: 'Interrupted', live: true }],
  ['FT', { phase: 'finished', text: 'Finished', live: false }],
  ['AET', { phase: 'finished', text: 'After ET', live: false }],
  ['PEN', { phase: 'finished', text: 'After Pen.', live: false }],
  ['PST', { phase: 'postponed', text: 'Postponed', live: false }],
  ['CANC', { phase: 'cancelled', text: 'Cancelled', live: false }],
  ['ABD', { phase: 'abandoned', text: 'Abandoned', live: false }],
  ['AWD', { phase: 'awarded', text: 'Awarded', live: false }],
  ['WO', { phase: 'awarded', text: 'Awarded', live: false }],
  // In play, phase and minute unknown ("very rare"): live, so a match seen like this still starts.
  ['LIVE', { phase: 'unknown', text: 'Live', live: true }],
]);

/** Known codes, for tests and the simulator. */
export const STATUS_CODES: readonly string[] = [...CODES.keys()];

/** Codes after which the match is over and was played to its end. */
export const FINISHED_CODES: ReadonlySet<string> = new Set(['FT', 'AET', 'PEN']);

function info(short: string): CodeInfo | undefined {
  // A mixed-case `Canc` was once reported (FORMAT.md §4, I21).
  return CODES.get(short.trim().toUpperCase());
}

/** The phase a status code says; `unknown` for a code nobody documented. */
export function phaseOfCode(short: string): Phase {
  return info(short)?.phase ?? 'unknown';
}

/** The provider lists the match as in play (including half time, breaks and stoppages). */
export function isLiveCode(short: string): boolean {
  return info(short)?.live ?? false;
}

/** Ranges of the minute within each period with a running clock: [first minute, last regular minute]. */
const PERIOD_RANGE: Readonly<Partial<Record<Phase, readonly [number, number]>>> = {
  first_half: [1, 45],
  second_half: [46, 90],
  extra_time: [91, 120],
};

/**
 * A minute as the service writes it: `"67"`, `"45+2"`, `"90+"` (stoppage with an unknown count).
 * `elapsed` saturates at 45/90 during stoppage (FORMAT.md §4), with `extra` carrying the added
 * minutes since late 2024 and absent before; adding the two ("47") would read as the second half.
 */
export function minuteText(elapsed: number, extra: number | null | undefined): string {
  const base = Math.max(0, Math.trunc(elapsed));
  if (extra !== null && extra !== undefined && extra > 0) return `${base}+${Math.trunc(extra)}`;
  return String(base);
}

/**
 * The status text of a fixture: a minute while a period runs (kept inside that period's range, so
 * the text never names another phase: `1H` at 45 with no `extra` is `"45"`, `1H` at 47 is `"45+2"`,
 * `2H` reported at 45 is `"46"`), a fixed label otherwise, `""` before kick-off, and the code itself
 * (bounded) when it is unknown.
 */
export function statusText(short: string, elapsed: number | null, extra: number | null | undefined): string {
  const code = info(short);
  if (code === undefined) return short.trim().slice(0, 40);
  if (code.text !== undefined) return code.text;
  const range = PERIOD_RANGE[code.phase];
  if (range === undefined) return '';
  const [first, last] = range;
  if (elapsed === null) return String(first);
  if (elapsed > last) return `${last}+${Math.trunc(elapsed - last) + Math.max(0, Math.trunc(extra ?? 0))}`;
  if (elapsed < first) return String(first);
  // The extra-time halves: stoppage at 105 is "105+2", which phaseOf reads as extra time too.
  return minuteText(elapsed, extra);
}
