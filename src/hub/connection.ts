/**
 * What the hub needs from a client connection: four members, so the hub never touches the socket
 * library and a binding (src/server/ws.ts, src/server/sse.ts) adapts whatever serves the sockets.
 */

/**
 * A frame that is the same for every recipient, on every transport. The JSON text is produced once
 * (for an event, when it is recorded); each transport encodes it once through its own `FrameCache`,
 * so a frame is encoded once per event and transport, not once per client.
 */
export class OutboundFrame {
  /**
   * @param text the JSON frame, exactly as the WebSocket sends it
   * @param type the frame's `type` (an event type, `SUBSCRIBED`, `SNAPSHOT`, …): SSE names its messages with it
   * @param offset the stream position a client has reached once it has this frame (an event's `seq`,
   *   the `seq` a subscription starts from); `undefined` for frames that do not move the stream
   */
  constructor(
    readonly text: string,
    readonly type: string,
    readonly offset?: number,
  ) {}
}

/**
 * One transport's encoded form of frames, filled on first use and shared by every client of that
 * transport. Each binding owns its cache, so bytes encoded for one transport (a WebSocket frame)
 * can never be written by another (an SSE message); the `WeakMap` lets a frame and its encodings go
 * together once no client holds it.
 */
export class FrameCache<T> {
  private readonly encoded = new WeakMap<OutboundFrame, T>();
  constructor(private readonly encode: (frame: OutboundFrame) => T) {}

  get(frame: OutboundFrame): T {
    let value = this.encoded.get(frame);
    if (value === undefined) {
      value = this.encode(frame);
      this.encoded.set(frame, value);
    }
    return value;
  }
}

export interface Connection {
  /**
   * Queues `frame`; returns how many bytes that added to the stream, as `bufferedAmount` counts
   * them (its framing included), whether or not the kernel took them at once (0 when not sent).
   * `alone`: no other frame follows for this client in this turn of the event loop (a live batch of
   * one event), so a transport that gathers a turn's frames into one write may write it at once.
   */
  send(frame: OutboundFrame, alone?: boolean): number;
  /** Bytes accepted by `send` but not yet handed to the network. */
  readonly bufferedAmount: number;
  /**
   * The transport holds more unsent bytes than its high-water mark (the stream's `writableNeedDrain`):
   * `onceDrained` will fire. False once what was queued has (nearly) all left.
   */
  readonly draining: boolean;
  /**
   * Calls `listener` once, when a `draining` connection has handed its unsent bytes to the network
   * (the stream's `'drain'`) or has closed. Not called when the connection is not `draining`.
   */
  onceDrained(listener: () => void): void;
  /** Starts the closing handshake with a code from `CloseCode` (a stream without codes just ends). */
  close(code: number, reason: string): void;
  /** Drops the connection without a handshake. */
  terminate(): void;
}
