/**
 * HTTP below fastify: answers written on a raw socket (an upgrade refused, a connection refused
 * before its request) and the server's header and request timeouts.
 */
import type { Refusal } from './ticket.js';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/**
 * Writes an HTTP answer on a raw socket (an upgrade request, or a connection refused before its
 * request) and closes it. The body is the REST routes' error shape when a `code` is given
 * (`{"error":"TOO_MANY_CONNECTIONS","message":…}`), `{"error":<message>}` otherwise.
 */
export function writeRefusal(socket: { end(data: string): void }, refusal: Pick<Refusal, 'status' | 'headers' | 'message'> & { readonly code?: string }): void {
  const body = JSON.stringify(refusal.code === undefined ? { error: refusal.message } : { error: refusal.code, message: refusal.message });
  const lines = [
    `HTTP/1.1 ${refusal.status} ${STATUS_TEXT[refusal.status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(refusal.headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * Timeouts for the HTTP server (fastify's `http` and `requestTimeout` options): headers must arrive
 * within `handshakeTimeoutMs`, and the server checks for late ones often enough to enforce it
 * (Node's default check runs every 30 s).
 */
export function httpServerTimeouts(handshakeTimeoutMs: number): { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number } {
  return {
    headersTimeout: handshakeTimeoutMs,
    // Requests carry no body worth waiting for: the whole request gets twice the headers' time.
    requestTimeout: handshakeTimeoutMs * 2,
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(handshakeTimeoutMs / 4))),
  };
}
