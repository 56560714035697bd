/** The live test page at `/`, and the SDK bundle it imports (`/client.js`). */
import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';
import { registerClientBundle } from '../client-bundle.js';

const PAGE_URL = new URL('../../../public/index.html', import.meta.url);

export const pageRoutes: FastifyPluginAsync = async (app) => {
  const clientBundle = registerClientBundle(app);
  let page: string | undefined;
  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    // The page imports this service's SDK under its versioned URL, cached for a year.
    if (page === undefined) {
      const text = await readFile(PAGE_URL, 'utf8');
      const version = await clientBundle.version().catch(() => undefined);
      if (version === undefined) return reply.type('text/html; charset=utf-8').send(text);
      page = text.replaceAll("'./client.js'", `'./client.js?v=${version}'`);
    }
    return reply.type('text/html; charset=utf-8').send(page);
  });
};
