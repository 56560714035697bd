/**
 * What the IPC bus sends over node:cluster's IPC channel, beside the bus that sends it: a worker
 * (the writer) sends each committed batch to the primary, which relays the same message to every
 * other worker. Every message on the channel carries `fsc` (the supervisor's messages too, see
 * src/cluster/messages.ts), so it never collides with prom-client's own aggregation messages.
 */
import type { CommittedBatch } from './types.js';

/** A batch the writer committed: sent by the writer worker, relayed by the primary. */
export interface BatchMessage {
  readonly fsc: 'batch';
  readonly batch: CommittedBatch;
}

/** A message of ours on the shared channel (anything else is someone else's). */
export const isFscMessage = (message: unknown): message is { fsc: string } =>
  typeof message === 'object' && message !== null && typeof (message as { fsc?: unknown }).fsc === 'string';

export const isBatchMessage = (message: unknown): message is BatchMessage => isFscMessage(message) && message.fsc === 'batch';
