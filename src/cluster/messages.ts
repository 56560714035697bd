/**
 * Messages between the `WORKERS` supervisor (the cluster primary) and its worker processes, over
 * node:cluster's IPC channel. The IPC bus's own message (a committed batch) lives beside the bus,
 * in src/bus/ipc-messages.ts. Every message carries `fsc` so it never collides with prom-client's
 * own aggregation messages on the same channel.
 */
import type { BatchMessage } from '../bus/ipc-messages.js';
import type { SlotsAnswer, SlotsRequest } from './slot-ledger.js';

export { isFscMessage } from '../bus/ipc-messages.js';

export type PrimaryMessage =
  /** Your role: the one writer (with its fencing token), or a fan-out-only follower. */
  | { readonly fsc: 'role'; readonly role: 'writer'; readonly fence: string }
  | { readonly fsc: 'role'; readonly role: 'follower' }
  /** A batch the writer committed, relayed to every other worker (the IPC bus's message). */
  | BatchMessage
  /** Stop gracefully (the instance is shutting down). */
  | { readonly fsc: 'shutdown' }
  /** The instance-wide metrics a worker asked for. */
  | { readonly fsc: 'metrics'; readonly id: number; readonly text: string; readonly error?: string }
  /** Answers to a worker's connection-slot requests (instance-wide admission). */
  | SlotsAnswer
  /** A connection another worker had no room for; its socket is passed with the message. */
  | { readonly fsc: 'handoff' }
  /** The primary took a connection this worker passed on (sent after Node's acknowledgement, so the worker's descriptor is closed). */
  | { readonly fsc: 'handoff-taken' };

export type WorkerMessage =
  /** The worker is listening and can take a role. */
  | { readonly fsc: 'ready' }
  /** The writer committed a batch (the IPC bus's message). */
  | BatchMessage
  /** A worker's `/metrics` asks for every worker's metrics, aggregated. */
  | { readonly fsc: 'metrics'; readonly id: number }
  /** Connection slots taken and given back (instance-wide admission). */
  | SlotsRequest
  /** A connection this worker has no room for, for another worker; its socket is passed with the message. */
  | { readonly fsc: 'handoff' }
  /** The worker cannot start (sent just before it exits): why, in one line. */
  | { readonly fsc: 'failed'; readonly message: string };

/** Environment a worker is started with: declared (and read) in config.ts. */
export { WorkerEnv } from '../config.js';
