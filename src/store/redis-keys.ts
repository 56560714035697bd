/**
 * The Redis schema of one deployment's history, in one place: the key names, what a stream entry
 * holds (and the check of one read back), and the Lua scripts the store, the bus and the leader
 * lease run against them.
 *
 * Keys, all under `prefix` (`fsc:` by default in the app; on Redis Cluster use a hash tag such as
 * `{fsc}:` so the commit script's keys share one slot):
 * - `epoch`   the history's identity; created (SET NX) by whichever operation first finds it missing,
 *             so a Redis that comes back empty is a new epoch. That is the only write a read may
 *             make, once per history: reads only read (Redis at `maxmemory` refuses every write).
 * - `head`    hash: `seq` (newest seq ever assigned, never reused), `pruned` (prunedThrough), and the
 *             last commit's id and first seq (to make a resent commit idempotent).
 * - `events`  stream: one entry per event with id `<seq>-0` (so XRANGE/XREAD by seq is direct), and
 *             fields e(vent_id) y(type) m(atch) l(eague) h(ome key) a(way key) t(imestamp) j(son);
 *             a commit that saved or forgot match states adds a marker entry `<seq>-<n>` (n ≥ 1,
 *             field `s`) after its events, which the Redis bus turns into `statesChanged`.
 * - `states`  hash matchId → state JSON; `ended` sorted set matchId → when it was first saved ended (ms).
 * - `meta`    hash of application values (apart from the store's own keys, so they cannot clash).
 * - `leader`  the current writer (fencing) token; the leader lease uses the same key.
 *
 * Redis must not evict these keys (`maxmemory-policy noeviction`), and a Redis restarted from an old
 * snapshot can hand out a seq twice under the same epoch: run it with AOF (`appendfsync always` for
 * the strict guarantee) or without persistence (then a restart is a new epoch, which clients handle).
 */
import type { Redis } from 'ioredis';
import { EVENT_TYPES, type EventType, type StoredEvent } from '../domain/events.js';
import { parseCounter, parseEpoch, quote } from './validate.js';

/** The key names of one deployment's data. */
export interface RedisKeys {
  readonly epoch: string;
  readonly head: string;
  readonly events: string;
  readonly states: string;
  readonly ended: string;
  readonly meta: string;
  readonly leader: string;
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    epoch: `${prefix}epoch`,
    head: `${prefix}head`,
    events: `${prefix}events`,
    states: `${prefix}states`,
    ended: `${prefix}ended`,
    meta: `${prefix}meta`,
    leader: `${prefix}leader`,
  };
}

/** A Lua script registered on a client with ioredis `defineCommand` (EVALSHA, with EVAL on NOSCRIPT). */
export type RedisScript = (keys: readonly string[], args: ReadonlyArray<string | number>) => Promise<unknown>;

/**
 * Registers `lua` on `redis` under `name` (idempotent: the same name and source may be defined by
 * several users of one client) and returns a typed caller.
 */
export function defineScript(redis: Redis, name: string, lua: string): RedisScript {
  const commands = redis as unknown as Record<string, ((...args: Array<string | number>) => Promise<unknown>) | undefined>;
  if (commands[name] === undefined) redis.defineCommand(name, { lua });
  return (keys, args) => {
    const call = commands[name];
    if (call === undefined) return Promise.reject(new Error(`redis script ${name} is not defined on this client`));
    return call.call(redis, keys.length, ...keys, ...args);
  };
}

export const FENCED_REPLY = 'FENCED';

