/**
 * The `ws` binding: admits or refuses upgrades on `/ws` (origin, auth, connection limits — all
 * before a WebSocket exists), adapts each `ws` socket to the hub's `Connection`, and runs one
 * heartbeat sweep for all clients.
 *
 * Fan-out writes a pre-built WebSocket frame: header and payload are encoded once per event and
 * the same buffer is written to every socket (`bench/fanout` compares this with `ws.send`).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { CloseCode, MAX_INBOUND_MESSAGE_BYTES, RefusalStatus } from '../domain/protocol.js';
import type { Client, Hub } from '../hub/hub.js';
import type { Connection, OutboundFrame } from '../hub/connection.js';
import type { Logger } from '../log.js';
import type { Metrics, RefusalLabel } from '../metrics.js';
import { tokenFrom, type Authenticator } from './auth.js';

/** How long a closing client gets to finish the handshake before its socket is destroyed. */
const CLOSE_GRACE_MS = 2_000;

/** Encodes an unmasked, final text frame (RFC 6455 §5.2) around `payload`. */
export function encodeTextFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81; // FIN + opcode 1 (text)
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  payload.copy(frame, headerLength);
  return frame;
}

/** The part of the `net.Socket` under a `ws` WebSocket that the prepared fan-out writes to. */
interface RawSocket {
  write(chunk: Buffer): boolean;
  cork(): void;
  uncork(): void;
  readonly writableCorked: number;
}

/** How outbound frames reach the socket: `prepared` (one encoding per event) or `ws-send` (the library's per-client path). */
export type FanoutMode = 'prepared' | 'ws-send';

export interface WsBindingOptions {
  readonly server: Server;
  readonly hub: Hub;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly authenticator: Authenticator;
  readonly allowedOrigins: readonly string[] | undefined;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly fanoutMode?: FanoutMode;
  /** Refuse new upgrades (shutting down). */
  readonly accepting: () => boolean;
}

interface Tracked {
  readonly ws: WebSocket;
  readonly client: Client;
  /** Last pong (or the connection time). */
  lastSeenAt: number;
  lastPingAt: number;
  /** Token expiry (epoch ms), if the token has one. */
  readonly expiresAt: number | undefined;
}

