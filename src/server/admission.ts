/**
 * Admission for every connection and every streaming transport (`/ws` upgrades and
 * `/events/stream`): one gate with the same policies in the same order — shutdown,
 * `ALLOWED_ORIGINS`, `MAX_CONNECTIONS`, `MAX_CONNECTIONS_PER_IP`, then the token — and one count of
 * the slots it hands out (`SlotLedger`: this process's own, or the primary's for a `WORKERS`
 * instance, so both limits hold for the whole instance).
 *
 * Every open TCP connection holds a slot of its address from accept to close, whatever it carries:
 * a stream, a WebSocket, a REST keep-alive connection between requests, a request whose headers
 * are still arriving. A connection beyond `MAX_CONNECTIONS_PER_IP` is answered 429 and closed at
 * once. A stream takes a slot of `MAX_CONNECTIONS`; a stream pipelined behind another on the same
 * connection takes a further slot of its address too.
 *
 * Each process also keeps its file descriptors: it holds at most `socketBudget` sockets (the
 * open-file limit minus a reserve for everything else). At the budget it closes its oldest idle
 * keep-alive connection to make room, and refuses (503) only when none is idle; and one address may
 * hold at most half the budget in connections that carry no stream, so idle or half-sent requests
 * from one host never take the room others need.
 *
 * A stream's slot is a `Ticket`; the transport releases it when its connection ends, and the gate
 * releases every ticket of a connection when its socket closes (a response queued behind another
 * never sees its own 'close'). `release` is idempotent.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HttpErrorCode, RefusalStatus } from '../domain/protocol.js';
import type { Logger } from '../log.js';
import type { Metrics, RefusalLabel } from '../metrics.js';
import { tokenFrom, type Authenticator } from './auth.js';
import { SlotCounts, type SlotKind, type SlotLedger, type SlotVerdict } from './slots.js';
import { HandOff } from './hand-off.js';
import { socketBudget } from './socket-budget.js';
import { Ticket, type Admission, type Conn, type Refusal } from './ticket.js';
import { writeRefusal } from './raw-http.js';

/** Defined beside the gate, re-exported for its callers. */
export { Ticket, type Admission, type Refusal } from './ticket.js';
export { openFileLimit, socketBudget } from './socket-budget.js';
export { httpServerTimeouts, writeRefusal } from './raw-http.js';

export interface AdmissionOptions {
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly authenticator: Authenticator;
  /** Allowed `Origin` values (lower case); `undefined` allows any. */
  readonly allowedOrigins: readonly string[] | undefined;
  /** Streams of the instance (`MAX_CONNECTIONS`). */
  readonly maxConnections: number;
  /** Slots of one address in the instance (`MAX_CONNECTIONS_PER_IP`). */
  readonly maxConnectionsPerIp: number;
  /** Where slots are counted. @default this process's own `SlotCounts` with the two limits above */
  readonly ledger?: SlotLedger;
  /** Sockets this process may hold. @default the open-file limit minus a reserve (`socketBudget()`) */
  readonly socketBudget?: number;
  /** Refuse new streams (shutting down). */
  readonly accepting: () => boolean;
  /**
   * Passes a connection this process has no room for to another process of the instance (a
   * `WORKERS` worker: to the primary, which hands it to the worker with the most room); true when
   * it was passed on. Undefined in a single process: at the budget a connection is refused (503).
   */
  readonly handOff?: ((socket: Socket) => boolean) | undefined;
}

/** Seconds a refused client should wait: jittered, so refused clients do not all come back at once. */
const retryAfter = (): string => String(5 + Math.floor(Math.random() * 10));

/** How long a refused connection may stay open for the client to read its answer. */
const REFUSED_LINGER_MS = 2_000;

export class AdmissionControl {
  private readonly ledger: SlotLedger;
  private readonly conns = new WeakMap<Socket, Conn>();
  /** Sockets this process holds. */
  private sockets = 0;
  /** Streams admitted by this process and not released. */
  private streams = 0;
  /** This process's slots per address (connections and extra streams). */
  private readonly held = new Map<string, number>();
  /** Connections carrying no stream, per address. */
  private readonly plainPerIp = new Map<string, number>();
  /** Idle keep-alive connections, oldest first (a Set keeps insertion order). */
  private readonly idle = new Set<Conn>();
  private readonly budget: number;
  /** Connections without a stream one address may hold in this process. */
  private readonly plainCap: number;
  /** Passing connections to another worker near the budget (`WORKERS` > 1). */
  private readonly handOff: HandOff | undefined;
  /** The server's connection handler (set by `watch`), for connections handed over by another worker. */
  private connectionHandler: ((socket: Socket) => void) | undefined = undefined;

