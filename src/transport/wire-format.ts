import { Packr } from 'msgpackr';
import type WebSocket from 'ws';

/**
 * The opt-in binary encoding of the WebSocket transport: the same graphql-transport-ws messages,
 * each one a binary frame holding its MessagePack encoding instead of a JSON text frame. A client
 * asks for it by offering this subprotocol; a client that offers only `graphql-transport-ws` gets
 * JSON as before.
 */
export const MSGPACK_PROTOCOL = 'graphql-transport-ws+msgpack';

// Plain MessagePack maps (no msgpackr records extension) so any MessagePack decoder reads them, and
// undefined properties left out as JSON.stringify does.
const packr = new Packr({ useRecords: false, skipValues: [undefined] });

/** Whether a socket negotiated the MessagePack encoding. */
export function isPacked(socket: Pick<WebSocket, 'protocol'>): boolean {
  return socket.protocol === MSGPACK_PROTOCOL;
}

/** The MessagePack encoding of a JSON-compatible value. */
export function pack(value: unknown): Buffer {
  return packr.pack(value);
}

/** Decodes one MessagePack value; throws on malformed or truncated input. */
export function unpack(bytes: Buffer | Uint8Array): unknown {
  return packr.unpack(bytes);
}

/** A 3-entry MessagePack map header (fixmap). */
const FIXMAP_3 = Buffer.from([0x83]);
const TYPE_NEXT_PAYLOAD_KEY = Buffer.concat([packr.pack('type'), packr.pack('next'), packr.pack('payload')]);
const ID_KEY = packr.pack('id');

/**
 * Everything of a packed `next` message but its payload: `Buffer.concat([packedNextHead(id),
 * pack(payload)])` is the message `{ id, type: 'next', payload }`. The shared fan-out packs a
 * payload once and frames it per subscriber with this head.
 */
export function packedNextHead(id: string): Buffer {
  return Buffer.concat([FIXMAP_3, ID_KEY, packr.pack(id), TYPE_NEXT_PAYLOAD_KEY]);
}
