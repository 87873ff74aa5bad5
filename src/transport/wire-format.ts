import { Packr } from 'msgpackr';
import type WebSocket from 'ws';
import { MSGPACK_PROTOCOL, PACKR_OPTIONS } from './wire-protocol.js';

export { MSGPACK_PROTOCOL } from './wire-protocol.js';

// A copy: msgpackr writes its derived settings into the options object it is given.
const packr = new Packr({ ...PACKR_OPTIONS });

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
