/**
 * A worker's side of the `WORKERS` supervisor: it learns its role (writer or follower) from the
 * primary, says when it is ready, and asks for the instance-wide metrics for `/metrics`.
 */
import { Socket } from 'node:net';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { isFscMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';

/** The channel to the primary (the worker's `process`); the IPC bus sends its batches over it too. */
export interface PrimaryChannel {
  /** `socket`: a connection passed with the message (node:child_process sends its descriptor). */
  send(message: WorkerMessage, socket?: Socket): unknown;
  on(event: 'message', listener: (message: unknown, handle?: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

export type WorkerRole = { readonly role: 'writer'; readonly fence: string } | { readonly role: 'follower' };

/** How long a worker waits for the aggregated metrics before answering with an error. */
const METRICS_TIMEOUT_MS = 6_000;

export class WorkerLink {
  private roleListener: ((role: WorkerRole) => void) | undefined;
  private shutdownListener: (() => void) | undefined;
  private handedOverListener: ((socket: Socket) => void) | undefined;
  private takenListener: (() => void) | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();

  constructor(
    readonly channel: PrimaryChannel,
    /** Number of workers of the instance. */
    readonly workerCount: number,
  ) {
    channel.on('message', (message: unknown, handle?: unknown) => {
      if (!isFscMessage(message)) return;
      const msg = message as PrimaryMessage;
      if (msg.fsc === 'handoff') {
        if (!(handle instanceof Socket)) return;
        if (this.handedOverListener === undefined) handle.destroy();
        else this.handedOverListener(handle);
      } else if (msg.fsc === 'handoff-taken') {
        this.takenListener?.();
      } else if (msg.fsc === 'role') {
        this.roleListener?.(msg.role === 'writer' ? { role: 'writer', fence: msg.fence } : { role: 'follower' });
      } else if (msg.fsc === 'shutdown') {
        this.shutdownListener?.();
      } else if (msg.fsc === 'metrics') {
        const request = this.pending.get(msg.id);
        if (request === undefined) return;
        this.pending.delete(msg.id);
        clearTimeout(request.timer);
        if (msg.error !== undefined) request.reject(new Error(`metrics aggregation failed: ${msg.error}`));
        else request.resolve(msg.text);
      }
    });
  }

  /** The registry whose metrics this worker contributes to the instance-wide `/metrics`. */
  contribute(registry: Registry): void {
    // Constructing one installs prom-client's worker-side listener; it answers from these registries.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([registry]);
  }

  onShutdown(listener: () => void): void {
    this.shutdownListener = listener;
  }

  /** Connections another worker had no room for, passed on by the primary (see `handOff`). */
  onHandedOver(listener: (socket: Socket) => void): void {
    this.handedOverListener = listener;
  }

  /** The primary took a connection this worker passed on (`handOff`). */
  onHandOffTaken(listener: () => void): void {
    this.takenListener = listener;
  }

  /**
   * Passes a connection this worker has no room for to the primary, which hands it to the worker
   * with the most room. The socket must not have been read (the bytes the client sent go with
   * it). False when there is no other worker or no channel: the caller keeps it.
   */
  handOff(socket: Socket): boolean {
    if (this.workerCount < 2 || socket.destroyed) return false;
    try {
      this.channel.send({ fsc: 'handoff' } satisfies WorkerMessage, socket);
      return true;
    } catch {
      // The channel is closing (the instance is going away): the socket stays here.
      return false;
    }
  }

  onRole(listener: (role: WorkerRole) => void): void {
    this.roleListener = listener;
  }

  ready(): void {
    this.channel.send({ fsc: 'ready' } satisfies WorkerMessage);
  }

  /** Every worker's metrics, aggregated by the primary (prom-client's AggregatorRegistry). */
  clusterMetrics(): Promise<string> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // unref: a metrics request must not keep a stopping worker alive.
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('metrics aggregation timed out'));
      }, METRICS_TIMEOUT_MS).unref();
      this.pending.set(id, { resolve, reject, timer });
      this.channel.send({ fsc: 'metrics', id } satisfies WorkerMessage);
    });
  }
}
