/**
 * The API descriptions: `docs/asyncapi.yaml` is what `src/server/asyncapi.ts` generates (so it is
 * up to date with the wire schemas) and a valid AsyncAPI 3.0 document for `@asyncapi/parser`; the
 * service serves it at /asyncapi.yaml, an OpenAPI 3.1 document generated from the route schemas at
 * /openapi.json, and the interactive page at /docs with every asset from the service itself.
 */
import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { EVENT_TYPES } from '../../src/domain/events.js';
import { CloseCode } from '../../src/domain/protocol.js';
import { asyncApiDocument, asyncApiYaml } from '../../src/server/asyncapi.js';
import { startService, type TestService } from '../helpers/service.js';

const FILE = new URL('../../docs/asyncapi.yaml', import.meta.url);

describe('docs/asyncapi.yaml', () => {
  it('is exactly what the wire schemas generate (run `npm run docs:asyncapi` after changing them)', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(asyncApiYaml());
  });

  it('is a valid AsyncAPI 3.0 document with every message and the close codes', async () => {
    const { document, diagnostics } = await new Parser().parse(readFileSync(FILE, 'utf8'));
    const problems = diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`);
    expect(problems).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    const channels = document?.channels().all().map((c) => c.address());
    expect(channels).toEqual(['/ws', '/events/stream']);
    const ws = document?.channels().get('ws');
    const names = ws?.messages().all().map((m) => m.name());
    for (const type of [...EVENT_TYPES, 'SUBSCRIBED', 'SNAPSHOT', 'UNSUBSCRIBED', 'PONG', 'ERROR', 'UPSTREAM_STATUS']) expect(names).toContain(type);
    const sse = document?.channels().get('eventStream');
    expect(sse?.messages().all().map((m) => m.name())).toContain('UPSTREAM_STATUS');
    for (const action of ['subscribe_all', 'subscribe', 'unsubscribe', 'snapshot', 'ping']) expect(names).toContain(action);
    for (const code of Object.values(CloseCode)) expect(ws?.description()).toContain(`\`${code}\``);
    const doc = asyncApiDocument() as { components: { schemas: Record<string, { required?: string[]; additionalProperties?: boolean }> } };
    expect(doc.components.schemas['GoalScored']?.required).toContain('seq');
    expect(doc.components.schemas['GoalScored']?.additionalProperties).toBe(false);
  });
});

interface OpenApi {
  openapi: string;
  security?: unknown[];
  tags?: Array<{ name: string }>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, { type?: string; scheme?: string; description?: string }> };
  paths: Record<string, Record<string, { operationId?: string; summary?: string; tags?: string[]; security?: unknown[]; parameters?: Array<{ name: string; schema?: unknown }>; responses: Record<string, unknown> }>>;
}

