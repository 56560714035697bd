/**
 * Instance-wide connection slots for a `WORKERS` instance: the primary holds the one `SlotCounts`
 * of the instance and every worker asks it over IPC, so `MAX_CONNECTIONS` and
 * `MAX_CONNECTIONS_PER_IP` hold for the instance exactly (never a slot over either limit, never a
 * refusal under it), whatever `WORKERS` is and however unevenly connections spread over workers.
 *
 * Why counts in the primary rather than leases of slots in blocks: a per-address limit is small
 * (4 slots spread over 2 workers leave no block to lease), and free slots leased to one worker are
 * slots another worker must refuse. The price is one IPC round trip before a connection is read
 * and another before a stream is admitted; requests made in the same turn of the event loop travel
 * in one message each way, and while a worker's request is unanswered its next acquires wait and
 * leave together when the answer comes (at most one request in flight, as Nagle's algorithm does for
 * small segments): a connection storm costs one message per round trip, not per connection or per
 * turn (`bench/admission.mjs` measures it; in bench:scale's storm the per-turn messages were most of
 * a worker's IPC writes). Releases need no answer and leave at once.
 *
 * A worker that dies holds nothing any more: the primary drops its slots with it.
 */
import type { SlotKind, SlotLedger, SlotLimits, SlotVerdict } from '../server/slots.js';
import { SlotCounts } from '../server/slots.js';

/** A worker's request: acquire `[id, kind, ip]`, release `[kind, ip]`. */
export interface SlotsRequest {
  readonly fsc: 'slots';
  readonly acquire?: ReadonlyArray<readonly [number, SlotKind, string]>;
  readonly release?: ReadonlyArray<readonly [SlotKind, string]>;
}

/** The primary's answers: `[id, verdict]` for each acquire. */
export interface SlotsAnswer {
  readonly fsc: 'slots';
  readonly verdicts: ReadonlyArray<readonly [number, SlotVerdict]>;
}

/** The worker's end of the IPC channel (its `process`). */
export interface SlotChannel {
  send(message: SlotsRequest, callback?: (error: Error | null) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

const KINDS: ReadonlySet<string> = new Set<SlotKind>(['connection', 'stream', 'extra-stream']);

const isSlotsMessage = (message: unknown): message is { fsc: 'slots' } =>
  typeof message === 'object' && message !== null && (message as { fsc?: unknown }).fsc === 'slots';

/** A worker's ledger: every acquire is answered by the primary. */
export class WorkerSlotLedger implements SlotLedger {
  private nextId = 1;
  private readonly waiting = new Map<number, (verdict: SlotVerdict) => void>();
  private acquires: Array<readonly [number, SlotKind, string]> = [];
  private releases: Array<readonly [SlotKind, string]> = [];
  private scheduled = false;
  /** A request with acquires is unanswered: further acquires wait for its answer. */
  private awaiting = false;

  constructor(private readonly channel: SlotChannel) {
    channel.on('message', (message: unknown) => {
      if (!isSlotsMessage(message)) return;
      const verdicts = (message as Partial<SlotsAnswer>).verdicts;
      if (!Array.isArray(verdicts)) return;
      for (const [id, verdict] of verdicts) {
        const resolve = this.waiting.get(id);
        if (resolve === undefined) continue;
        this.waiting.delete(id);
        resolve(verdict);
      }
      this.awaiting = false;
      if (this.acquires.length > 0) this.schedule();
    });
  }

  /** Acquires waiting for the primary's answer. */
  get pending(): number {
    return this.waiting.size;
  }

  acquire(kind: SlotKind, ip: string): Promise<SlotVerdict> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.waiting.set(id, resolve);
      this.acquires.push([id, kind, ip]);
      this.schedule();
    });
  }

  release(kind: SlotKind, ip: string): void {
    this.releases.push([kind, ip]);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // One message per turn of the event loop: the connections a turn accepted ask together.
    setImmediate(() => this.flush());
  }

  /** Messages sent to the primary (tests and benchmarks read it). */
  messages = 0;

  private flush(): void {
    this.scheduled = false;
    const release = this.releases;
    this.releases = [];
    let acquire: Array<readonly [number, SlotKind, string]> = [];
    if (!this.awaiting) {
      acquire = this.acquires;
      this.acquires = [];
    }
    if (acquire.length === 0 && release.length === 0) return;
    if (acquire.length > 0) this.awaiting = true;
    const message: SlotsRequest = { fsc: 'slots', ...(acquire.length > 0 ? { acquire } : {}), ...(release.length > 0 ? { release } : {}) };
    const refuseAll = () => {
      // No primary to ask (the instance is going away): refuse rather than admit uncounted.
      for (const [id] of acquire) {
        const resolve = this.waiting.get(id);
        this.waiting.delete(id);
        resolve?.('max_connections');
      }
      if (acquire.length > 0) {
        this.awaiting = false;
        if (this.acquires.length > 0) this.schedule();
      }
    };
    this.messages += 1;
    try {
      this.channel.send(message, (error) => {
        if (error) refuseAll();
      });
    } catch {
      refuseAll();
    }
  }
}

