/**
 * `@football-streaming-core/client/protocol`: the protocol's run-time pieces that the service and
 * the SDK share, one copy each: JSON Schemas of every frame, error and close codes, and the
 * match-minute arithmetic.
 */
export * from './codes.js';
export * from './schema.js';
export * from './minute.js';
export { validateServerFrame, type FrameCheck } from './validate.js';