describe('served API descriptions', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startService({ ALLSPORTS_BASE_URL: 'http://127.0.0.1:9/football/', AUTH_TOKENS: 'docs-token' });
  });
  afterAll(() => service.stop());

  it('serves /asyncapi.yaml as the file holds it (no token needed)', async () => {
    const response = await fetch(`${service.url}/asyncapi.yaml`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/yaml/);
    const text = await response.text();
    expect(text).toBe(readFileSync(FILE, 'utf8'));
    expect(parseYaml(text)).toMatchObject({ asyncapi: '3.0.0' });
  });

  it('serves an OpenAPI 3.1 document generated from the route schemas of every REST route', async () => {
    const response = await fetch(`${service.url}/openapi.json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, Record<string, { parameters?: Array<{ name: string }>; responses: Record<string, unknown> }>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/events', '/events/stream', '/health', '/livez', '/matches', '/matches/{id}', '/metrics', '/readyz']);
    const params = (path: string) => (doc.paths[path]?.['get']?.parameters ?? []).map((p) => p.name).sort();
    expect(params('/events')).toEqual(['league_id', 'limit', 'match_id', 'since', 'team_id', 'token']);
    expect(params('/matches')).toEqual(['league_id', 'match_id', 'team_id', 'token']);
    expect(params('/events/stream')).toEqual(['epoch', 'last-event-id', 'league_id', 'match_id', 'since', 'snapshot', 'team_id', 'token']);
    expect(Object.keys(doc.paths['/events']?.['get']?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401']));
    expect(Object.keys(doc.paths['/events/stream']?.['get']?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401', '403', '429', '503']));
  });

  it('types integers as integers, names every operation and tags it (18 §5)', async () => {
    const doc = (await (await fetch(`${service.url}/openapi.json`)).json()) as OpenApi;
    const param = (path: string, name: string) => doc.paths[path]?.['get']?.parameters?.find((p) => p.name === name)?.schema;
    expect(param('/events', 'since')).toMatchObject({ type: 'integer', minimum: 0 });
    expect(param('/events', 'limit')).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
    expect(param('/events/stream', 'since')).toMatchObject({ type: 'integer', minimum: 0 });
    const operations = Object.values(doc.paths).flatMap((item) => Object.values(item));
    expect(operations.length).toBe(8);
    const ids = operations.map((op) => op.operationId);
    for (const op of operations) {
      expect(op.operationId, JSON.stringify(op.summary)).toMatch(/^[a-z][A-Za-z]+$/);
      expect(op.tags?.length, op.operationId).toBeGreaterThan(0);
      for (const tag of op.tags ?? []) expect(doc.tags?.map((t) => t.name)).toContain(tag);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('names the response and event shapes in components.schemas, the same as the AsyncAPI document (18 §5)', async () => {
    const doc = (await (await fetch(`${service.url}/openapi.json`)).json()) as OpenApi;
    const schemas = doc.components?.schemas ?? {};
    for (const name of ['Match', 'GoalView', 'CardView', 'SubstitutionView', 'Clock', 'Substitution', 'GoalScored', 'MatchStarted', 'MatchEnded', 'Subscribed', 'Snapshot', 'HttpError', 'EventsPage', 'Matches', 'MatchWithEvents', 'Health']) {
      expect(Object.keys(schemas), name).toContain(name);
    }
    const body = (path: string, status: string) => JSON.stringify(doc.paths[path]?.['get']?.responses[status]);
    expect(body('/matches', '200')).toContain('"#/components/schemas/Matches"');
    expect(body('/events', '200')).toContain('"#/components/schemas/EventsPage"');
    expect(body('/events', '400')).toContain('"#/components/schemas/HttpError"');
    expect(JSON.stringify(schemas['Matches'])).toContain('"#/components/schemas/Match"');
    expect(JSON.stringify(schemas['EventsPage'])).toContain('"#/components/schemas/GoalScored"');
    // One source: every shape AsyncAPI names is in OpenAPI under the same name, with the same content.
    const asyncSchemas = (asyncApiDocument() as { components: { schemas: Record<string, unknown> } }).components.schemas;
    expect(Object.keys(asyncSchemas)).toEqual(expect.arrayContaining(['Match', 'GoalScored', 'Subscribed', 'ClientSubscribe']));
    // (@fastify/swagger writes `const: X` as `enum: [X]`, which means the same.)
    const constAsEnum = (value: unknown): unknown =>
      JSON.parse(JSON.stringify(value), (_key, v: unknown) => {
        if (typeof v !== 'object' || v === null || !('const' in v)) return v;
        const { const: only, ...rest } = v as Record<string, unknown>;
        return { ...rest, enum: [only] };
      });
    for (const [name, schema] of Object.entries(asyncSchemas)) expect(constAsEnum(schemas[name]), name).toEqual(constAsEnum(schema));
  });

  it('requires the bearer scheme everywhere the server requires a token, and nowhere else (18 §5)', async () => {
    const doc = (await (await fetch(`${service.url}/openapi.json`)).json()) as OpenApi;
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.components?.securitySchemes?.['bearer']).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const path of ['/health', '/livez', '/readyz', '/metrics']) expect(doc.paths[path]?.['get']?.security, path).toEqual([]);
    for (const path of ['/matches', '/matches/{id}', '/events', '/events/stream']) expect(doc.paths[path]?.['get']?.security, path).toBeUndefined();
    // What the document says is what the server does.
    expect((await fetch(`${service.url}/events`)).status).toBe(401);
    expect((await fetch(`${service.url}/events`, { headers: { Authorization: 'Bearer docs-token' } })).status).toBe(200);

    const open = await startService({ ALLSPORTS_BASE_URL: 'http://127.0.0.1:9/football/', METRICS_TOKEN: 'metrics-token' });
    try {
      const openDoc = (await (await fetch(`${open.url}/openapi.json`)).json()) as OpenApi;
      expect(openDoc.security).toBeUndefined();
      expect(openDoc.components?.securitySchemes?.['bearer']?.description).toMatch(/AUTH_TOKENS or AUTH_JWT_SECRET/);
      expect(openDoc.paths['/metrics']?.['get']?.security).toEqual([{ metricsToken: [] }]);
      expect((await fetch(`${open.url}/events`)).status).toBe(200);
    } finally {
      await open.stop();
    }
  });

  it('serves the interactive page at /docs with its scripts and styles from the service itself (no CDN)', async () => {
    const page = await fetch(`${service.url}/docs/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      expect(asset, asset).not.toMatch(/^(https?:)?\/\//);
      const response = await fetch(new URL(asset, `${service.url}/docs/`));
      expect(response.status, asset).toBe(200);
      // Read every body: an unread one keeps its connection busy, and the service's close waits for it.
      expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
    }
    const init = await fetch(`${service.url}/docs/static/swagger-initializer.js`);
    expect(await init.text()).toContain('/openapi.json');
  });
});
