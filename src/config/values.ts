/**
 * Checks of one raw value each, for config.ts (the only reader of the environment: nothing here
 * reads it). Each takes the variable's name and its trimmed text and returns the value, or throws a
 * `ConfigError` whose message is one line naming the variable and what it accepts.
 */
import { ConfigError } from '../errors.js';
import { redactApiKey } from '../redact.js';
import type { ProviderName } from './types.js';

/**
 * A value as an error message shows it: redacted (before it is cut, which could split a secret
 * from what marks it as one), quoted and escaped (so the message stays one line) and bounded (so a
 * pasted blob does not flood the terminal).
 */
export function shown(raw: string): string {
  const MAX_SHOWN = 80;
  const safe = redactApiKey(raw);
  return JSON.stringify(safe.length > MAX_SHOWN ? `${safe.slice(0, MAX_SHOWN)}…` : safe);
}

/** Parses `host:port`, `[v6]:port` or `:port`; port 0 asks the OS for a free one. */
export function parseBindAddress(raw: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(raw);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  const host = match[1] ?? (match[2] === '' || match[2] === undefined ? '0.0.0.0' : match[2]);
  return { host, port };
}

/**
 * A provider's REST base URL, always ending in `/`. `keyVariable` set: credentials in the URL are
 * refused (the key is sent from that variable); unset, they are allowed (a proxy may need them).
 */
export function httpBaseUrl(name: string, raw: string, example: string, keyVariable?: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `expected an http(s) URL such as ${example}, got ${shown(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `expected an http(s) URL, got protocol ${shown(url.protocol)}`);
  }
  if (keyVariable !== undefined && (url.username !== '' || url.password !== '')) {
    throw new ConfigError(name, `expected a URL without credentials (the key is sent from ${keyVariable})`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.toString();
}

/** A push feed's ws(s) URL, without credentials or an `APIkey=` (the key is added from `keyVariable`). */
export function pushFeedUrl(name: string, raw: string, example: string, keyVariable: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `expected a ws(s) URL such as ${example}, got ${shown(raw)}`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new ConfigError(name, `expected a ws(s) URL such as ${example}, got protocol ${shown(url.protocol)}`);
  }
  // The key belongs in its own variable: a URL that carries one would put it where it is not redacted.
  if ([...url.searchParams.keys()].some((key) => /^apikey$/i.test(key)) || url.username !== '' || url.password !== '') {
    throw new ConfigError(name, `expected a URL without credentials (the key is added from ${keyVariable})`);
  }
  return url.toString();
}

/** An offset (`+02:00`, as the push feed's clients send) or an IANA zone (`Europe/Berlin`, as REST clients send). */
const OFFSET_TIMEZONE = /^[+-](?:0\d|1[0-4]):[0-5]\d$/;

function isKnownTimezone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}

/** The `timezone=` sent to `provider`: an IANA zone, or for AllSportsAPI also an offset. */
export function timezoneValue(name: string, raw: string, provider: ProviderName): string {
  const isZone = /^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(raw) && isKnownTimezone(raw);
  // API-Football takes zone names only (its `GET /timezone` list), not offsets.
  if (provider === 'api-football') {
    if (isZone) return raw;
    throw new ConfigError(name, `expected a time zone such as "Europe/London" (API-Football takes names, not offsets), got ${shown(raw)}`);
  }
  if (OFFSET_TIMEZONE.test(raw) || isZone) return raw;
  throw new ConfigError(name, `expected an offset such as "+02:00" or a time zone such as "Europe/Berlin", got ${shown(raw)}`);
}

/** One of `allowed` (any case), or `fallback` when unset. */
export function choice<T extends string>(name: string, raw: string | undefined, allowed: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  const value = raw.toLowerCase() as T;
  if (!allowed.includes(value)) throw new ConfigError(name, `expected ${allowed.map((a) => `"${a}"`).join(' or ')}, got ${shown(raw)}`);
  return value;
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
