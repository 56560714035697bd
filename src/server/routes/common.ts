/**
 * What the route plugins share: the JSON error answer, the OpenAPI fragments every route's schema
 * uses, and the access-token check of the REST routes.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpErrorCode } from '../../domain/protocol.js';
import type { Metrics } from '../../metrics.js';
import { tokenFrom, type Authenticator } from '../auth.js';

/** Every error answer: `{"error":"<CODE>","message":"…", …extra}` with `status`. */
export function sendError(reply: FastifyReply, status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
  return reply.code(status).type('application/json').send({ error: code, message, ...extra });
}

export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** A reference to a named schema (`app.addSchema` in routes/docs.ts). */
export const ref = (name: string) => ({ $ref: `${name}#` });

/** The JSON error answers a route documents. */
export const errorResponses = (...statuses: number[]) => Object.fromEntries(statuses.map((status) => [status, { description: 'JSON error', ...ref('HttpError') }]));

export const tokenParam = { type: 'string', description: 'Access token, for clients that cannot send `Authorization: Bearer` (browsers).' } as const;

const idList = (what: string) => {
  const one = { type: 'string', pattern: '^[0-9]{1,20}(,[0-9]{1,20})*$' } as const;
  return {
    description: `${what} ids (1 to 20 digits each), comma-separated; repeated parameters add to the list (at most 500 ids)`,
    anyOf: [one, { type: 'array', items: one }],
  };
};

/** `match_id`, `league_id`, `team_id` as the OpenAPI document describes them. */
export const idFilterParams = {
  match_id: idList('Match'),
  league_id: idList('League'),
  team_id: idList('Team: the home or the away team'),
};

/** An `onRequest` hook refusing (401) a request without a valid access token, when tokens are required. */
export function requireAuth(authenticator: Authenticator, metrics: Metrics) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!authenticator.enabled) return;
    const result = await authenticator.verify(tokenFrom(request.headers, request.url));
    if (!result.ok) {
      metrics.refusals.inc({ reason: 'unauthorized' });
      reply.header('WWW-Authenticate', 'Bearer');
      await sendError(reply, 401, HttpErrorCode.Unauthorized, result.reason);
    }
  };
}
