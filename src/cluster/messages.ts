/**
 * Messages between the `WORKERS` supervisor (the cluster primary) and its worker processes, over
 * node:cluster's IPC channel. Every message carries `fsc` so it never collides with prom-client's
 * own aggregation messages on the same channel.
 */
import type { CommittedBatch } from '../bus/types.js';
import type { SlotsAnswer, SlotsRequest } from './slot-ledger.js';

export type PrimaryMessage =
  /** Your role: the one writer (with its fencing token), or a fan-out-only follower. */
  | { readonly fsc: 'role'; readonly role: 'writer'; readonly fence: string }
  | { readonly fsc: 'role'; readonly role: 'follower' }
  /** A batch the writer committed, relayed to every other worker. */
  | { readonly fsc: 'batch'; readonly batch: CommittedBatch }
  /** Stop gracefully (the instance is shutting down). */
  | { readonly fsc: 'shutdown' }
  /** The instance-wide metrics a worker asked for. */
  | { readonly fsc: 'metrics'; readonly id: number; readonly text: string; readonly error?: string }
  /** Answers to a worker's connection-slot requests (instance-wide admission). */
  | SlotsAnswer;

export type WorkerMessage =
  /** The worker is listening and can take a role. */
  | { readonly fsc: 'ready' }
  /** The writer committed a batch. */
  | { readonly fsc: 'batch'; readonly batch: CommittedBatch }
  /** A worker's `/metrics` asks for every worker's metrics, aggregated. */
  | { readonly fsc: 'metrics'; readonly id: number }
  /** Connection slots taken and given back (instance-wide admission). */
  | SlotsRequest
  /** The worker cannot start (sent just before it exits): why, in one line. */
  | { readonly fsc: 'failed'; readonly message: string };

export const isFscMessage = (message: unknown): message is { fsc: string } =>
  typeof message === 'object' && message !== null && typeof (message as { fsc?: unknown }).fsc === 'string';

/** Environment a worker is started with: declared (and read) in config.ts. */
export { WorkerEnv } from '../config.js';
