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

/** A message that says it is a batch (`fsc: 'batch'`), whether or not it is well-formed. */
export const isBatchEnvelope = (message: unknown): message is { fsc: 'batch'; batch?: unknown } => isFscMessage(message) && message.fsc === 'batch';

const STRING_FIELDS = ['eventId', 'type', 'matchId', 'leagueId', 'homeTeamKey', 'awayTeamKey', 'timestamp', 'json'] as const;

/** A relayed event as the writer sent it: a positive integer seq and every routing and wire field a string. */
function isStoredEvent(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Record<string, unknown>;
  return Number.isSafeInteger(event['seq']) && (event['seq'] as number) > 0 && STRING_FIELDS.every((field) => typeof event[field] === 'string');
}

/**
 * A batch message, checked: events in strictly increasing `seq` order, each well-formed. The channel
 * is ours, but a batch that is not what the writer sends must not reach the hub (its JSON goes to
 * clients verbatim); dropping one loses nothing, as the next batch's hole is read from the store.
 */
export function isBatchMessage(message: unknown): message is BatchMessage {
  if (!isBatchEnvelope(message)) return false;
  const batch = message.batch as Partial<Record<keyof CommittedBatch, unknown>> | undefined;
  if (typeof batch !== 'object' || batch === null || !Array.isArray(batch.events)) return false;
  if (!Number.isSafeInteger(batch.seq) || typeof batch.statesChanged !== 'boolean') return false;
  let previous = 0;
  for (const event of batch.events as unknown[]) {
    if (!isStoredEvent(event)) return false;
    const { seq } = event as { seq: number };
    if (seq <= previous) return false;
    previous = seq;
  }
  return true;
}
