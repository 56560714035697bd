/**
 * The parser half of the API-Football provider (`ProviderParser`): a `/fixtures` answer → the
 * normalised facts, each fixture on its own (an unusable one is dropped and counted, never the
 * answer: one bad fixture among the 246 of a busy `live=all` must not stop every match).
 */
import { err, ok, type Result } from '../../domain/result.js';
import { UpstreamError } from '../errors.js';
import type { MatchSnapshot, ParsedMatch, ParsedReply, ProviderParser } from '../provider.js';
import { parseFixturesReply, type ParsedFixture } from './parse.js';
import { toSnapshot } from './snapshot.js';

const MAX_WARNINGS = 100;

/** A parsed answer, with the count of what was dropped (the client counts it in metrics). */
export interface ApiFootballReply extends ParsedReply {
  readonly dropped: number;
  /** The fixtures as read, for callers that need more than the facts (the client's line-up memory). */
  readonly fixtures: readonly ParsedFixture[];
}

function snapshots(fixtures: readonly ParsedFixture[], warnings: string[]): { matches: MatchSnapshot[]; dropped: number } {
  const matches: MatchSnapshot[] = [];
  let dropped = 0;
  for (const fixture of fixtures) {
    try {
      matches.push(toSnapshot(fixture, warnings));
    } catch (error) {
      dropped += 1;
      warnings.push(`fixture ${fixture.id} skipped: ${error instanceof Error ? error.message.slice(0, 200) : 'unreadable'}`);
    }
  }
  return { matches, dropped };
}

function capped(warnings: string[]): string[] {
  if (warnings.length <= MAX_WARNINGS) return warnings;
  const more = warnings.length - MAX_WARNINGS;
  return [...warnings.slice(0, MAX_WARNINGS), `… and ${more} more items skipped`];
}

/** Parses a decoded `/fixtures` answer. Never throws. */
export function parseApiFootballReply(body: unknown): Result<ApiFootballReply, UpstreamError> {
  try {
    const parsed = parseFixturesReply(body);
    if (!parsed.ok) return parsed;
    const warnings = [...parsed.value.warnings];
    const { matches, dropped } = snapshots(parsed.value.fixtures, warnings);
    return ok({ matches, warnings: capped(warnings), dropped: parsed.value.dropped + dropped, fixtures: parsed.value.fixtures });
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return err(new UpstreamError('bad_format', `reply could not be read (${reason.slice(0, 120)})`, { cause: error }));
  }
}

export const apiFootballParser: ProviderParser = {
  parseReply: (body) => parseApiFootballReply(body),
  parseMatch(raw: unknown, path: string): Result<ParsedMatch, UpstreamError> {
    // API-Football has no push feed; one fixture object is read as a one-fixture answer.
    const parsed = parseApiFootballReply({ errors: [], response: [raw] });
    if (!parsed.ok) return parsed;
    const snapshot = parsed.value.matches[0];
    if (snapshot === undefined) {
      return err(new UpstreamError('bad_format', `${path}: ${parsed.value.warnings[0] ?? 'not a fixture object'}`));
    }
    return ok({ snapshot, warnings: parsed.value.warnings.map((w) => `${path}: ${w}`) });
  },
};

/** Parses a raw body (text): invalid JSON is `bad_json`, everything else as `parseApiFootballReply`. */
export function parseApiFootballText(text: string): Result<ApiFootballReply, UpstreamError> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return err(new UpstreamError('bad_json', `reply is not valid JSON (${text.length} bytes): ${reason.slice(0, 120)}`));
  }
  return parseApiFootballReply(body);
}
