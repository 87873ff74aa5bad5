// Generated from src/transport/wire-protocol.ts by packages/client/scripts/generate-protocol.mjs: do not edit.
import type { Options } from 'msgpackr';

/**
 * The contract of the MessagePack encoding that server and browser client both build on. The
 * client bundles this file, so it holds no Node APIs and no run-time imports (the server's framing
 * helpers are in wire-format.ts).
 */

/**
 * The opt-in binary encoding of the WebSocket transport: the same graphql-transport-ws messages,
 * each one a binary frame holding its MessagePack encoding instead of a JSON text frame. A client
 * asks for it by offering this subprotocol; a client that offers only `graphql-transport-ws` gets
 * JSON as before.
 */
export const MSGPACK_PROTOCOL = 'graphql-transport-ws+msgpack';

/**
 * msgpackr options on both ends: plain MessagePack maps (no msgpackr records extension) so any
 * MessagePack decoder reads them, and undefined properties left out as JSON.stringify does.
 * (`skipValues` is implemented by msgpackr 2.1 but missing from its `Options` type.)
 */
export const PACKR_OPTIONS: Readonly<Options & { skipValues?: unknown[] }> = { useRecords: false, skipValues: [undefined] };

/**
 * The JSON text of one decoded MessagePack message, as graphql-ws reads and writes messages; null
 * unless it is a plain map (every graphql-transport-ws message is one, whereas msgpackr decodes
 * e.g. the reserved byte 0xc1 to an object of its own) that JSON can carry (no BigInt).
 */
export function jsonOfMessage(message: unknown): string | null {
  if (typeof message !== 'object' || message === null || Object.getPrototypeOf(message) !== Object.prototype) return null;
  try {
    return JSON.stringify(message);
  } catch {
    return null;
  }
}
