/**
 * Checks a parsed server frame against the protocol's JSON Schemas (`schema.ts`) before the SDK
 * acts on it: a frame with a missing or mistyped field is reported, never folded.
 *
 * A small interpreter of the keywords those schemas use, not a general JSON Schema validator: the
 * SDK has no run-time dependency, ships to browsers whose Content-Security-Policy forbids the code
 * generation that compiling validators (ajv) relies on, and must accept what a newer server adds.
 * So it is tolerant where the schemas are strict about additions: unknown fields
 * (`additionalProperties: false`) and unknown frame types are let through for the caller to ignore.
 */
import { controlSchemas, eventSchemas } from './schema.js';
import type { ServerFrame } from './wire.js';

export interface Schema {
  readonly type?: string | readonly string[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly items?: Schema;
  readonly anyOf?: readonly Schema[];
  readonly minimum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
}

const patterns = new Map<string, RegExp>();
const patternOf = (source: string): RegExp => {
  let re = patterns.get(source);
  if (re === undefined) {
    re = new RegExp(source, 'u');
    patterns.set(source, re);
  }
  return re;
};

const FRAME_SCHEMAS: Readonly<Record<string, Schema>> = { ...eventSchemas, ...controlSchemas };

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)?.slice(0, 40) ?? ''}`.trim();
}

function hasType(type: string, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return false;
  }
}

/** The first way `value` breaks `schema`, as "path: what was expected", or `undefined`. */
export function checkSchema(schema: Schema, value: unknown, path: string): string | undefined {
  if (schema.anyOf !== undefined) {
    const failures = schema.anyOf.map((option) => checkSchema(option, value, path));
    if (failures.every((failure) => failure !== undefined)) return failures[failures.length - 1];
  }
  if (schema.type !== undefined) {
    const types: readonly string[] = typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (!types.some((type) => hasType(type, value))) return `${path}: expected ${types.join(' or ')}, got ${describe(value)}`;
  }
  if (schema.const !== undefined && value !== schema.const) return `${path}: expected ${JSON.stringify(schema.const)}`;
  if (schema.enum !== undefined && !schema.enum.includes(value)) return `${path}: expected one of ${schema.enum.join(', ')}, got ${describe(value)}`;
  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) return `${path}: below ${schema.minimum}`;
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) return `${path}: shorter than ${schema.minLength}`;
    if (schema.maxLength !== undefined && value.length > schema.maxLength) return `${path}: longer than ${schema.maxLength}`;
    if (schema.pattern !== undefined && !patternOf(schema.pattern).test(value)) return `${path}: expected to match ${schema.pattern}, got ${describe(value)}`;
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) return `${path}: fewer than ${schema.minItems} items`;
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return `${path}: more than ${schema.maxItems} items`;
    if (schema.items !== undefined) {
      for (let index = 0; index < value.length; index += 1) {
        const failure = checkSchema(schema.items, value[index], `${path}[${index}]`);
        if (failure !== undefined) return failure;
      }
    }
  }
  if (hasType('object', value)) {
    const record = value as Readonly<Record<string, unknown>>;
    for (const name of schema.required ?? []) {
      if (!Object.prototype.hasOwnProperty.call(record, name)) return `${path}.${name}: missing`;
    }
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      if (!Object.prototype.hasOwnProperty.call(record, name)) continue;
      const failure = checkSchema(property, record[name], `${path}.${name}`);
      if (failure !== undefined) return failure;
    }
  }
  return undefined;
}

/** What a server frame turned out to be. */
export type FrameCheck =
  | { readonly ok: true; readonly frame: ServerFrame }
  /** A frame of a type this SDK does not know (a newer server's): to be ignored. */
  | { readonly ok: false; readonly unknownType: string }
  /** Not a frame of the protocol: `error` says where it breaks the schema. */
  | { readonly ok: false; readonly error: string };

/** Checks one parsed server frame against its schema, picked by `type`. Never throws. */
export function validateServerFrame(value: unknown): FrameCheck {
  if (!hasType('object', value)) return { ok: false, error: `frame: expected an object, got ${describe(value)}` };
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') return { ok: false, error: `frame.type: expected a string, got ${describe(type)}` };
  const schema = Object.prototype.hasOwnProperty.call(FRAME_SCHEMAS, type) ? FRAME_SCHEMAS[type] : undefined;
  if (schema === undefined) return { ok: false, unknownType: type.slice(0, 64) };
  const failure = checkSchema(schema, value, type);
  return failure === undefined ? { ok: true, frame: value as ServerFrame } : { ok: false, error: failure };
}
