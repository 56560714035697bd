/**
 * `/client.js` as a browser gets it (issue 18 §1): the SDK's minified bundle, compressed when the
 * request accepts it, cached for a year under its versioned URLs and revalidated at the plain one.
 * Raw HTTP (node:http), so the bytes and headers are what went over the socket.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseCoding } from '../../src/server/client-bundle.js';
import { startService, type TestService } from '../helpers/service.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../packages/client/package.json', import.meta.url), 'utf8')) as { version: string }).version;
const READABLE = readFileSync(new URL('../../packages/client/dist/client.js', import.meta.url));

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

let service: TestService;
beforeAll(async () => {
  service = await startService();
});
afterAll(async () => {
  await service.stop();
});

describe('/client.js', () => {
  it('is the minified bundle, revalidated on every use at the unversioned URL', async () => {
    const plain = await get(service.app.port, '/client.js');
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toMatch(/^text\/javascript/);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['cache-control']).toBe('no-cache');
    expect(plain.headers['vary']).toBe('Accept-Encoding');
    expect(plain.body.length).toBeLessThan(READABLE.length * 0.75);
    expect(plain.body.toString()).toContain('FeedClient');
    expect(plain.body.toString().split('\n').length).toBeLessThan(5);
    const etag = String(plain.headers['etag']);
    expect(etag).toMatch(/^".+"$/);
    const again = await get(service.app.port, '/client.js', { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('is compressed when the request accepts it: brotli first, else gzip; q=0 refuses', async () => {
    const plain = (await get(service.app.port, '/client.js')).body;
    const br = await get(service.app.port, '/client.js', { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body)).toEqual(plain);
    expect(br.body.length).toBeLessThan(plain.length / 2);
    const gzip = await get(service.app.port, '/client.js', { 'Accept-Encoding': 'gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.body)).toEqual(plain);
    expect(chooseCoding('br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(chooseCoding('*;q=0')).toBe('identity');
    expect(chooseCoding('*')).toBe('br');
    expect(chooseCoding(undefined)).toBe('identity');
  });

  it(`is cached for a year under /client.js?v=${VERSION} and /client-${VERSION}.js; another version is not`, async () => {
    for (const path of [`/client.js?v=${VERSION}`, `/client-${VERSION}.js`]) {
      const answer = await get(service.app.port, path, { 'Accept-Encoding': 'gzip' });
      expect(answer.status, path).toBe(200);
      expect(answer.headers['cache-control'], path).toBe('public, max-age=31536000, immutable');
      expect(gunzipSync(answer.body).toString()).toContain('FeedClient');
    }
    expect((await get(service.app.port, '/client-0.0.0-other.js')).status).toBe(404);
    expect((await get(service.app.port, '/client.js?v=0.0.0-other')).headers['cache-control']).toBe('no-cache');
  });

  it('the scoreboard imports the versioned URL', async () => {
    const page = (await get(service.app.port, '/')).body.toString();
    expect(page).toContain(`'./client.js?v=${VERSION}'`);
  });
});
