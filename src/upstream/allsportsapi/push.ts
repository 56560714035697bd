/**
 * AllSportsAPI's push feed (FORMAT.md §9), the contract's `PushCapability`: the socket URL (key and
 * zone in the query) and the frame decoder. A frame carries, per match, the match objects that
 * changed, in the Livescore shape — possibly with `null` for fields that did not change. Each object
 * goes through the parser's `parseMatch(raw, path)` on its own, so one bad object does not drop the
 * others. The socket itself (reconnection, silence) is `../push-feed.ts`, provider-neutral.
 */
import { redactApiKey } from '../errors.js';
import type { DecodedFrame, MatchSnapshot, PushCapability, PushDecoder, RejectedObject } from '../provider.js';
import { isRecord, preview } from './fields.js';
import { parseMatch, projectMatch } from './parse.js';

/** Matches whose last object is remembered (to fill in nulls and spot duplicates); the oldest go first. */
const MAX_TRACKED_MATCHES = 5_000;
/** And at most this much remembered over all of them (a real match object, as read, is a few KB). */
const MAX_TRACKED_BYTES = 64 * 1024 * 1024;
/** Match objects in one frame beyond which the frame is garbage (a whole matchday is ~2,000). */
const MAX_OBJECTS_PER_FRAME = 10_000;
/** A match object (the fields the parser reads) nested deeper than this is refused; real ones are 4 deep. */
const MAX_OBJECT_DEPTH = 32;
/** A match object (the fields the parser reads) larger than this, as JSON, is refused; real ones are ~5 KB. */
const MAX_OBJECT_BYTES = 1024 * 1024;
/** Without a previous object these `null`s cannot be filled in, and guessing would roll the match back. */
const FIELDS_THAT_NEED_A_VALUE = ['event_status', 'event_final_result'] as const;

/** The URL the feed connects to: `APIkey=` always, `timezone=` when one is set. Holds the key: never log it. */
export function pushFeedUrl(url: string, apiKey: string | undefined, timezone?: string | undefined): string {
  const target = new URL(url);
  if (timezone !== undefined) target.searchParams.set('timezone', timezone);
  target.searchParams.set('APIkey', apiKey ?? '');
  return target.toString();
}

/** The match id of a raw object as the parser normalises it, or `undefined` when it has none. */
function eventKeyOf(item: Record<string, unknown>): string | undefined {
  const key = item['event_key'];
  if (typeof key === 'number' && Number.isSafeInteger(key) && key > 0) return String(key);
  if (typeof key === 'string' && /^\d+$/.test(key.trim()) && Number(key) > 0) return key.trim();
  return undefined;
}

/**
 * Depth and approximate JSON size of a value, walked without recursion (a value nested thousands of
 * levels deep must not overflow the stack) and given up on as soon as either limit is passed.
 */
function measure(value: unknown, maxDepth: number, maxBytes: number): { depth: number; bytes: number; within: boolean } {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  let depth = 0;
  let bytes = 0;
  while (stack.length > 0) {
    const next = stack.pop() as { value: unknown; depth: number };
    depth = Math.max(depth, next.depth);
    const current = next.value;
    if (depth > maxDepth) return { depth, bytes, within: false };
    if (typeof current === 'string') bytes += current.length + 2;
    else if (typeof current !== 'object' || current === null) bytes += 8;
    else if (Array.isArray(current)) {
      bytes += 2 + current.length;
      if (bytes > maxBytes) return { depth, bytes, within: false };
      for (const item of current as unknown[]) stack.push({ value: item, depth: next.depth + 1 });
    } else {
      bytes += 2;
      for (const [key, item] of Object.entries(current)) {
        bytes += key.length + 4;
        stack.push({ value: item, depth: next.depth + 1 });
      }
    }
    if (bytes > maxBytes) return { depth, bytes, within: false };
  }
  return { depth, bytes, within: true };
}

/** `pushed` over `previous`: a `null` keeps the previous value; the previous key order is kept. */
function mergeOver(previous: Record<string, unknown> | undefined, pushed: Record<string, unknown>): Record<string, unknown> {
  if (previous === undefined) return pushed;
  const merged: Record<string, unknown> = { ...previous };
  for (const [key, value] of Object.entries(pushed)) {
    if (value === null && key in previous) continue;
    merged[key] = value;
  }
  return merged;
}

function garbage(reason: string): DecodedFrame {
  return { outcome: 'garbage', snapshots: [], objects: 0, duplicates: 0, rejected: [], warnings: [], garbage: reason };
}

/**
 * Turns push frames into snapshots. Remembers, per match, what the parser reads of its last object
 * (unknown fields are dropped on arrival), so a `null` field keeps its previous value, and the last
 * snapshot, so an object that changes nothing is recognised as a duplicate. Each object is parsed
 * on its own: one bad object does not drop the others. What is remembered is bounded in count,
 * depth and bytes; nothing pushed is ever serialised whole.
 */
export class PushFrameDecoder implements PushDecoder {
  private readonly last = new Map<string, { readonly raw: Record<string, unknown>; readonly text: string; readonly bytes: number }>();
  private trackedBytes = 0;

