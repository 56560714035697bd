/**
 * The `ws` binding: hands upgrades on `/ws` to the shared admission gate (origin, auth, connection
 * limits — all before a WebSocket exists), adapts each `ws` socket to the hub's `Connection`, and
 * runs the heartbeat on a timer wheel (`HeartbeatWheel`): every connection has its own phase, and
 * each slice of the interval pings only its own share of the clients.
 *
 * Fan-out writes a pre-built WebSocket frame: header and payload are encoded once per event (in
 * this binding's own `FrameCache`) and the same buffer is written to every socket (`bench/fanout`
 * compares this with `ws.send`).
 *
 * A slot is released when the TCP socket closes, whatever ended it: a handshake `ws` rejects (bad
 * `Sec-WebSocket-Key` or version: 400), a socket aborted mid-handshake, an error, a normal close.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { CloseCode, MAX_INBOUND_MESSAGE_BYTES } from '../domain/protocol.js';
import type { Hub, Session } from '../hub/hub.js';
import { FrameCache, type Connection, type OutboundFrame } from '../hub/connection.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { writeRefusal, type AdmissionControl, type Ticket } from './admission.js';
import { onceDrainedOrClosed, TickCorker, type Corkable, type Drainable } from './cork.js';
import { HeartbeatWheel } from './heartbeat-wheel.js';

/**
 * The ping that rides with an event (`WsConnection.send`): empty payload, so it costs two bytes in
 * the event's write. The wheel's own pings carry their slice number.
 */
const RIDING_PING = Buffer.from([0x89, 0x00]);

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
interface RawSocket extends Corkable, Drainable {
  write(chunk: Buffer): boolean;
  readonly writableNeedDrain: boolean;
}

/** How outbound frames reach the socket: `prepared` (one encoding per event) or `ws-send` (the library's per-client path). */
export type FanoutMode = 'prepared' | 'ws-send';

interface PreparedWrites {
  readonly frames: FrameCache<Buffer>;
  /** Each frame with a riding ping behind it, in one buffer (built on first use, shared). */
  readonly withPing: FrameCache<Buffer>;
  readonly corker: TickCorker;
}

/** The binding's own fields on each `ws` WebSocket: its connection, for the listeners every socket shares. */
const CONNECTION = Symbol('fsc.connection');
type TaggedWebSocket = WebSocket & { [CONNECTION]?: WsConnection };

/**
 * One client's `Connection`, and everything the binding keeps about it: the hub's client, its
 * heartbeat state and its place in the wheel. A class, not an object literal of closures: at 100k
 * connections its methods live once on the prototype, not once per connection, and the socket's
 * listeners are module functions shared by every socket (they find this object through the socket).
 */
class WsConnection implements Connection {
  /** Set when a close starts: a client that stopped reading never completes the handshake, so it is destroyed after a grace period. */
  closeTimer: NodeJS.Timeout | undefined = undefined;
  /** The hub's session for this client (set right after `hub.opened`). */
  client!: Session;
  /** Last pong (or the connection time), on the wheel's monotonic clock (ms). */
  lastSeenAt = 0;
  /** When the oldest ping not answered yet was sent (wheel clock; none outstanding while ≤ `lastSeenAt`). */
  pingedAt = 0;
  /** When it was last pinged (wheel clock; the wheel sets it on joining). */
  lastPingAt = 0;
  /** Bucket of the wheel and index in it (-1: not in the wheel). */
  bucket = -1;
  slot = -1;

  /** @param prepared the binding's shared encodings (prepared fan-out), or undefined for `ws.send` per client */
  constructor(
    readonly ws: WebSocket,
    readonly socket: RawSocket | undefined,
    private readonly prepared: PreparedWrites | undefined,
    readonly binding: WsBinding,
    readonly ticket: Ticket,
  ) {}

  /** Token expiry (epoch ms), if the token has one. */
  get expiresAt(): number | undefined {
    return this.ticket.expiresAt;
  }

  send(frame: OutboundFrame, alone = false): number {
    const { ws, socket, prepared } = this;
    if (ws.readyState !== WebSocket.OPEN) return 0;
    if (prepared !== undefined && socket !== undefined) {
      // A ping due within a turn of the wheel rides along: same system call, no write of its own.
      const { heartbeat } = this.binding;
      const now = heartbeat.now;
      const ride = now - this.lastPingAt >= heartbeat.rideDueMs;
      if (ride) this.pinged(now);
      // Same bytes for every client, the ping in the same buffer: encoded on first use, then shared.
      const out = ride ? prepared.withPing.get(frame) : prepared.frames.get(frame);
      // The client's only frame of this turn leaves at once (no cork to set and lift; a socket already
      // corked this turn gathers it); when more may follow (a burst, a reply, a replay page) they leave together.
      if (!alone) prepared.corker.cork(socket);
      socket.write(out);
      return out.length;
    }
    // The library's own path (the benchmark's baseline): measured, not computed.
    const before = ws.bufferedAmount;
    ws.send(frame.text);
    return Math.max(0, ws.bufferedAmount - before);
  }