// KEYS: epoch head events states ended leader
// ARGV: hasFence fence epochCandidate commitId nowMs nEvents nStates nForget,
//       then per event: event_id type match league home away timestamp jsonWithoutSeq,
//       then per state: matchId json ended(1|0), then the ids to forget.
// Checks come before the first write: a Lua script is isolated but not rolled back on error.
export const COMMIT_LUA = `
if redis.call('HGET', KEYS[2], 'cid') == ARGV[4] then
  return {tonumber(redis.call('HGET', KEYS[2], 'cfirst')), 1}
end
if ARGV[1] == '1' and redis.call('GET', KEYS[6]) ~= ARGV[2] then
  return redis.error_reply('${FENCED_REPLY} commit refused: the fencing token is not the current writer token')
end
local nEvents, nStates, nForget = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local rawSeq = redis.call('HGET', KEYS[2], 'seq') or '0'
if not string.match(rawSeq, '^%d+$') then
  return redis.error_reply('CORRUPT the sequence counter (head seq) is not a number: the stored history needs repair')
end
local seq = tonumber(rawSeq)
local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)[1]
if last and tonumber(string.match(last[1], '^(%d+)-')) > seq then
  return redis.error_reply('CORRUPT the event stream is ahead of the sequence counter: the stored history needs repair')
end
redis.call('SET', KEYS[1], ARGV[3], 'NX')
local first = seq + 1
local i = 9
for _ = 1, nEvents do
  seq = seq + 1
  redis.call('XADD', KEYS[3], seq .. '-0', 'e', ARGV[i], 'y', ARGV[i + 1], 'm', ARGV[i + 2], 'l', ARGV[i + 3],
    'h', ARGV[i + 4], 'a', ARGV[i + 5], 't', ARGV[i + 6], 'j', ARGV[i + 7] .. ',"seq":' .. seq .. '}')
  i = i + 8
end
for _ = 1, nStates do
  redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
  if ARGV[i + 2] == '1' then redis.call('ZADD', KEYS[5], 'NX', ARGV[5], ARGV[i]) end
  i = i + 3
end
for _ = 1, nForget do
  redis.call('HDEL', KEYS[4], ARGV[i])
  redis.call('ZREM', KEYS[5], ARGV[i])
  i = i + 1
end
if nStates + nForget > 0 then
  redis.call('XADD', KEYS[3], seq .. '-*', 's', '1')
end
redis.call('HSET', KEYS[2], 'seq', seq, 'cid', ARGV[4], 'cfirst', first)
return {first, 0}
`;

// KEYS: head events. ARGV: cutoff (ISO 8601, compared byte-wise as SQLite's BINARY collation does), chunk.
// Removes the oldest entries up to the first event at or after the cutoff (at most `chunk` entries).
// Returns {events deleted, 1 when there may be more to prune}.
export const PRUNE_LUA = `
local function before(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local chunk = tonumber(ARGV[2])
local entries = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', chunk)
local deleted, highest, threshold, stopped = 0, 0, nil, false
for _, entry in ipairs(entries) do
  local s, sub = string.match(entry[1], '^(%d+)-(%d+)$')
  if sub == '0' then
    local fields, t = entry[2], nil
    for f = 1, #fields, 2 do
      if fields[f] == 't' then t = fields[f + 1] break end
    end
    if not before(t, ARGV[1]) then
      threshold = entry[1]
      stopped = true
      break
    end
    deleted = deleted + 1
    highest = tonumber(s)
  end
  threshold = s .. '-' .. (tonumber(sub) + 1)
end
if threshold then redis.call('XTRIM', KEYS[2], 'MINID', '=', threshold) end
if highest > tonumber(redis.call('HGET', KEYS[1], 'pruned') or '0') then
  redis.call('HSET', KEYS[1], 'pruned', highest)
end
local more = 0
if #entries == chunk and not stopped then more = 1 end
return {deleted, more}
`;

// The reads below are scripts rather than MULTI: Redis at maxmemory refuses every command queued in
// a MULTI (reads too), while a script that only reads runs there. Atomic all the same. No shebang
// flags, so that Redis 6 runs them too.

// KEYS: epoch head. Returns {epoch or nil, seq or nil, pruned or nil}.
export const HEAD_LUA = `
return {redis.call('GET', KEYS[1]), redis.call('HGET', KEYS[2], 'seq'), redis.call('HGET', KEYS[2], 'pruned')}
`;

// KEYS: epoch events head. ARGV: start, count. Returns {epoch, entries, seq, pruned}; the counter is
// read after the range, so every entry the commit script wrote is within it.
export const READ_PAGE_LUA = `
local entries = redis.call('XRANGE', KEYS[2], ARGV[1], '+', 'COUNT', ARGV[2])
return {redis.call('GET', KEYS[1]), entries, redis.call('HGET', KEYS[3], 'seq'), redis.call('HGET', KEYS[3], 'pruned')}
`;

