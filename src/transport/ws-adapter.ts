import type { IncomingMessage } from 'node:http';
import { CloseCode as ProtocolCloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import { WebSocket, type RawData, type WebSocketServer } from 'ws';
import { CloseCode } from './close-codes.js';
import { isPacked, MSGPACK_PROTOCOL, pack, unpack } from './wire-format.js';
import { jsonOfMessage } from './wire-protocol.js';

/** What each graphql-ws connection context carries: the socket and the peer's address, nothing more. */
export interface SocketExtra {
  readonly socket: WebSocket;
  readonly remoteAddress: string | undefined;
}

export interface WsAdapterOptions {
  /** Ping interval; a peer that has not answered the previous ping by the next one is dropped. @default 12000 */
  keepAliveMs?: number;
  onInternalError: (error: unknown) => void;
}

/**
 * The subprotocol to answer an offer with: the first one in the client's order that is either
 * MessagePack or one graphql-ws accepts; false (no protocol, then 4406 from graphql-ws) otherwise.
 */
function chooseProtocol(offered: Iterable<string>): string | false {
  for (const protocol of offered) {
    if (protocol === MSGPACK_PROTOCOL || handleProtocols([protocol])) return protocol;
  }
  return false;
}

/**
 * The JSON text of one message received on a MessagePack socket, for graphql-ws's core (which
 * validates the message itself), or why the frame is not a MessagePack map.
 */
function unpackedMessage(data: RawData, isBinary: boolean): { text: string } | { refused: string } {
  if (!isBinary) return { refused: `Text frame on ${MSGPACK_PROTOCOL}: send binary MessagePack frames` };
  let message: unknown;
  try {
    message = unpack(data as Buffer); // ws's default binaryType, 'nodebuffer': one Buffer a message
  } catch {
    return { refused: 'Invalid message: malformed MessagePack' };
  }
  const text = jsonOfMessage(message);
  return text === null ? { refused: 'Invalid message: not a MessagePack map of JSON values' } : { text };
}

/**
 * graphql-ws's protocol core (`makeServer`) on a `ws` server, written for many idle connections:
 * the upgrade request is not kept for the life of the socket, and one timer pings every socket
 * instead of one timer per socket. (graphql-ws's own `use/ws` keeps both.)
 *
 * A client that offers {@link MSGPACK_PROTOCOL} gets the same protocol framed as MessagePack: the
 * core still reads and writes JSON text, and this adapter translates at the socket. Its own sends
 * are few (acks, pongs, errors, completes; hot paths such as the shared fan-out pack their
 * payloads once and write to the socket directly).
 */
export function serveGraphQLWs<P extends Record<string, unknown> | undefined>(
  wsServer: WebSocketServer,
  options: ServerOptions<P, SocketExtra>,
  { keepAliveMs = 12_000, onInternalError }: WsAdapterOptions,
) {
  const server = makeServer(options);
  wsServer.options.handleProtocols = chooseProtocol;
  const alive = new WeakSet<WebSocket>();

  wsServer.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    alive.add(socket);
    const packed = isPacked(socket);
    socket.on('pong', () => alive.add(socket));
    socket.once('error', (error) => {
      onInternalError(error);
      socket.close(ProtocolCloseCode.InternalServerError, 'Internal server error');
    });
    const closed = server.opened(
      {
        // The core speaks graphql-transport-ws either way; the framing is this adapter's business.
        protocol: packed ? GRAPHQL_TRANSPORT_WS_PROTOCOL : socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== WebSocket.OPEN) return resolve();
            socket.send(packed ? pack(JSON.parse(data)) : data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data, isBinary) => {
            let text: string;
            if (packed) {
              const message = unpackedMessage(data, isBinary);
              if ('refused' in message) return socket.close(ProtocolCloseCode.BadRequest, message.refused);
              text = message.text;
            } else {
              text = String(data);
            }
            try {
              await handle(text);
            } catch (error) {
              onInternalError(error);
              socket.close(ProtocolCloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      { socket, remoteAddress: request.socket.remoteAddress },
    );
    socket.once('close', (code, reason) => {
      closed(code, String(reason)).catch(onInternalError);
    });
  });

  const heartbeat = setInterval(() => {
    for (const socket of wsServer.clients) {
      if (!alive.has(socket)) {
        socket.terminate();
        continue;
      }
      alive.delete(socket);
      socket.ping();
    }
  }, keepAliveMs);
  heartbeat.unref();

  return {
    /** Closes every socket with 1001 (going away) and stops accepting. */
    async dispose(): Promise<void> {
      clearInterval(heartbeat);
      for (const socket of wsServer.clients) socket.close(CloseCode.GoingAway, 'Going away');
      await new Promise<void>((resolve, reject) => wsServer.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