  /**
   * Writes a prebuilt ping frame (shared by every socket of the slice) straight to the socket: no
   * allocation and no `ws` sender machinery per socket, and no cork (a ping is one write; a socket
   * corked for this tick's events takes it behind them).
   */
  ping(frame: Buffer): void {
    const { ws, socket, prepared } = this;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (prepared !== undefined && socket !== undefined) {
      socket.write(frame);
      return;
    }
    ws.ping(frame.subarray(2));
  }

  /** A ping leaves now (wheel clock): the last ping, and the oldest unanswered one if none is outstanding. */
  pinged(now: number): void {
    this.lastPingAt = now;
    if (this.pingedAt <= this.lastSeenAt) this.pingedAt = now;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get draining(): boolean {
    return this.socket?.writableNeedDrain === true && this.ws.readyState === WebSocket.OPEN;
  }

  onceDrained(listener: () => void): void {
    if (this.socket !== undefined) onceDrainedOrClosed(this.socket, listener);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
    const { ws } = this;
    this.closeTimer ??= setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  terminate(): void {
    this.ws.terminate();
  }
}

// The socket listeners, one function each for every socket (`this` is the socket).
function onPong(this: TaggedWebSocket): void {
  const connection = this[CONNECTION];
  if (connection !== undefined) connection.lastSeenAt = connection.binding.heartbeat.now;
}
function onMessage(this: TaggedWebSocket, data: RawData, isBinary: boolean): void {
  const connection = this[CONNECTION];
  // Liveness is the pong alone (as the seed did): every WebSocket client answers pings itself.
  if (connection !== undefined) connection.binding.receive(connection, isBinary ? '' : rawToString(data), isBinary);
}
function onError(this: TaggedWebSocket, error: Error & { code?: string }): void {
  const connection = this[CONNECTION];
  if (connection !== undefined) connection.binding.socketError(connection, error);
}
function onClose(this: TaggedWebSocket, code: number): void {
  const connection = this[CONNECTION];
  if (connection !== undefined) connection.binding.detach(connection, code);
}

export interface WsBindingOptions {
  readonly server: Server;
  readonly hub: Hub;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly admission: AdmissionControl;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  /** Longest an admitted upgrade may take to become an open WebSocket. @default 5 s */
  readonly handshakeTimeoutMs?: number;
  readonly fanoutMode?: FanoutMode;
}

export class WsBinding {
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<WsConnection>();
  /** @internal the heartbeat's timer wheel (its clock stamps pongs) */
  readonly heartbeat: HeartbeatWheel<WsConnection>;
  private readonly fanoutMode: FanoutMode;
  /** The prepared fan-out's shared state: each frame encoded once, sockets corked for the tick. */
  private readonly writes: PreparedWrites = {
    frames: new FrameCache((frame: OutboundFrame) => encodeTextFrame(Buffer.from(frame.text, 'utf8'))),
    withPing: new FrameCache((frame: OutboundFrame) => Buffer.concat([this.writes.frames.get(frame), RIDING_PING])),
    corker: new TickCorker(),
  };
  /** How long a client may leave a ping unanswered (see `isSilent`). */
  private readonly answerWindowMs: number;
  /** Admitted upgrades still in the handshake, by socket: a handshake `ws` rejects gives its slot back at once. */
  private readonly handshaking = new WeakMap<Duplex, Ticket>();

  constructor(private readonly options: WsBindingOptions) {
    this.fanoutMode = options.fanoutMode ?? 'prepared';
    this.answerWindowMs = answerWindow(options.heartbeatIntervalMs, options.heartbeatTimeoutMs);
    this.wss = new WebSocketServer({
      noServer: true,
      // Larger inbound messages close the connection with 1009 (ws does this itself).
      maxPayload: MAX_INBOUND_MESSAGE_BYTES,
      perMessageDeflate: false,
      clientTracking: false,
    });
    // With a listener here, ws leaves the answer to a rejected handshake to us: release, then 400.
    this.wss.on('wsClientError', (error: Error, socket: Duplex) => {
      this.handshaking.get(socket)?.release();
      options.logger.debug({ error: error.message }, 'WebSocket handshake rejected');
      if (socket.writable) writeRefusal(socket, { status: 400, headers: {}, message: error.message });
      else socket.destroy();
    });
    options.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.onUpgrade(request, socket, head).catch((error: unknown) => {
        options.logger.error({ err: error }, 'upgrade failed');
        socket.destroy();
      });
    });
    this.heartbeat = new HeartbeatWheel(options.heartbeatIntervalMs, options.heartbeatTimeoutMs, (connection, now, wallNow, ping) =>
      this.visit(connection, now, wallNow, ping),
    );
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private async onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { options } = this;
    // Node's HTTP server stops watching the socket once it is an upgrade: an error (a reset) must
    // not go unhandled. It ends the socket; 'close' below releases the slot.
    socket.on('error', (error: Error) => options.logger.debug({ error: error.message }, 'upgrade socket error'));
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/ws') {
      writeRefusal(socket, { status: 404, headers: {}, message: 'not found' });
      return;
    }
    const admission = await options.admission.admit(request);
    if (!admission.ok) {
      writeRefusal(socket, admission.refusal);
      return;
    }
    const { ticket } = admission;
    // Every way a socket ends passes through 'close': the one release that cannot be missed.
    socket.once('close', () => ticket.release());
    if (socket.destroyed) {
      ticket.release();
      return;
    }
    this.handshaking.set(socket, ticket);
    // A client that stalls the handshake must not hold its slot.
    const handshakeTimer = setTimeout(() => socket.destroy(), options.handshakeTimeoutMs ?? 5_000).unref();
    socket.once('close', () => clearTimeout(handshakeTimer));
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      clearTimeout(handshakeTimer);
      this.handshaking.delete(socket);
      this.attach(ws, ticket);
    });
  }

  private attach(ws: WebSocket, ticket: Ticket): void {
    const { hub, logger } = this.options;
    const socket = (ws as unknown as { _socket?: RawSocket })._socket;
    const connection = new WsConnection(ws, socket, this.fanoutMode === 'prepared' ? this.writes : undefined, this, ticket);
    // No per-client pino child up front (the hub builds one when the client first logs): ~0.5 KiB each at 100k.
    connection.client = hub.opened(connection, logger, { ip: ticket.ip });
    connection.lastSeenAt = this.heartbeat.now;
    this.connections.add(connection);
    this.heartbeat.add(connection);
    (ws as TaggedWebSocket)[CONNECTION] = connection;
    if (logger.isLevelEnabled('debug')) logger.debug({ ip: ticket.ip, client_id: connection.client.id }, 'client connected');
    ws.on('pong', onPong);
    ws.on('message', onMessage);
    ws.on('error', onError);
    ws.on('close', onClose);
  }

  /** @internal a message from a client */
  receive(connection: WsConnection, data: string, isBinary: boolean): void {
    connection.client.message(data, isBinary);
  }

  /** @internal */
  socketError(connection: WsConnection, error: Error & { code?: string }): void {
    // ws closes the socket itself (e.g. 1009 for an oversized message); record why.
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.options.metrics?.clientCloses.inc({ reason: 'message_too_big' });
    }
    connection.client.logger.debug({ code: error.code, error: error.message }, 'client socket error');
  }

  /** @internal the socket closed */
  detach(connection: WsConnection, code: number): void {
    const { logger } = this.options;
    if (connection.closeTimer) clearTimeout(connection.closeTimer);
    if (!this.connections.delete(connection)) return;
    this.heartbeat.remove(connection);
    connection.client.closed();
    connection.ticket.release();
    if (logger.isLevelEnabled('debug')) logger.debug({ ip: connection.ticket.ip, client_id: connection.client.id, code }, 'client disconnected');
  }

  /**
   * One client's turn of the heartbeat: dropped if silent past the timeout (`now`: the wheel's
   * monotonic clock) or its token expired (`wallNow`: epoch ms), else pinged when `ping` is given.
   */
  private visit(connection: WsConnection, now: number, wallNow: number, ping: Buffer | undefined): void {
    const { metrics } = this.options;
    const { client } = connection;
    if (client.isClosed) return;
    if (isSilent(connection, now, this.answerWindowMs)) {
      metrics?.clientCloses.inc({ reason: 'heartbeat_timeout' });
      client.logger.info('heartbeat timeout; terminating client');
      client.closed();
      connection.ws.terminate();
      return;
    }
    const { expiresAt } = connection;
    if (expiresAt !== undefined && wallNow >= expiresAt) {
      client.close(CloseCode.TokenExpired, 'token_expired');
      return;
    }
    if (ping !== undefined) {
      connection.pinged(now);
      connection.ping(ping);
    }
  }

  /** Resolves when every socket has closed, or after `timeoutMs` (then the rest are destroyed). */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.connections.size > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 25);
        timer.unref();
      });
    }
    for (const connection of this.connections) connection.ws.terminate();
  }

  close(): void {
    this.heartbeat.close();
    this.wss.close();
  }
}

/**
 * How long a ping may go unanswered: the timeout less one interval (5 s with the defaults), so a
 * client that stops answering is dropped `HEARTBEAT_TIMEOUT_SECS` after its last pong (plus at most
 * one turn of the wheel), as before; half the shorter of the two when the timeout is not longer.
 */
export function answerWindow(intervalMs: number, timeoutMs: number): number {
  return Math.max(timeoutMs - intervalMs, Math.min(timeoutMs, intervalMs) / 2);
}

/**
 * A client is silent when a ping it was sent has gone unanswered for longer than `windowMs` — not
 * merely when its last pong is old: on a saturated machine the wheel falls behind and pings less
 * often, and a client that answers every ping it gets must not be dropped for the pings the server
 * did not send (at 100,000 connections on two cores, 3,559 answering clients were).
 */
export function isSilent(connection: { readonly lastSeenAt: number; readonly pingedAt: number }, now: number, windowMs: number): boolean {
  return connection.pingedAt > connection.lastSeenAt && now - connection.pingedAt > windowMs;
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