// KEYS: states head epoch. Returns {flat field/value list of the states, seq, epoch}: one history's.
export const LOAD_BOOK_LUA = `
return {redis.call('HGETALL', KEYS[1]), redis.call('HGET', KEYS[2], 'seq'), redis.call('GET', KEYS[3])}
`;

/** The epoch (null while none exists), newest seq and prunedThrough, checked, from a `HEAD_LUA` reply. */
export function headFromReply(reply: unknown, keys: RedisKeys): { epoch: string | null; seq: number; pruned: number } {
  const [epoch, seq, pruned] = reply as [string | null, string | null, string | null];
  return {
    epoch: epoch === null ? null : parseEpoch(String(epoch), keys.epoch),
    seq: parseCounter(seq, `${keys.head} seq`),
    pruned: parseCounter(pruned, `${keys.head} pruned`),
  };
}

// KEYS: states ended. ARGV: cutoff ms. Forgets matches that ended before the cutoff.
export const PRUNE_STATES_LUA = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1])
for _, id in ipairs(ids) do
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return #ids
`;

/** A stream entry that is not one the commit script writes: left out of every read, and reported. */
export interface InvalidEntry {
  /** The entry's stream id. */
  readonly id: string;
  readonly reason: string;
}

/** What a stream entry is, checked: an event, a states marker (`<seq>-<n>`), or not ours. */
export type StreamEntry =
  | { readonly kind: 'event'; readonly seq: number; readonly event: StoredEvent }
  | { readonly kind: 'states'; readonly seq: number }
  | { readonly kind: 'invalid'; readonly seq: number; readonly reason: string };

const ENTRY_ID = /^(\d{1,16})-(\d{1,20})$/;
const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);

/**
 * Checks a stream entry against what the commit script writes: its seq no further than the
 * sequence counter `headSeq` (read after the entry, so every committed entry is within it), every
 * field present, and the event JSON a valid event whose own `seq`, `type`, `event_id` and
 * `match_id` agree with the entry. Anything else (an `XADD` by hand, a damaged entry) is `invalid`
 * and must not reach a client: its JSON would go out verbatim.
 */
export function parseStreamEntry(id: string, fields: readonly string[], headSeq: number): StreamEntry {
  const idMatch = ENTRY_ID.exec(id);
  const seq = idMatch ? Number(idMatch[1]) : Number.NaN;
  const invalid = (reason: string): StreamEntry => ({ kind: 'invalid', seq: Number.isSafeInteger(seq) ? seq : 0, reason });
  if (!idMatch || !Number.isSafeInteger(seq) || seq < 1) return invalid('not an entry id of the history');
  if (seq > headSeq) return invalid(`seq ${seq} is ahead of the sequence counter (${headSeq})`);
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) values.set(String(fields[i]), String(fields[i + 1]));
  if (idMatch[2] !== '0') return values.get('s') === '1' && values.size === 1 ? { kind: 'states', seq } : invalid('not a states marker');
  const field = (name: string): string => values.get(name) ?? '';
  for (const name of ['e', 'y', 'm', 'l', 'h', 'a', 't', 'j']) {
    if (!values.has(name)) return invalid(`field ${name} missing`);
  }
  const type = field('y');
  if (!KNOWN_TYPES.has(type)) return invalid(`unknown event type ${quote(type)}`);
  let wire: unknown;
  try {
    wire = JSON.parse(field('j'));
  } catch {
    return invalid('event JSON does not parse');
  }
  if (typeof wire !== 'object' || wire === null || Array.isArray(wire)) return invalid('event JSON is not an object');
  const frame = wire as Record<string, unknown>;
  if (frame['seq'] !== seq || frame['type'] !== type || frame['event_id'] !== field('e') || frame['match_id'] !== field('m') || frame['timestamp'] !== field('t')) {
    return invalid('event JSON disagrees with its entry (seq, type, event_id, match_id or timestamp)');
  }
  return {
    kind: 'event',
    seq,
    event: {
      seq,
      eventId: field('e'),
      type: type as EventType,
      matchId: field('m'),
      leagueId: field('l'),
      homeTeamKey: field('h'),
      awayTeamKey: field('a'),
      timestamp: field('t'),
      json: field('j'),
    },
  };
}