  /** Forgets a match (it ended and left the feed): its next object starts afresh. */
  forget(matchId: string): void {
    this.untrack(matchId);
  }

  private untrack(matchId: string): void {
    const entry = this.last.get(matchId);
    if (entry === undefined) return;
    this.trackedBytes -= entry.bytes;
    this.last.delete(matchId);
  }

  decode(text: string): DecodedFrame {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return garbage(`not JSON (${text.length} bytes): ${redactApiKey(reason.slice(0, 240)).slice(0, 120)}`);
    }
    let items: unknown[];
    if (Array.isArray(body)) items = body;
    else if (isRecord(body) && Array.isArray(body['result'])) {
      if (body['success'] !== undefined && body['success'] !== 1) {
        return garbage(`provider error envelope (success is ${preview(body['success'])})`);
      }
      items = body['result'];
    } else if (isRecord(body) && 'event_key' in body) items = [body];
    else return garbage(`expected an array of match objects, a match object or {"result":[…]}, got ${isRecord(body) ? 'an object without event_key' : body === null ? 'null' : typeof body}`);

    if (items.length === 0) return { outcome: 'empty', snapshots: [], objects: 0, duplicates: 0, rejected: [], warnings: [] };
    if (items.length > MAX_OBJECTS_PER_FRAME) return garbage(`${items.length} objects in one frame (at most ${MAX_OBJECTS_PER_FRAME})`);

    const rejected: RejectedObject[] = [];
    const warnings: string[] = [];
    // Several objects of one match in a frame: merged in order, the last one stands.
    const latest = new Map<string, { raw: Record<string, unknown>; bytes: number; snapshot: MatchSnapshot; warnings: string[] }>();
    items.forEach((item, index) => {
      const path = `frame[${index}]`;
      if (!isRecord(item)) {
        rejected.push({ reason: 'invalid', message: `${path}: expected a match object, got ${item === null ? 'null' : Array.isArray(item) ? 'array' : typeof item}` });
        return;
      }
      const matchId = eventKeyOf(item);
      if (matchId === undefined) {
        rejected.push({ reason: 'invalid', message: `${path}.event_key: expected a match id, got ${preview(item['event_key'] ?? null)}` });
        return;
      }
      const previous = latest.get(matchId)?.raw ?? this.last.get(matchId)?.raw;
      if (previous === undefined) {
        const missing = FIELDS_THAT_NEED_A_VALUE.filter((field) => item[field] === null);
        if (missing.length > 0) {
          rejected.push({ reason: 'incomplete', message: `${path}: ${missing.join(', ')} null and no earlier object of match ${matchId} to take it from` });
          return;
        }
      }
      const raw = mergeOver(previous, projectMatch(item));
      const size = measure(raw, MAX_OBJECT_DEPTH, MAX_OBJECT_BYTES);
      if (!size.within) {
        rejected.push({
          reason: 'oversized',
          message: `${path}: match ${matchId} nested deeper than ${MAX_OBJECT_DEPTH} levels or larger than ${MAX_OBJECT_BYTES} bytes in the fields read`,
        });
        return;
      }
      const parsed = parseMatch(raw, path);
      if (!parsed.ok) {
        rejected.push({ reason: 'invalid', message: parsed.error.message });
        return;
      }
      latest.set(matchId, { raw, bytes: size.bytes, snapshot: parsed.value.snapshot, warnings: parsed.value.warnings });
    });

    const snapshots: MatchSnapshot[] = [];
    let duplicates = 0;
    for (const [matchId, entry] of latest) {
      // The snapshot, not the raw object: it is what the ingestor would see, and it is ours (bounded).
      const text = JSON.stringify(entry.snapshot);
      if (this.last.get(matchId)?.text === text) {
        duplicates += 1;
        continue;
      }
      // Untrack first: re-inserting moves the match to the young end of the eviction order.
      this.untrack(matchId);
      const bytes = entry.bytes + text.length;
      this.last.set(matchId, { raw: entry.raw, text, bytes });
      this.trackedBytes += bytes;
      snapshots.push(entry.snapshot);
      for (const warning of entry.warnings) warnings.push(warning);
    }
    while (this.last.size > MAX_TRACKED_MATCHES || this.trackedBytes > MAX_TRACKED_BYTES) {
      const oldest = this.last.keys().next().value;
      if (oldest === undefined) break;
      this.untrack(oldest);
    }
    const outcome: DecodedFrame['outcome'] = snapshots.length > 0 ? 'ok' : duplicates > 0 ? 'duplicate' : 'garbage';
    return {
      outcome,
      snapshots,
      objects: items.length,
      duplicates,
      rejected,
      warnings,
      ...(outcome === 'garbage' ? { garbage: 'no usable match object' } : {}),
    };
  }
}

/** AllSportsAPI's push capability: the URL to connect to and a decoder per connection life. */
export const allSportsApiPush: PushCapability = {
  url: (base, apiKey, timezone) => pushFeedUrl(base, apiKey, timezone),
  createDecoder: () => new PushFrameDecoder(),
};
