/**
 * Admission for every streaming transport (`/ws` upgrades and `/events/stream`): one gate with the
 * same policies in the same order — shutdown, `ALLOWED_ORIGINS`, `MAX_CONNECTIONS`,
 * `MAX_CONNECTIONS_PER_IP`, then the token — and one count of the slots it hands out.
 *
 * A slot is a `Ticket`; the transport releases it when its connection ends, on whatever path
 * (refused handshake, aborted socket, error, close). `release` is idempotent, so a transport can
 * call it from every path that might be last without counting a slot twice.
 *
 * Requests whose headers are still arriving count too: each address may hold at most
 * `MAX_CONNECTIONS_PER_IP` such partial requests, they count against its limit when it asks for a
 * stream, and the HTTP server drops them after `HANDSHAKE_TIMEOUT_SECS` (slow-loris).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { HttpErrorCode, RefusalStatus } from '../domain/protocol.js';
import type { Logger } from '../log.js';
import type { Metrics, RefusalLabel } from '../metrics.js';
import { tokenFrom, type Authenticator } from './auth.js';

export interface AdmissionOptions {
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly authenticator: Authenticator;
  /** Allowed `Origin` values (lower case); `undefined` allows any. */
  readonly allowedOrigins: readonly string[] | undefined;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  /** Refuse new streams (shutting down). */
  readonly accepting: () => boolean;
}

/** Why a stream was not admitted, and the HTTP answer that says so. */
export interface Refusal {
  readonly status: number;
  readonly label: RefusalLabel;
  /** `error` of the JSON body, one of `HttpErrorCode`. */
  readonly code: string;
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** One admitted stream's slot (total and per address). */
export class Ticket {
  private released = false;
  constructor(
    private readonly owner: AdmissionControl,
    readonly ip: string,
    /** Token expiry (epoch ms), if the token has one. */
    readonly expiresAt: number | undefined,
  ) {}

  /** Gives the slot back; later calls do nothing. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.releaseSlot(this.ip);
  }
}

export type Admission = { readonly ok: true; readonly ticket: Ticket } | { readonly ok: false; readonly refusal: Refusal };

/** Seconds a refused client should wait: jittered, so refused clients do not all come back at once. */
const retryAfter = (): string => String(5 + Math.floor(Math.random() * 10));

const PENDING = Symbol('fsc.pendingRequest');
type TrackedSocket = Socket & { [PENDING]?: boolean };

export class AdmissionControl {
  private admitted = 0;
  private readonly perIp = new Map<string, number>();
  /** Connections per address whose first request's headers have not arrived yet. */
  private readonly partialPerIp = new Map<string, number>();

  constructor(private readonly options: AdmissionOptions) {}

  /** Streams admitted and not yet released (including handshakes in progress). */
  get open(): number {
    return this.admitted;
  }

  /** Slots held by one address: admitted streams plus requests whose headers are still arriving. */
  heldBy(ip: string): number {
    return (this.perIp.get(ip) ?? 0) + (this.partialPerIp.get(ip) ?? 0);
  }

  /**
   * Counts each new connection as a partial request until its first request (or upgrade) arrives,
   * and refuses a connection from an address that already holds `MAX_CONNECTIONS_PER_IP` partial
   * requests, so one host cannot park thousands of half-sent upgrades. The HTTP server's own
   * `headersTimeout` (see `httpServerTimeouts`) ends those that never finish.
   */
  watch(server: Server): void {
    const settle = (socket: TrackedSocket) => {
      if (socket[PENDING] !== true) return;
      socket[PENDING] = false;
      decrement(this.partialPerIp, socket.remoteAddress ?? 'unknown');
    };
    server.on('connection', (socket: TrackedSocket) => {
      const ip = socket.remoteAddress ?? 'unknown';
      const partial = this.partialPerIp.get(ip) ?? 0;
      if (partial >= this.options.maxConnectionsPerIp) {
        this.count('max_connections_per_ip');
        writeRefusal(socket, this.perIpRefusal());
        return;
      }
      this.partialPerIp.set(ip, partial + 1);
      socket[PENDING] = true;
      socket.once('close', () => settle(socket));
    });
    // prepend: the slot must move before fastify or the WebSocket binding handles the request.
    server.prependListener('request', (request: IncomingMessage) => settle(request.socket));
    server.prependListener('upgrade', (request: IncomingMessage) => settle(request.socket));
  }

  /** Admits a stream or says why not. Takes the slot before the (asynchronous) token check, so concurrent requests cannot overshoot. */
  async admit(request: IncomingMessage): Promise<Admission> {
    const { options } = this;
    if (!options.accepting()) {
      return this.refuse(RefusalStatus.TooManyConnections, 'shutting_down', HttpErrorCode.ShuttingDown, 'server shutting down', {
        'Retry-After': retryAfter(),
      });
    }
    const origin = request.headers.origin;
    if (options.allowedOrigins !== undefined && origin !== undefined && !options.allowedOrigins.includes(origin.toLowerCase())) {
      return this.refuse(RefusalStatus.ForbiddenOrigin, 'origin', HttpErrorCode.Forbidden, 'origin not allowed');
    }
    if (this.admitted >= options.maxConnections) {
      return this.refuse(RefusalStatus.TooManyConnections, 'max_connections', HttpErrorCode.TooManyConnections, 'too many connections', {
        'Retry-After': retryAfter(),
      });
    }
    const ip = request.socket.remoteAddress ?? 'unknown';
    if (this.heldBy(ip) >= options.maxConnectionsPerIp) {
      const refusal = this.perIpRefusal();
      this.count(refusal.label);
      return { ok: false, refusal };
    }
    this.admitted += 1;
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    let auth;
    try {
      auth = await options.authenticator.verify(tokenFrom(request.headers, request.url));
    } catch (error) {
      this.releaseSlot(ip);
      throw error;
    }
    if (!auth.ok) {
      this.releaseSlot(ip);
      return this.refuse(RefusalStatus.Unauthorized, 'unauthorized', HttpErrorCode.Unauthorized, auth.reason, {
        'WWW-Authenticate': 'Bearer',
      });
    }
    return { ok: true, ticket: new Ticket(this, ip, auth.expiresAt) };
  }

  /** @internal called by `Ticket.release` only. */
  releaseSlot(ip: string): void {
    this.admitted -= 1;
    decrement(this.perIp, ip);
  }

  private perIpRefusal(): Refusal {
    return {
      status: RefusalStatus.TooManyPerIp,
      label: 'max_connections_per_ip',
      code: HttpErrorCode.TooManyConnections,
      message: 'too many connections from this address',
      headers: { 'Retry-After': retryAfter() },
    };
  }

  private refuse(status: number, label: RefusalLabel, code: string, message: string, headers: Record<string, string> = {}): Admission {
    this.count(label);
    return { ok: false, refusal: { status, label, code, message, headers } };
  }

  private count(label: RefusalLabel): void {
    this.options.metrics?.refusals.inc({ reason: label });
    this.options.logger.debug({ reason: label }, 'connection refused');
  }
}

function decrement(map: Map<string, number>, key: string): void {
  const count = (map.get(key) ?? 1) - 1;
  if (count <= 0) map.delete(key);
  else map.set(key, count);
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** Writes an HTTP answer on a raw socket (an upgrade request, or a connection refused before its request) and closes it. */
export function writeRefusal(socket: { end(data: string): void }, refusal: Pick<Refusal, 'status' | 'headers' | 'message'>): void {
  const body = JSON.stringify({ error: refusal.message });
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
