/**
 * The bus between the workers of one instance (`WORKERS` > 1): the writer worker sends each
 * committed batch to the primary, which relays it to every other worker in the order received.
 * A worker delivers batches in `seq` order without gaps: should a batch arrive after a hole (it
 * joined late, or a relay was lost with a dying writer), the missing events are read from the
 * shared store first (see `OrderedBus`).
 */
import { isBatchEnvelope, isBatchMessage, type BatchMessage } from './ipc-messages.js';
import { OrderedBus, type OrderedBusOptions } from './ordered-bus.js';
import type { CommittedBatch } from './types.js';
import { MalformedBatchError } from '../errors.js';

/** The channel to the primary (the worker's `process`; tests may pass another). */
export interface PrimaryChannel {
  send(message: BatchMessage): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** A relayed batch that is not what the writer sends (defined in the error catalogue, src/errors.ts). */
export { MalformedBatchError };

export interface IpcBusOptions extends OrderedBusOptions {
  readonly channel: PrimaryChannel;
}

export class IpcBus extends OrderedBus {
  private readonly channel: PrimaryChannel;

  constructor(options: IpcBusOptions) {
    super(options);
    this.channel = options.channel;
    this.channel.on('message', this.onMessage);
  }

  private readonly onMessage = (message: unknown): void => {
    if (isBatchMessage(message)) this.receive(message.batch);
    else if (isBatchEnvelope(message)) this.report(new MalformedBatchError('a relayed batch is malformed; dropped (the next batch reads the hole from the store)'));
  };

  protected transmit(batch: CommittedBatch): void {
    this.channel.send({ fsc: 'batch', batch });
    this.receive(batch);
  }

  override close(): Promise<void> {
    this.channel.off('message', this.onMessage);
    return super.close();
  }
}