  constructor(private readonly options: AdmissionOptions) {
    this.ledger = options.ledger ?? new SlotCounts({ maxConnections: options.maxConnections, maxConnectionsPerIp: options.maxConnectionsPerIp });
    this.budget = options.socketBudget ?? socketBudget();
    this.plainCap = Math.max(1, Math.min(options.maxConnectionsPerIp, Math.floor(this.budget / 2)));
    this.handOff = options.handOff === undefined ? undefined : new HandOff(this.budget, options.handOff, options.logger, options.metrics);
  }

  /** Sockets this process may hold (its open-file limit minus a reserve). */
  get socketBudget(): number {
    return this.budget;
  }

  /** Streams admitted by this process and not yet released (including handshakes in progress). */
  get open(): number {
    return this.streams;
  }

  /** TCP connections this process holds. */
  get connections(): number {
    return this.sockets;
  }

  /** Slots one address holds in this process: its connections, plus streams pipelined behind another. */
  heldBy(ip: string): number {
    return this.held.get(ip) ?? 0;
  }

  /**
   * Counts every connection from accept to close: it takes a slot of its address (or is answered
   * 429 and closed), fits in the socket budget (or is answered 503), and is watched for requests
   * and upgrades, so idle keep-alive connections are known and can be closed to make room. The HTTP
   * server sees a connection only once it is admitted: a refused one never reaches a route, and one
   * waiting for the primary's answer is not read yet. The server's own `headersTimeout` (see
   * `httpServerTimeouts`) ends requests whose headers never finish.
   */
  watch(server: Server): void {
    // Node's own connection handling (the HTTP parser) runs for admitted connections only.
    const httpListeners = server.listeners('connection') as Array<(socket: Socket) => void>;
    server.removeAllListeners('connection');
    const handOver = (socket: Socket) => {
      for (const listener of httpListeners) listener.call(server, socket);
      socket.resume();
    };
    // Accepted sockets are not read until admitted (and a connection passed to another worker was
    // never read here): Node starts reading them only when `handOver` resumes them.
    (server as Server & { pauseOnConnect: boolean }).pauseOnConnect = true;
    this.connectionHandler = (socket: Socket) => this.onConnection(socket, handOver);
    server.on('connection', this.connectionHandler);
    // prepend: the connection must stop being idle before fastify or the WebSocket binding handles the request.
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
      const conn = this.conns.get(request.socket);
      if (conn === undefined || conn.closed) return;
      conn.busy += 1;
      this.idle.delete(conn);
      response.once('close', () => {
        conn.busy -= 1;
        this.reconsider(conn);
      });
    });
    server.prependListener('upgrade', (request: IncomingMessage) => {
      const conn = this.conns.get(request.socket);
      if (conn === undefined || conn.closed) return;
      conn.upgraded = true;
      this.idle.delete(conn);
      this.setPlain(conn, false);
    });
  }

  /** The primary has taken a connection this process passed on (its descriptor here is closed). */
  handedOff(): void {
    this.handOff?.taken();
  }

  /**
   * A connection another worker of the instance accepted and had no room for (`handOff` there):
   * admitted here like one of this process's own, but never passed on again, so a connection
   * cannot travel between full workers. Without a watched server it is closed.
   */
  adopt(socket: Socket): void {
    if (this.connectionHandler === undefined) {
      socket.destroy();
      return;
    }
    this.handOff?.adopt(socket);
    this.connectionHandler(socket);
  }

  private onConnection(socket: Socket, handOver: (socket: Socket) => void): void {
    // Near this process's budget, while the instance may have room: another worker takes it. It
    // was never read here (the server accepts paused), so what the client sent travels with it.
    if (this.handOff?.pass(socket, this.sockets) === true) return;
    const held = this.sockets + (this.handOff?.passing ?? 0);
    const ip = socket.remoteAddress ?? 'unknown';
    if (held >= this.budget && !this.shedIdle()) {
      // No room at all: answered, but not kept open for the client to read at leisure.
      this.refuseSocket(socket, this.refusal(RefusalStatus.TooManyConnections, 'max_sockets', HttpErrorCode.TooManyConnections, 'server at its connection capacity'), 0);
      return;
    }
    if ((this.plainPerIp.get(ip) ?? 0) >= this.plainCap) {
      this.refuseSocket(socket, this.perIpRefusal());
      return;
    }
    const conn: Conn = { socket, ip, holdsSlot: false, tickets: new Set(), busy: 0, upgraded: false, plain: false, closed: false };
    this.conns.set(socket, conn);
    this.sockets += 1;
    this.setPlain(conn, true);
    socket.once('close', () => this.forget(conn));
    const verdict = this.ledger.acquire('connection', ip);
    if (typeof verdict === 'string') {
      this.settleConnection(conn, verdict, handOver);
      return;
    }
    // The instance's answer comes from the primary. Until then nobody else listens on the socket.
    const onError = (error: Error) => this.options.logger.debug({ error: error.message }, 'connection error before admission');
    socket.on('error', onError);
    verdict.then(
      (answer) => {
        socket.off('error', onError);
        this.settleConnection(conn, answer, handOver);
      },
      (error: unknown) => {
        socket.off('error', onError);
        this.options.logger.error({ err: error }, 'admission: asking for a connection slot failed');
        this.settleConnection(conn, 'max_connections', handOver);
      },
    );
  }

  private settleConnection(conn: Conn, verdict: SlotVerdict, handOver: (socket: Socket) => void): void {
    if (verdict !== 'ok') {
      this.forget(conn);
      // 'max_connections' for a connection: the primary could not be asked (the instance is going away).
      const refusal =
        verdict === 'max_connections_per_ip'
          ? this.perIpRefusal()
          : this.refusal(RefusalStatus.TooManyConnections, 'max_connections', HttpErrorCode.TooManyConnections, 'server unavailable');
      if (!conn.socket.destroyed) this.refuseSocket(conn.socket, refusal);
      return;
    }
    if (conn.closed) {
      this.ledger.release('connection', conn.ip);
      return;
    }
    conn.holdsSlot = true;
    this.held.set(conn.ip, this.heldBy(conn.ip) + 1);
    handOver(conn.socket);
  }

  /** Every way a connection ends comes here (its socket's 'close', or being closed to make room); once. */
  private forget(conn: Conn): void {
    if (conn.closed) return;
    conn.closed = true;
    this.sockets -= 1;
    this.idle.delete(conn);
    this.setPlain(conn, false);
    // Streams queued on this connection never see their response close: their slots come back here.
    for (const ticket of conn.tickets) ticket.release();
    if (conn.holdsSlot) {
      conn.holdsSlot = false;
      decrement(this.held, conn.ip);
      this.ledger.release('connection', conn.ip);
    }
  }

  private setPlain(conn: Conn, plain: boolean): void {
    if (conn.plain === plain) return;
    conn.plain = plain;
    if (plain) this.plainPerIp.set(conn.ip, (this.plainPerIp.get(conn.ip) ?? 0) + 1);
    else decrement(this.plainPerIp, conn.ip);
  }

  /** After a request or a stream ended: a connection with nothing in flight is idle (and plain again). */
  private reconsider(conn: Conn): void {
    if (conn.closed || conn.upgraded || conn.tickets.size > 0) return;
    this.setPlain(conn, true);
    if (conn.busy === 0) {
      // Re-inserted: the Set's order is the order connections became idle.
      this.idle.delete(conn);
      this.idle.add(conn);
    }
  }

  /** Closes the oldest idle keep-alive connection to make room; false when there is none. */
  private shedIdle(): boolean {
    for (const conn of this.idle) {
      this.forget(conn);
      conn.socket.destroy();
      this.options.metrics?.idleConnectionsClosed.inc();
      return true;
    }
    return false;
  }

  /**
   * Answers a connection the HTTP server never saw, and closes it. It counts against the socket
   * budget until it is closed: a flood of refused connections must not run the process out of
   * descriptors either.
   */
  private refuseSocket(socket: Socket, refusal: Refusal, lingerMs = REFUSED_LINGER_MS): void {
    this.count(refusal.label);
    this.sockets += 1;
    socket.once('close', () => (this.sockets -= 1));
    socket.on('error', (error: Error) => this.options.logger.debug({ error: error.message }, 'refused connection: socket error'));
    // What the client sent is read and dropped (closing with unread data would reset the connection
    // and could lose the answer); the socket closes when the client closes, or soon after anyway.
    socket.resume();
    writeRefusal(socket, refusal);
    if (lingerMs === 0) socket.once('finish', () => socket.destroy());
    else setTimeout(() => socket.destroy(), lingerMs).unref();
  }

  /** A refused upgrade: the transport answers and ends the socket, which carries nothing more; its slot comes back now. */
  private retire(conn: Conn | undefined): void {
    if (conn === undefined || !conn.upgraded) return;
    this.forget(conn);
    setTimeout(() => conn.socket.destroy(), REFUSED_LINGER_MS).unref();
  }

  /**
   * Admits a stream or says why not. Takes the slot before the (asynchronous) token check, so
   * concurrent requests cannot overshoot. A refused upgrade gives its connection's slot back at
   * once (its socket carries nothing more), so a client that retries right after reading the
   * refusal does not find its own last attempt in the way.
   */
  async admit(request: IncomingMessage): Promise<Admission> {
    const admission = await this.decide(request);
    if (!admission.ok) this.retire(this.conns.get(request.socket));
    return admission;
  }

  private async decide(request: IncomingMessage): Promise<Admission> {
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
    const conn = this.conns.get(request.socket);
    const ip = conn?.ip ?? request.socket.remoteAddress ?? 'unknown';
    // The connection's own slot covers its first stream; one pipelined behind it needs another.
    const kind: SlotKind = conn === undefined || conn.closed || conn.tickets.size > 0 ? 'extra-stream' : 'stream';
    const ticket = new Ticket(this, conn, kind, ip);
    // On the connection while the ledger answers, so a request pipelined right behind counts as extra.
    if (conn !== undefined && !conn.closed) {
      conn.tickets.add(ticket);
      this.idle.delete(conn);
      this.setPlain(conn, false);
    }
    let verdict: SlotVerdict;
    try {
      const answer = this.ledger.acquire(kind, ip);
      verdict = typeof answer === 'string' ? answer : await answer;
    } catch (error) {
      ticket.release();
      throw error;
    }
    if (verdict !== 'ok') {
      ticket.release();
      return verdict === 'max_connections'
        ? this.refuse(RefusalStatus.TooManyConnections, 'max_connections', HttpErrorCode.TooManyConnections, 'too many connections', { 'Retry-After': retryAfter() })
        : this.refuseWith(this.perIpRefusal());
    }
    if (ticket.state === 'released') {
      // Its connection closed while the ledger answered: the slot goes straight back, and the
      // transport finds the socket gone.
      this.ledger.release(kind, ip);
      return { ok: true, ticket };
    }
    ticket.state = 'held';
    this.streams += 1;
    if (kind === 'extra-stream') this.held.set(ip, this.heldBy(ip) + 1);
    let auth;
    try {
      auth = await options.authenticator.verify(tokenFrom(request.headers, request.url));
    } catch (error) {
      ticket.release();
      throw error;
    }
    if (!auth.ok) {
      ticket.release();
      return this.refuse(RefusalStatus.Unauthorized, 'unauthorized', HttpErrorCode.Unauthorized, auth.reason, {
        'WWW-Authenticate': 'Bearer',
      });
    }
    ticket.expiry = auth.expiresAt;
    return { ok: true, ticket };
  }

  /** @internal called by `Ticket.release` only. */
  releaseTicket(ticket: Ticket): void {
    if (ticket.state === 'released') return;
    const wasHeld = ticket.state === 'held';
    ticket.state = 'released';
    if (wasHeld) {
      this.streams -= 1;
      if (ticket.kind === 'extra-stream') decrement(this.held, ticket.ip);
      this.ledger.release(ticket.kind, ticket.ip);
    }
    // A pending ticket is only taken off its connection: `admit` gives its slot back when the ledger answers.
    const { conn } = ticket;
    if (conn !== undefined && conn.tickets.delete(ticket)) this.reconsider(conn);
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

  private refusal(status: number, label: RefusalLabel, code: string, message: string, headers: Record<string, string> = { 'Retry-After': retryAfter() }): Refusal {
    return { status, label, code, message, headers };
  }

  private refuse(status: number, label: RefusalLabel, code: string, message: string, headers: Record<string, string> = {}): Admission {
    return this.refuseWith({ status, label, code, message, headers });
  }

  private refuseWith(refusal: Refusal): Admission {
    this.count(refusal.label);
    return { ok: false, refusal };
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

