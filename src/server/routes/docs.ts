/**
 * The API descriptions: `/openapi.json` (generated from the route schemas), `/docs` (Swagger UI,
 * served from the package itself) and `/asyncapi.yaml` (the WebSocket and SSE protocol). Registered
 * first and without encapsulation (fastify-plugin): the OpenAPI generator must see every route,
 * and every route refers to the named schemas added here.
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Authenticator } from '../auth.js';
import { asyncApiYaml } from '../asyncapi.js';
import { docsCsp, swaggerUiStyleHashes } from '../docs-csp.js';
import { apiSchemas, namedSchemas, withRefs } from '../schemas.js';

export interface DocsOptions {
  /** Whether this server requires an access token (the document says so on every operation). */
  readonly authenticator: Authenticator;
}

const docs: FastifyPluginAsync<DocsOptions> = async (app, { authenticator }) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Football Streaming Core',
        version: '1',
        description:
          'REST API of the football events service. The WebSocket protocol (/ws) and the SSE stream are described in AsyncAPI at /asyncapi.yaml.',
      },
      tags: [
        { name: 'matches', description: 'Followed matches and their state.' },
        { name: 'events', description: 'The event history, paged, and the live event stream (SSE).' },
        { name: 'operations', description: 'Health, probes and metrics (no access token).' },
      ],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: authenticator.enabled
              ? 'Required by this server (AUTH_TOKENS or AUTH_JWT_SECRET is set): `Authorization: Bearer <token>`, or `?token=` where a header cannot be set.'
              : 'Required when AUTH_TOKENS or AUTH_JWT_SECRET is set (neither is on this server, so no operation requires it): `Authorization: Bearer <token>`, or `?token=`.',
          },
          metricsToken: { type: 'http', scheme: 'bearer', description: '`/metrics` when METRICS_TOKEN is set: that token as a bearer token.' },
        },
      },
      // Every operation needs the token when the server requires one; those that do not say so.
      ...(authenticator.enabled ? { security: [{ bearer: [] }] } : {}),
    },
    // Shared schemas (`components.schemas`) keep their names: `Match`, `GoalScored`, `HttpError`, …
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`) },
  });
  // The named shapes, one copy each, shared with the AsyncAPI document (packages/client/src/schema.ts).
  for (const [name, schema] of Object.entries({ ...namedSchemas, ...apiSchemas })) app.addSchema({ $id: name, ...withRefs(schema, (n) => `${n}#`) });
  // Assets come from the package itself: the page works offline (no CDN).
  const styleHashes = swaggerUiStyleHashes();
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    transformStaticCSP: (header) => docsCsp(header, styleHashes),
    uiConfig: { url: '/openapi.json' } as Record<string, unknown>,
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  let yamlText: string | undefined;
  app.get('/asyncapi.yaml', { schema: { hide: true } }, async (_request, reply) => {
    yamlText ??= asyncApiYaml();
    return reply.type('application/yaml; charset=utf-8').send(yamlText);
  });
};

export const docsRoutes = fp(docs, { name: 'docs' });
