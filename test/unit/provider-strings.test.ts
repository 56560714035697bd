/**
 * Provider facts are normalised at the edge (issue 17 §3): `src/domain`, `src/detect` and
 * `src/engine` never read a provider's status texts, field names or marker strings. Those live in
 * `src/upstream/<provider>/` alone; this test greps the neutral layers for them and fails on any.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FINISHED_STATUSES } from '../../src/upstream/allsportsapi/status.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const NEUTRAL = ['src/domain', 'src/detect', 'src/engine'];

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** AllSportsAPI's status texts (FORMAT.md §4) and API-Football's status codes and words. */
const STATUS_TEXTS = [
  ...FINISHED_STATUSES,
  'Half Time',
  'Break Time',
  'Not Started',
  'First Half',
  'Second Half',
  'Match Finished',
  'Penalty In Progress',
  "'HT'",
  "'FT'",
  "'AET'",
  "'PEN'",
  "'1H'",
  "'2H'",
  "'BT'",
  "'NS'",
];

/** Wire field names and marker strings of the providers' formats. */
const WIRE_NAMES: RegExp[] = [
  // AllSportsAPI's match fields (`event_id` is the service's own event field, not one of them).
  /\bevent_(key|status|live|final_result|ft_result|halftime_result|penalty_result|home_team|away_team|date|time)\b/,
  /\b(home|away)_(scorer|fault|assist|player_id)\b/,
  /\bgoalscorers\b/,
  /\binfo_time\b/,
  /\bcoache\b/,
  /\bvar_[a-z_]+\b/,
  /\b(ftResult|finalResult|penaltyResult|halftimeResult|infoTime)\b/,
  /\(o\.g\.\)|o\\\.\?g/, // the own-goal suffix, literally or as a pattern
  /\/pen\/i/, // the shoot-out guessed from a status text
  /\bsnapshot\.info\b|\bitem\.info\b/, // the goal's provider `info` text
  /\belapsed\b.*\bextra\b/, // API-Football's minute fields
  /['"]Missed Penalty['"]|['"]Own Goal['"]|['"]Normal Goal['"]/,
];

describe('no provider string outside src/upstream', () => {
  const files = NEUTRAL.flatMap(sources);

  it('finds the neutral layers', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it.each(files)('%s reads no provider status text, field name or marker', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const found: string[] = [];
    for (const status of STATUS_TEXTS) if (text.includes(status)) found.push(status);
    for (const pattern of WIRE_NAMES) {
      const match = pattern.exec(text);
      if (match) found.push(match[0]);
    }
    expect(found, `${relative(ROOT, join(ROOT, file))} names provider strings`).toEqual([]);
  });

  it('fails on a file that does read one (the check can fail)', () => {
    const sample = "if (snapshot.status === 'After Pen.') return snapshot.ftResult;";
    expect(STATUS_TEXTS.some((s) => sample.includes(s))).toBe(true);
    expect(WIRE_NAMES.some((p) => p.test(sample))).toBe(true);
  });
});
