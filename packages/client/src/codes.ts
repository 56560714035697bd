/**
 * The protocol's codes, shared by the service and the SDK (one copy): the `code` of `ERROR`
 * frames and the WebSocket close codes with their reasons.
 */

/** Codes carried by `{"type":"ERROR","code":…}` frames. The connection stays open. */
export const ErrorCode = {
  /** The text frame is not valid JSON. */
  InvalidJson: 'INVALID_JSON',
  /** Valid JSON, but not an object with a string `action`. */
  InvalidMessage: 'INVALID_MESSAGE',
  /** `action` is not one the server knows. */
  UnknownAction: 'UNKNOWN_ACTION',
  /** Binary frames are not part of the protocol. */
  BinaryNotSupported: 'BINARY_NOT_SUPPORTED',
  /**
   * `match_ids` / `league_ids` / `team_ids` are not arrays of id strings, or all are empty; or the
   * server holds as many filter ids as `MAX_FILTER_IDS` allows (the previous subscription stays).
   */
  InvalidFilter: 'INVALID_FILTER',
  /** `since`, `epoch` or `snapshot` has the wrong type. */
  InvalidParameter: 'INVALID_PARAMETER',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * WebSocket close codes the server uses. 4xxx codes are ours; a client should reconnect (with a
 * jittered delay and `since`) after every one of them except `TooManyBadMessages` and
 * `TokenExpired`, which need a fix on the client side first.
 */
export const CloseCode = {
  /** Server shutting down or restarting: reconnect after a jittered delay and resume. */
  GoingAway: 1001,
  /** An inbound message exceeded the size limit (4 KiB). */
  MessageTooBig: 1009,
  /** Unexpected server error. */
  InternalError: 1011,
  /** The client did not read fast enough; its unsent data passed the bound. Reconnect and resume. */
  SlowConsumer: 4008,
  /** The client sent more messages than the rate limit allows. Reconnect later, more slowly. */
  RateLimited: 4029,
  /** The client kept sending invalid messages. */
  TooManyBadMessages: 4400,
  /** The access token expired while connected. Reconnect with a fresh token. */
  TokenExpired: 4401,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Codes the WebSocket library, the network or a proxy produce, listed for clients; the server never
 * sends them deliberately.
 */
export const LibraryCloseCode = {
  /** A malformed frame (protocol error). */
  ProtocolError: 1002,
  /** A text frame that is not valid UTF-8. */
  InvalidPayload: 1007,
  /** No close frame: the connection was dropped (heartbeat timeout, network, slow consumer not reading). */
  Abnormal: 1006,
} as const;

/** Human-readable close reasons (at most 123 bytes each, as the WebSocket protocol requires). */
export const CloseReason: Readonly<Record<CloseCode, string>> = {
  [CloseCode.GoingAway]: 'server shutting down; reconnect with jittered backoff and resume with since',
  [CloseCode.MessageTooBig]: 'message too big',
  [CloseCode.InternalError]: 'internal error',
  [CloseCode.SlowConsumer]: 'slow consumer; reconnect and resume with since',
  [CloseCode.RateLimited]: 'rate limit exceeded',
  [CloseCode.TooManyBadMessages]: 'too many invalid messages',
  [CloseCode.TokenExpired]: 'access token expired',
};