/** A worker's holdings, so they can be dropped when it dies. */
interface Holdings {
  streams: number;
  /** Slots of addresses (connections, and streams pipelined behind another): about the sockets it holds. */
  connections: number;
  readonly perIp: Map<string, number>;
}

/** The primary's ledger: the instance's counts, and what each worker holds of them. */
export class PrimarySlotLedger {
  private readonly counts: SlotCounts;
  private readonly byWorker = new Map<number, Holdings>();

  constructor(limits: SlotLimits) {
    this.counts = new SlotCounts(limits);
  }

  /** Open streams of the instance. */
  get streams(): number {
    return this.counts.streams;
  }

  /** Slots one address holds in the instance. */
  heldBy(ip: string): number {
    return this.counts.heldBy(ip);
  }

  /** Applies a worker's releases, then its acquires; returns the answer to send back (undefined: nothing to answer). */
  handle(worker: number, message: unknown): SlotsAnswer | undefined {
    if (!isSlotsMessage(message)) return undefined;
    const request = message as Partial<SlotsRequest>;
    const holdings = this.holdingsOf(worker);
    for (const entry of Array.isArray(request.release) ? request.release : []) {
      const [kind, ip] = entry;
      if (!KINDS.has(kind) || typeof ip !== 'string') continue;
      // Only what this worker holds: a stray release must not free another worker's slot.
      if (kind !== 'connection' && holdings.streams <= 0) continue;
      if (kind !== 'stream' && (holdings.perIp.get(ip) ?? 0) <= 0) continue;
      this.counts.release(kind, ip);
      this.apply(holdings, kind, ip, -1);
    }
    const verdicts: Array<readonly [number, SlotVerdict]> = [];
    for (const entry of Array.isArray(request.acquire) ? request.acquire : []) {
      const [id, kind, ip] = entry;
      if (typeof id !== 'number') continue;
      if (!KINDS.has(kind) || typeof ip !== 'string') {
        verdicts.push([id, 'max_connections']);
        continue;
      }
      const verdict = this.counts.acquire(kind, ip);
      if (verdict === 'ok') this.apply(holdings, kind, ip, 1);
      verdicts.push([id, verdict]);
    }
    return verdicts.length > 0 ? { fsc: 'slots', verdicts } : undefined;
  }

  /** Of `workers`, the one holding the fewest connections (the first of equals); undefined when none is given. */
  roomiest(workers: Iterable<number>): number | undefined {
    let best: number | undefined;
    let fewest = Infinity;
    for (const worker of workers) {
      const held = this.byWorker.get(worker)?.connections ?? 0;
      if (held < fewest) {
        fewest = held;
        best = worker;
      }
    }
    return best;
  }

  /** Gives back everything a worker held (it exited). */
  forget(worker: number): void {
    const holdings = this.byWorker.get(worker);
    if (holdings === undefined) return;
    this.byWorker.delete(worker);
    for (; holdings.streams > 0; holdings.streams -= 1) this.counts.release('stream', '');
    for (const [ip, count] of holdings.perIp) for (let i = 0; i < count; i += 1) this.counts.release('connection', ip);
  }

  private holdingsOf(worker: number): Holdings {
    let holdings = this.byWorker.get(worker);
    if (holdings === undefined) {
      holdings = { streams: 0, connections: 0, perIp: new Map() };
      this.byWorker.set(worker, holdings);
    }
    return holdings;
  }

  private apply(holdings: Holdings, kind: SlotKind, ip: string, delta: 1 | -1): void {
    if (kind !== 'connection') holdings.streams += delta;
    if (kind !== 'stream') {
      holdings.connections += delta;
      const held = (holdings.perIp.get(ip) ?? 0) + delta;
      if (held <= 0) holdings.perIp.delete(ip);
      else holdings.perIp.set(ip, held);
    }
  }
}
