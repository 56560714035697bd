/**
 * The instance's connection slots: how many streams are open (`MAX_CONNECTIONS`) and how many slots
 * each address holds (`MAX_CONNECTIONS_PER_IP`). One `SlotCounts` holds them for the whole instance:
 * in a single process it is the process's own; with `WORKERS` it lives in the primary and every
 * worker asks it over IPC (`cluster/slot-ledger.ts`), so the limits hold for the instance whatever
 * `WORKERS` is.
 *
 * What takes a slot of an address: every open TCP connection from it (whatever it carries: a
 * WebSocket, an SSE stream, REST keep-alive, a request whose headers are still arriving), plus each
 * stream beyond the first on one connection (SSE requests pipelined behind a stream). What takes a
 * slot of `MAX_CONNECTIONS`: every stream (WebSocket or SSE), not plain HTTP connections, so a full
 * server still answers `/health`.
 */

/** What a slot is for. */
export type SlotKind =
  /** An open TCP connection: one slot of its address. */
  | 'connection'
  /** A stream on a connection that carries no other: one slot of `MAX_CONNECTIONS` (its address's is the connection's). */
  | 'stream'
  /** A further stream on a connection that already carries one: a slot of both. */
  | 'extra-stream';

/** Which limit refused a slot. */
export type SlotRefusal = 'max_connections' | 'max_connections_per_ip';
export type SlotVerdict = 'ok' | SlotRefusal;

/**
 * Where slots are taken and given back. `acquire` answers at once in a single process and
 * asynchronously through the primary of a `WORKERS` instance; `release` never waits.
 */
export interface SlotLedger {
  acquire(kind: SlotKind, ip: string): SlotVerdict | Promise<SlotVerdict>;
  release(kind: SlotKind, ip: string): void;
}

export interface SlotLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
}

/** Exact counts against the limits: never more than either, never a refusal below either. */
export class SlotCounts implements SlotLedger {
  private streamCount = 0;
  private readonly perIp = new Map<string, number>();

  constructor(private readonly limits: SlotLimits) {}

  /** Open streams. */
  get streams(): number {
    return this.streamCount;
  }

  /** Slots held by one address. */
  heldBy(ip: string): number {
    return this.perIp.get(ip) ?? 0;
  }

  /** Addresses holding at least one slot. */
  get addresses(): number {
    return this.perIp.size;
  }

  acquire(kind: SlotKind, ip: string): SlotVerdict {
    const stream = kind !== 'connection';
    const perIp = kind !== 'stream';
    if (stream && this.streamCount >= this.limits.maxConnections) return 'max_connections';
    if (perIp && this.heldBy(ip) >= this.limits.maxConnectionsPerIp) return 'max_connections_per_ip';
    if (stream) this.streamCount += 1;
    if (perIp) this.perIp.set(ip, this.heldBy(ip) + 1);
    return 'ok';
  }

  release(kind: SlotKind, ip: string): void {
    if (kind !== 'connection') this.streamCount = Math.max(0, this.streamCount - 1);
    if (kind !== 'stream') {
      const held = this.heldBy(ip) - 1;
      if (held <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, held);
    }
  }
}
