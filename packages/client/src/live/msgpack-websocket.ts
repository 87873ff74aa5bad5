import { CloseCode } from 'graphql-ws';
import { Packr } from 'msgpackr';
import { jsonOfMessage, MSGPACK_PROTOCOL, PACKR_OPTIONS } from '../protocol/wire-protocol.js';

// A copy: msgpackr writes its derived settings into the options object it is given.
const packr = new Packr({ ...PACKR_OPTIONS });

/** The MessagePack frame of a graphql-ws message (JSON text). */
function frameOf(text: string): Uint8Array<ArrayBuffer> {
  // msgpackr writes into ArrayBuffers it allocates; its type only promises ArrayBufferLike.
  return packr.pack(JSON.parse(text)) as Uint8Array<ArrayBuffer>;
}

/** The JSON text of a MessagePack frame, or null when the frame is not a packed map. */
function textOf(data: unknown): string | null {
  let bytes: Uint8Array;
  if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else return null; // a text frame (or a Blob, which `binaryType` rules out)
  try {
    return jsonOfMessage(packr.unpack(bytes));
  } catch {
    return null; // malformed or truncated
  }
}

type MessageListener = ((this: WebSocket, event: MessageEvent) => unknown) | null;

/**
 * A WebSocket class for graphql-ws's `createClient({ webSocketImpl })` that speaks
 * graphql-transport-ws framed as MessagePack ({@link MSGPACK_PROTOCOL}) when the server agrees, and
 * plain JSON when it does not (it offers MessagePack first, then the protocols it is given).
 *
 * graphql-ws reads and writes JSON text (client.js: `new WebSocketImpl(url, protocol)`,
 * `socket.send(string)`, `socket.onmessage = ({ data }) => parseMessage(data)`), so on a MessagePack
 * connection this class packs each string it is asked to send, and hands `onmessage` the JSON text
 * of each binary frame received. Listeners added with `addEventListener('message')` get the frames
 * as they are. A frame that is not a MessagePack map closes the socket with 4004 (graphql-ws's
 * `BadResponse`), as graphql-ws does with a message it cannot parse.
 *
 * @param Impl The browser's `WebSocket`, or `ws` in Node.
 */
export function msgpackWebSocket(Impl: typeof WebSocket): typeof WebSocket {
  return class MsgpackWebSocket extends Impl {
    #onmessage: MessageListener = null;

    constructor(url: string | URL, protocols: string | string[] = []) {
      super(url, [MSGPACK_PROTOCOL, ...(typeof protocols === 'string' ? [protocols] : protocols)]);
      this.binaryType = 'arraybuffer';
      this.addEventListener('message', (event) => this.#receive(event));
    }

    override get onmessage(): MessageListener {
      return this.#onmessage;
    }

    override set onmessage(listener: MessageListener) {
      this.#onmessage = listener;
    }

    override send(data: Parameters<WebSocket['send']>[0]): void {
      super.send(this.#packed() && typeof data === 'string' ? frameOf(data) : data);
    }

    #packed(): boolean {
      return this.protocol === MSGPACK_PROTOCOL;
    }

    #receive(event: MessageEvent): void {
      const listener = this.#onmessage;
      if (!this.#packed()) return void listener?.call(this, event);
      const text = textOf(event.data);
      if (text === null) return this.close(CloseCode.BadResponse, `Bad response: not a MessagePack map on ${MSGPACK_PROTOCOL}`);
      listener?.call(this, new MessageEvent('message', { data: text, origin: event.origin }));
    }
  };
}
