/**
 * `/client.js`: the SDK's browser bundle (minified, built into the workspace package), served
 * compressed when the browser accepts it (brotli, else gzip), under three URLs:
 * - `/client.js?v=<version>` and `/client-<version>.js`: this version's bytes for ever, cached for a
 *   year (`immutable`); a version this service does not have is 404 (`/client-<v>.js`) or served
 *   uncached (`?v=` of another version), never cached under the wrong name;
 * - `/client.js`: always the current one, revalidated on every use (`no-cache` + `ETag`).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const PACKAGE_URL = new URL('../../packages/client/package.json', import.meta.url);
const BUNDLE_URL = new URL('../../packages/client/dist/client.min.js', import.meta.url);
const MAP_URL = new URL('../../packages/client/dist/client.min.js.map', import.meta.url);
// Off the event loop (the thread pool): brotli at its best quality takes a while, once.
const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);
const A_YEAR = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

interface Bundle {
  readonly version: string;
  readonly etag: string;
  readonly identity: Buffer;
  readonly gzip: Buffer;
  readonly br: Buffer;
  readonly map: Buffer;
}

type Coding = 'br' | 'gzip' | 'identity';

/**
 * The coding to send for an `Accept-Encoding` header: the first of brotli, gzip, identity that the
 * header does not refuse (`q=0`), preferring the smaller. Written here because the three codings
 * are fixed and precompressed; a content-negotiation library would add a dependency for ten lines.
 */
export function chooseCoding(header: string | undefined): Coding {
  const accepted = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    if (name === '') continue;
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const allows = (coding: string) => (accepted.get(coding) ?? accepted.get('*') ?? 0) > 0;
  if (allows('br')) return 'br';
  if (allows('gzip')) return 'gzip';
  return 'identity';
}

async function loadBundle(): Promise<Bundle> {
  let identity: Buffer;
  let map: Buffer;
  try {
    [identity, map] = await Promise.all([readFile(BUNDLE_URL), readFile(MAP_URL)]);
  } catch (error) {
    throw new Error('the client SDK bundle is missing: run "npm run build"', { cause: error });
  }
  const { version } = JSON.parse(await readFile(PACKAGE_URL, 'utf8')) as { version: string };
  const [gzipped, br] = await Promise.all([gzipAsync(identity, { level: 9 }), brotliAsync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })]);
  return { version, etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`, identity, gzip: gzipped, br, map };
}

/** Registers `/client.js`, `/client-<version>.js` and the source map; returns the bundle's version (for links). */
export function registerClientBundle(app: FastifyInstance): { version: () => Promise<string> } {
  let loading: Promise<Bundle> | undefined;
  const bundle = async (): Promise<Bundle> => {
    loading ??= loadBundle();
    try {
      return await loading;
    } catch (error) {
      // A build made after start-up is picked up by the next request.
      loading = undefined;
      throw error;
    }
  };

  const send = async (request: FastifyRequest, reply: FastifyReply, cacheControl: string) => {
    const b = await bundle();
    reply.type('text/javascript; charset=utf-8').header('Cache-Control', cacheControl).header('ETag', b.etag).header('Vary', 'Accept-Encoding');
    if (request.headers['if-none-match'] === b.etag) return reply.code(304).send();
    const coding = chooseCoding(request.headers['accept-encoding']);
    if (coding !== 'identity') reply.header('Content-Encoding', coding);
    return reply.send(coding === 'br' ? b.br : coding === 'gzip' ? b.gzip : b.identity);
  };

  app.get<{ Querystring: { v?: string } }>('/client.js', { schema: { hide: true } }, async (request, reply) => {
    const { v } = request.query;
    const b = await bundle();
    return send(request, reply, v !== undefined && v === b.version ? A_YEAR : REVALIDATE);
  });
  app.get<{ Params: { version: string } }>('/client-:version.js', { schema: { hide: true } }, async (request, reply) => {
    const b = await bundle();
    if (request.params.version !== b.version) {
      return reply.code(404).type('application/json; charset=utf-8').send({ error: 'NOT_FOUND', message: `this service serves the client SDK ${b.version} (/client-${b.version}.js)` });
    }
    return send(request, reply, A_YEAR);
  });
  app.get('/client.min.js.map', { schema: { hide: true } }, async (_request, reply) => {
    const b = await bundle();
    return reply.type('application/json; charset=utf-8').header('Cache-Control', REVALIDATE).send(b.map);
  });
  return { version: async () => (await bundle()).version };
}
