/**
 * What the hub needs from a client connection: four members, so the hub never touches the socket
 * library and a binding (src/server/ws.ts) adapts whatever library serves the sockets.
 */

/**
 * A text frame that is the same for every recipient. The JSON text is produced once; bindings
 * may cache their own encoded form on it (`prepared`), so a frame is encoded once per event,
 * not once per client.
 */
export class OutboundFrame {
  /** Binding-specific encoding, filled on first send and reused for every other client. */
  prepared: unknown = undefined;
  constructor(readonly text: string) {}
}

export interface Connection {
  send(frame: OutboundFrame): void;
  /** Bytes accepted by `send` but not yet handed to the network. */
  readonly bufferedAmount: number;
  /** Starts the closing handshake with a code from `CloseCode`. */
  close(code: number, reason: string): void;
  /** Drops the connection without a handshake. */
  terminate(): void;
}
