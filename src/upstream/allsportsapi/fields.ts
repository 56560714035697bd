/**
 * Typed, bounded reading of AllSportsAPI objects: each read names the path of the offending field
 * on failure (`result[0].goalscorers[1].time: expected string, got object`), and nothing
 * provider-supplied is ever serialised whole.
 */
import { UpstreamFormatError as FormatError } from '../../errors.js';
import { MAX_LIST_ITEMS, MAX_TEXT_LENGTH, type Score } from '../provider.js';

/** Longest id accepted, in digits. */
const MAX_ID_LENGTH = 32;

/** A field that does not fit: the whole reply (or push object) is refused with this message (the catalogue's `UpstreamFormatError`). */
export { FormatError };

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * A value as an error message shows it: scalars as (short) JSON, anything else by its type only.
 * Never serialises a provider object (one nested thousands deep would overflow the stack).
 */
export function preview(value: unknown, max = 40): string {
  if (typeof value === 'string') return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return describe(value);
}

export function bounded(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads typed fields of one provider object, naming the path on failure. */
export class Fields {
  constructor(
    private readonly object: Record<string, unknown>,
    private readonly path: string,
  ) {}

  at(key: string): string {
    return `${this.path}.${key}`;
  }

  raw(key: string): unknown {
    return this.object[key];
  }

  /** Text field; numbers are taken as their decimal text, `null`/absent as `""`. */
  text(key: string, { required = false } = {}): string {
    const value = this.object[key];
    if (typeof value === 'string') {
      if (value.length > MAX_TEXT_LENGTH) throw new FormatError(`${this.at(key)}: text longer than ${MAX_TEXT_LENGTH} characters (${value.length})`);
      return value;
    }
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (value === null || value === undefined) {
      if (required) throw new FormatError(`${this.at(key)}: missing`);
      return '';
    }
    throw new FormatError(`${this.at(key)}: expected string, got ${describe(value)}`);
  }

  /** Id field: a non-negative integer or its decimal text; `""` when absent, empty or 0 (unknown). */
  id(key: string, { required = false } = {}): string {
    const value = this.object[key];
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
      if (value === 0 && !required) return '';
      return String(value);
    }
    if (typeof value === 'string' && /^\d+$/.test(value.trim())) {
      const id = value.trim();
      if (id.length > MAX_ID_LENGTH) throw new FormatError(`${this.at(key)}: id longer than ${MAX_ID_LENGTH} digits (${id.length})`);
      return id;
    }
    if ((value === undefined || value === null || value === '') && !required) return '';
    if (value === undefined || value === null) throw new FormatError(`${this.at(key)}: missing`);
    const shown = typeof value === 'object' ? '' : ` ${preview(value)}`;
    throw new FormatError(`${this.at(key)}: expected an integer id, got ${describe(value)}${shown}`);
  }

  /** Array field; `null`/absent as `[]`. */
  list(key: string): unknown[] {
    const value = this.object[key];
    if (Array.isArray(value)) {
      if (value.length > MAX_LIST_ITEMS) throw new FormatError(`${this.at(key)}: more than ${MAX_LIST_ITEMS} items (${value.length})`);
      return value;
    }
    if (value === null || value === undefined) return [];
    throw new FormatError(`${this.at(key)}: expected array, got ${describe(value)}`);
  }
}

const SCORE_PATTERN = /^\s*(\d+)\s*[-:]\s*(\d+)\s*$/;

/** `"2 - 1"`, `"2-1"`, `"2:1"` → a score; `"-"`, `""` and anything else → `null`. */
export function parseScore(text: string): Score | null {
  const match = SCORE_PATTERN.exec(text);
  if (!match) return null;
  return { home: Number(match[1]), away: Number(match[2]) };
}
