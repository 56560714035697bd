/**
 * Writing to clients, and the two bounds on what they fail to read: each client's unsent bytes
 * (beyond one exempt unit, see `exemptBytes`) against `slowConsumerBytes`, and all clients' together
 * against `totalUnsentBytes`. Over either, the client is closed as a slow consumer (4008).
 */
import { CloseCode } from '../domain/protocol.js';
import type { CloseReasonLabel } from '../metrics.js';
import { exemptBytes, type Client } from './client.js';
import { OutboundFrame } from './connection.js';

export interface OutboundOptions {
  readonly slowConsumerBytes: number;
  /** Instance-wide bound on unsent bytes over all clients. @default Infinity */
  readonly totalUnsentBytes?: number | undefined;
  /** Every connected client (counted when the instance budget is checked). */
  readonly clients: Iterable<Client>;
  /** Closes a client with a protocol code (the hub's `closeClient`). */
  readonly close: (client: Client, code: CloseCode, label: CloseReasonLabel) => void;
}

export class Outbound {
  /** Unsent bytes over all clients when last counted, plus (an over-estimate) what was sent since. */
  private unsentEstimate = 0;
  private budgetCheckScheduled = false;
  private readonly slowConsumerBytes: number;
  private readonly budget: number;

  constructor(private readonly options: OutboundOptions) {
    this.slowConsumerBytes = options.slowConsumerBytes;
    this.budget = options.totalUnsentBytes ?? Infinity;
  }

  /** Closes the client with a protocol code (the hub's `closeClient`). */
  close(client: Client, code: CloseCode, label: CloseReasonLabel): void {
    this.options.close(client, code, label);
  }

  /** A frame of this client's own (a reply, SUBSCRIBED, SNAPSHOT). */
  sendText(client: Client, text: string, type: string, offset?: number): void {
    if (client.closed) return;
    this.write(client, new OutboundFrame(text, type, offset));
  }

  /** A frame shared by many clients that is not an event (e.g. `UPSTREAM_STATUS`): encoded once by the caller. */
  sendShared(client: Client, frame: OutboundFrame): void {
    if (client.closed) return;
    this.write(client, frame);
  }

  /**
   * An event's frame: the client has now reached `seq`. `alone`: the fan-out has no further frame
   * for this client in this turn (see `Connection.send`).
   */
  deliver(client: Client, frame: OutboundFrame, seq: number, alone = false): void {
    client.lastSentSeq = seq;
    this.write(client, frame, alone);
  }

  /**
   * Hands one frame to the connection and checks what the client has failed to read against the
   * cap: its unsent bytes less those of its unit still unsent (`exemptBytes`). `written` counts the
   * stream's bytes as `bufferedAmount` does, so the unsent ones are its last `bufferedAmount`.
   */
  private write(client: Client, frame: OutboundFrame, alone = false): void {
    const { connection } = client;
    client.written += connection.send(frame, alone);
    const buffered = connection.bufferedAmount;
    this.unsentEstimate += frame.text.length;
    const cap = this.slowConsumerBytes;
    if (buffered > cap && buffered - exemptBytes(client, buffered) > cap) {
      // Stop queueing at once; the client reconnects and resumes from its last seq.
      this.options.close(client, CloseCode.SlowConsumer, 'slow_consumer');
    }
  }

  /**
   * Keeps the unsent bytes of all clients together under `totalUnsentBytes`, so many clients that
   * stop reading cannot pin gigabytes between them (each alone stays under `slowConsumerBytes`).
   * Counting every client's backlog is O(clients), so it runs only once the running estimate (bytes
   * sent since the last count, which over-states what is still unsent) passes the budget. Beyond it
   * the largest backlogs are closed first (4008): they hold the most memory and are the furthest behind.
   * A live batch still draining as its client's unit is not counted: its frames are shared by every
   * client, so it costs the instance one copy, not one per client. A SNAPSHOT or replay page is
   * the client's own bytes and counts.
   */
  enforceUnsentBudget(): void {
    const budget = this.budget;
    if (this.unsentEstimate <= budget) return;
    let total = 0;
    const backlogged: Array<{ client: Client; bytes: number }> = [];
    for (const client of this.options.clients) {
      if (client.closed) continue;
      const buffered = client.connection.bufferedAmount;
      const exempt = exemptBytes(client, buffered);
      const bytes = client.unitShared ? buffered - exempt : buffered;
      if (bytes === 0) continue;
      total += bytes;
      backlogged.push({ client, bytes });
    }
    if (total > budget) {
      backlogged.sort((a, b) => b.bytes - a.bytes);
      for (const { client, bytes } of backlogged) {
        if (total <= budget) break;
        client.logger.warn({ unsent_bytes: bytes, total_unsent_bytes: total }, 'instance-wide unsent-bytes budget exceeded');
        this.options.close(client, CloseCode.SlowConsumer, 'slow_consumer');
        total -= bytes;
      }
    }
    this.unsentEstimate = total;
  }

  /**
   * Runs `enforceUnsentBudget` on the next turn of the event loop, once the corked writes of this
   * one have been handed to the kernel: a client's own SNAPSHOT or replay page counts for what the
   * kernel could not take, not for what was just written.
   */
  scheduleBudgetCheck(): void {
    if (this.budgetCheckScheduled || this.unsentEstimate <= this.budget) return;
    this.budgetCheckScheduled = true;
    setImmediate(() => {
      this.budgetCheckScheduled = false;
      this.enforceUnsentBudget();
    });
  }
}