/** Writes an HTTP refusal on a socket that asked for an upgrade, then closes it. */
function refuse(socket: Duplex, status: number, reason: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: reason });
  const lines = [
    `HTTP/1.1 ${status} ${statusText(status)}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

function statusText(status: number): string {
  switch (status) {
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'Not Found';
    case 429:
      return 'Too Many Requests';
    case 503:
      return 'Service Unavailable';
    default:
      return 'Error';
  }
}

export class WsBinding {
  private readonly wss: WebSocketServer;
  private readonly tracked = new Set<Tracked>();
  private readonly perIp = new Map<string, number>();
  /** Admitted upgrades (including those still in the handshake), for the limits. */
  private admitted = 0;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly fanoutMode: FanoutMode;

  constructor(private readonly options: WsBindingOptions) {
    this.fanoutMode = options.fanoutMode ?? 'prepared';
    this.wss = new WebSocketServer({
      noServer: true,
      // Larger inbound messages close the connection with 1009 (ws does this itself).
      maxPayload: MAX_INBOUND_MESSAGE_BYTES,
      perMessageDeflate: false,
      clientTracking: false,
    });
    options.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.onUpgrade(request, socket, head).catch((error: unknown) => {
        options.logger.error({ err: error }, 'upgrade failed');
        socket.destroy();
      });
    });
    const sweepEvery = Math.max(10, Math.min(options.heartbeatIntervalMs, options.heartbeatTimeoutMs) / 2);
    // unref: the heartbeat must not keep a stopping process alive.
    this.sweepTimer = setInterval(() => this.sweep(), sweepEvery).unref();
  }

  get connectionCount(): number {
    return this.tracked.size;
  }

  private refuseCounted(socket: Duplex, status: number, label: RefusalLabel, reason: string, headers?: Record<string, string>) {
    this.options.metrics?.refusals.inc({ reason: label });
    this.options.logger.debug({ status, reason: label }, 'upgrade refused');
    refuse(socket, status, reason, headers);
  }

  private async onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { options } = this;
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/ws') {
      refuse(socket, 404, 'not found');
      return;
    }
    if (!options.accepting()) {
      this.refuseCounted(socket, RefusalStatus.TooManyConnections, 'max_connections', 'server shutting down', {
        'Retry-After': '5',
      });
      return;
    }
    const origin = request.headers.origin;
    if (options.allowedOrigins !== undefined && origin !== undefined && !options.allowedOrigins.includes(origin.toLowerCase())) {
      this.refuseCounted(socket, RefusalStatus.ForbiddenOrigin, 'origin', 'origin not allowed');
      return;
    }
    if (this.admitted >= options.maxConnections) {
      this.refuseCounted(socket, RefusalStatus.TooManyConnections, 'max_connections', 'too many connections', {
        'Retry-After': String(5 + Math.floor(Math.random() * 10)),
      });
      return;
    }
    const ip = request.socket.remoteAddress ?? 'unknown';
    if ((this.perIp.get(ip) ?? 0) >= options.maxConnectionsPerIp) {
      this.refuseCounted(socket, RefusalStatus.TooManyPerIp, 'max_connections_per_ip', 'too many connections from this address', {
        'Retry-After': String(5 + Math.floor(Math.random() * 10)),
      });
      return;
    }
    // Count the slot before the (asynchronous) token check so concurrent upgrades cannot overshoot.
    this.admitted += 1;
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    let handedOver = false;
    try {
      const auth = await options.authenticator.verify(tokenFrom(request.headers, request.url));
      if (!auth.ok) {
        this.refuseCounted(socket, RefusalStatus.Unauthorized, 'unauthorized', auth.reason, {
          'WWW-Authenticate': 'Bearer',
        });
        return;
      }
      if (socket.destroyed) return;
      handedOver = true;
      this.wss.handleUpgrade(request, socket, head, (ws) => this.attach(ws, ip, auth.expiresAt));
    } finally {
      if (!handedOver) this.release(ip);
    }
  }

  private release(ip: string): void {
    this.admitted -= 1;
    const count = (this.perIp.get(ip) ?? 1) - 1;
    if (count <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, count);
  }

  private attach(ws: WebSocket, ip: string, expiresAt: number | undefined): void {
    const { hub, logger } = this.options;
    const socket = (ws as unknown as { _socket?: RawSocket })._socket;
    const prepared = this.fanoutMode === 'prepared' && socket !== undefined;
    const cork = (raw: RawSocket) => this.corkUntilTickEnd(raw);
    let closeTimer: NodeJS.Timeout | undefined;
    const connection: Connection = {
      send(frame: OutboundFrame) {
        if (ws.readyState !== WebSocket.OPEN) return;
        if (prepared) {
          // Same bytes for every client: encoded on first use, then shared.
          let bytes = frame.prepared as Buffer | undefined;
          if (bytes === undefined) {
            bytes = encodeTextFrame(Buffer.from(frame.text, 'utf8'));
            frame.prepared = bytes;
          }
          cork(socket);
          socket.write(bytes);
        } else {
          ws.send(frame.text);
        }
      },
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
      close(code: number, reason: string) {
        ws.close(code, reason);
        // A client that stopped reading never completes the handshake: destroy it after a grace period.
        closeTimer ??= setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
      },
      terminate() {
        ws.terminate();
      },
    };
    // No per-client pino child up front (the hub builds one when the client first logs): ~0.5 KiB each at 100k.
    const client = hub.connect(connection, logger, { ip });
    const now = Date.now();
    const entry: Tracked = { ws, client, lastSeenAt: now, lastPingAt: now, expiresAt };
    this.tracked.add(entry);
    this.options.metrics?.connections.set(this.tracked.size);
    logger.debug({ ip, client_id: client.id }, 'client connected');

    ws.on('pong', () => {
      entry.lastSeenAt = Date.now();
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      // Liveness is the pong alone (as the seed did): every WebSocket client answers pings itself.
      hub.receive(client, isBinary ? '' : rawToString(data), isBinary);
    });
    ws.on('error', (error: Error & { code?: string }) => {
      // ws closes the socket itself (e.g. 1009 for an oversized message); record why.
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        this.options.metrics?.clientCloses.inc({ reason: 'message_too_big' });
      }
      client.logger.debug({ code: error.code, error: error.message }, 'client socket error');
    });
    ws.on('close', (code: number) => {
      if (closeTimer) clearTimeout(closeTimer);
      this.tracked.delete(entry);
      hub.disconnect(client);
      this.release(ip);
      this.options.metrics?.connections.set(this.tracked.size);
      logger.debug({ ip, client_id: client.id, code }, 'client disconnected');
    });
  }

  /**
   * Corks a socket until the current tick ends, so the frames of one publish batch (a goal and its
   * score update, or a replay page) leave in one system call per socket instead of one per frame.
   * One shared list and one scheduled flush per tick: nothing is allocated per client.
   */
  private corkUntilTickEnd(socket: RawSocket): void {
    if (socket.writableCorked > 0) return;
    socket.cork();
    this.corked.push(socket);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flushCorked);
    }
  }

  private readonly corked: RawSocket[] = [];
  private flushScheduled = false;
  private readonly flushCorked = (): void => {
    this.flushScheduled = false;
    for (const socket of this.corked) socket.uncork();
    this.corked.length = 0;
  };

  /** Pings clients due for one; drops those silent past the timeout or whose token expired. */
  private sweep(): void {
    const { heartbeatIntervalMs, heartbeatTimeoutMs, hub, metrics } = this.options;
    const now = Date.now();
    for (const entry of this.tracked) {
      if (entry.client.closed) continue;
      if (now - entry.lastSeenAt > heartbeatTimeoutMs) {
        metrics?.clientCloses.inc({ reason: 'heartbeat_timeout' });
        entry.client.logger.info('heartbeat timeout; terminating client');
        hub.disconnect(entry.client);
        entry.ws.terminate();
        continue;
      }
      if (entry.expiresAt !== undefined && now >= entry.expiresAt) {
        hub.closeClient(entry.client, CloseCode.TokenExpired, 'token_expired');
        continue;
      }
      if (now - entry.lastPingAt >= heartbeatIntervalMs && entry.ws.readyState === WebSocket.OPEN) {
        entry.lastPingAt = now;
        entry.ws.ping();
      }
    }
  }

  /** Resolves when every socket has closed, or after `timeoutMs` (then the rest are destroyed). */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.tracked.size > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 25);
        timer.unref();
      });
    }
    for (const entry of this.tracked) entry.ws.terminate();
  }

  close(): void {
    clearInterval(this.sweepTimer);
    this.wss.close();
  }
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
