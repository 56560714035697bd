/**
 * Passing connections between the workers of an instance (`WORKERS` > 1): a worker near its socket
 * budget passes each new connection, unread, to the primary, which hands it to the worker holding
 * the fewest connections (src/cluster/supervisor.ts). The admission gate asks `pass` first for every
 * connection it accepts; one handed over by another worker is marked `adopted` and never passed on
 * again, so a connection cannot travel between full workers.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

/**
 * Sockets kept free below the budget before a worker passes new connections on: it keeps room for
 * what it is already serving (a connection handed to it, a stream pipelined behind another).
 */
const handOffAt = (budget: number): number => Math.max(1, budget - Math.max(8, Math.ceil(budget / 50)));
/**
 * Connections being passed on still hold a descriptor here until the primary has taken them: they
 * may use this much of the reserve beyond the budget (see `socketBudget`), and no more — past it a
 * connection is refused (503) rather than leave the process without descriptors (where the kernel
 * would reset every new connection).
 */
const handOffSlack = (budget: number): number => Math.max(32, Math.ceil(budget / 200));

export class HandOff {
  private readonly from: number;
  private readonly limit: number;
  /** Connections passed on that the primary has not taken yet (each still holds a descriptor here). */
  private passingCount = 0;
  /** Passing connections on (logged once each time it starts). */
  private active = false;
  private readonly adopted = new WeakSet<Socket>();

  /** @param send passes a socket to the primary; false when it could not (the caller keeps it) */
  constructor(
    private readonly budget: number,
    private readonly send: (socket: Socket) => boolean,
    private readonly logger: Logger,
    private readonly metrics: Metrics | undefined,
  ) {
    this.from = handOffAt(budget);
    this.limit = budget + handOffSlack(budget);
  }

  /** Descriptors still held by connections being passed on. */
  get passing(): number {
    return this.passingCount;
  }

  /** A connection another worker passed to this one. */
  adopt(socket: Socket): void {
    this.adopted.add(socket);
  }

  /** The primary has taken a connection this process passed on (its descriptor here is closed). */
  taken(): void {
    if (this.passingCount > 0) this.passingCount -= 1;
  }

  /**
   * Passes `socket` on when this process holds `sockets` (its own, admitted) and is near its budget;
   * true when it did, and the socket is no longer this process's.
   */
  pass(socket: Socket, sockets: number): boolean {
    const held = sockets + this.passingCount;
    if (held < this.from) {
      this.active = false;
      return false;
    }
    if (held >= this.limit || this.adopted.has(socket) || !this.send(socket)) return false;
    this.passingCount += 1;
    this.metrics?.connectionsHandedOff.inc();
    if (!this.active) {
      this.active = true;
      this.logger.info({ sockets, socket_budget: this.budget }, 'near this process’s socket budget: new connections go to the worker with the most room');
    }
    return true;
  }
}
