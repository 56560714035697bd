/**
 * `GET /events/stream`: Server-Sent Events, the WebSocket frames as an event stream. Admitted by
 * the gate it shares with `/ws` (access token, origin, per-address and instance limits). Its query
 * and `Last-Event-ID` are checked by `parseStreamRequest` alone: a `ParameterError` reaches
 * http.ts's error handler as the 400 naming the parameter.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { AdmissionControl } from '../admission.js';
import type { Query } from '../query.js';
import { parseStreamRequest, type SseBinding } from '../sse.js';
import { errorResponses, idFilterParams, sendError, tokenParam } from './common.js';

export interface StreamOptions {
  readonly admission: AdmissionControl;
  readonly sse: SseBinding;
}

/** The stream parses its own query and `Last-Event-ID` (`parseStreamRequest`), in the handler. */
const parsedByHandler = () => () => true;

export const streamRoutes: FastifyPluginAsync<StreamOptions> = async (app, { admission, sse }) => {
  const streamRoute = {
    exposeHeadRoute: false,
    validatorCompiler: parsedByHandler,
    schema: {
      operationId: 'streamEvents',
      tags: ['events'],
      summary: 'Server-Sent Events: the WebSocket frames as an event stream',
      description:
        'Each message: `id: <epoch>/<seq>`, `event: <TYPE>`, `data: <the WebSocket JSON frame>`. Opens with `retry:` (1-5 s, per connection) and SUBSCRIBED (then SNAPSHOT when asked or when resume is refused); `Last-Event-ID` resumes like since+epoch (a malformed one: resumed:false and a SNAPSHOT); `: ping` comments every HEARTBEAT_INTERVAL_SECS. Frames are described in /asyncapi.yaml. Refusals: 401, 403 (origin), 429 (per address), 503 (full or shutting down).',
      querystring: {
        type: 'object',
        properties: {
          ...idFilterParams,
          since: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Resume after this seq (with epoch).' },
          epoch: { type: 'string', description: 'Epoch of the SUBSCRIBED frame the seq came from.' },
          snapshot: { type: 'string', enum: ['0', '1', 'true', 'false'], description: '1: a SNAPSHOT right after SUBSCRIBED.' },
          token: tokenParam,
        },
      },
      headers: {
        type: 'object',
        properties: { 'last-event-id': { type: 'string', description: '<epoch>/<seq>: resume where the previous stream stopped (sent by EventSource); anything else is a refused resume, not an error.' } },
      },
      response: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errorResponses(400, 401, 403, 429, 503) },
    },
  };
  app.get('/events/stream', streamRoute, async (request, reply) => {
    const lastEventId = request.headers['last-event-id'];
    const subscription = parseStreamRequest(request.query as Query, typeof lastEventId === 'string' ? lastEventId : undefined);
    const admitted = await admission.admit(request.raw);
    if (!admitted.ok) {
      const { refusal } = admitted;
      for (const [name, value] of Object.entries(refusal.headers)) reply.header(name, value);
      return sendError(reply, refusal.status, refusal.code, refusal.message);
    }
    // From here the stream is ours: fastify neither serialises nor ends it. CORS headers set by
    // the hooks so far go out with the stream's own.
    reply.hijack();
    const headers = reply.getHeaders() as Record<string, string | number | string[]>;
    await sse.open(request.raw, reply.raw, admitted.ticket, subscription, headers).catch((error: unknown) => {
      request.log.error({ err: error }, 'event stream failed');
      reply.raw.destroy();
    });
  });
};
