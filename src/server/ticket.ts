/**
 * A stream's slot (`Ticket`), the connection it belongs to, and why a stream was refused: what the
 * admission gate (admission.ts) hands out and the transports hold.
 */
import type { Socket } from 'node:net';
import type { RefusalLabel } from '../metrics.js';
import type { SlotKind } from './slots.js';

/** The gate a ticket is given back to. */
interface TicketOwner {
  releaseTicket(ticket: Ticket): void;
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

/** One TCP connection, from accept to close. */
export interface Conn {
  readonly socket: Socket;
  readonly ip: string;
  /** It holds its address's slot (the ledger granted it). */
  holdsSlot: boolean;
  /** Streams admitted on it and not yet released. */
  readonly tickets: Set<Ticket>;
  /** Requests in flight (answered or not). */
  busy: number;
  /** A WebSocket (or any upgrade): never idle, never plain again. */
  upgraded: boolean;
  /** Counted among its address's connections that carry no stream. */
  plain: boolean;
  closed: boolean;
}

/** One admitted stream's slot. */
export class Ticket {
  /** @internal `pending` while the ledger answers. */
  state: 'pending' | 'held' | 'released' = 'pending';
  /** @internal */
  expiry: number | undefined;
  constructor(
    private readonly owner: TicketOwner,
    /** @internal */ readonly conn: Conn | undefined,
    /** @internal */ readonly kind: SlotKind,
    readonly ip: string,
  ) {}

  /** Token expiry (epoch ms), if the token has one. */
  get expiresAt(): number | undefined {
    return this.expiry;
  }

  private onReleased: Array<() => void> | undefined;

  /**
   * Calls `listener` once when the slot is given back, whoever gives it back: the transport, or the
   * gate when the connection's socket closes (a response queued behind another on a pipelined
   * connection never emits its own 'close'). At once if it is back already.
   */
  onRelease(listener: () => void): void {
    if (this.state === 'released') listener();
    else (this.onReleased ??= []).push(listener);
  }

  /** Gives the slot back; later calls do nothing. */
  release(): void {
    if (this.state === 'released') return;
    this.owner.releaseTicket(this);
    const listeners = this.onReleased;
    this.onReleased = undefined;
    for (const listener of listeners ?? []) listener();
  }
}

export type Admission = { readonly ok: true; readonly ticket: Ticket } | { readonly ok: false; readonly refusal: Refusal };
