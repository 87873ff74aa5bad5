import type { IncomingMessage } from 'node:http';
import {
  GRAPHQL_TRANSPORT_WS_PROTOCOL,
  handleProtocols,
  makeServer,
  type ServerOptions,
  type WebSocket as GraphQLWsSocket,
} from 'graphql-ws';
import { WebSocket, type RawData, type WebSocketServer } from 'ws';
import { CloseCode, limitCloseReason } from './close-codes.js';
import { isPacked, MSGPACK_PROTOCOL, pack, unpack } from './wire-format.js';
import { jsonOfMessage } from './wire-protocol.js';

/** What each graphql-ws connection context carries: the socket and the client's address (`addressOf`), nothing more. */
export interface SocketExtra {
  readonly socket: WebSocket;
  readonly remoteAddress: string | undefined;
}

export interface WsAdapterOptions {
  /** Ping interval; a peer that has not answered the previous ping by the next one is dropped. */
  keepAliveMs: number;
  /** The client's address of an upgrade request. @default the TCP peer's */
  addressOf?: (request: IncomingMessage) => string | undefined;
  /** An error of the socket layer, with the socket it happened on (the socket is closed with 4500). */
  onInternalError: (error: unknown, socket: WebSocket) => void;
}

/** How often a slice of the sockets is pinged: each socket still once per `keepAliveMs`. */
const HEARTBEAT_SLICE_MS = 100;

function isServed(protocol: string): boolean {
  return protocol === MSGPACK_PROTOCOL || handleProtocols([protocol]) !== false;
}

/**
 * The subprotocol to answer an offer with: the first one in the client's order that is either
 * MessagePack or one graphql-ws accepts. Failing that, the client's first offer, only so that the
 * refusal can be read: answered with no subprotocol, a client that offered some fails the handshake
 * itself (browsers and `ws` report 1006 and nothing else), whereas on an open socket it gets 4406
 * and a reason (see `NOT_SERVED`).
 */
function chooseProtocol(offered: Set<string>): string | false {
  for (const protocol of offered) if (isServed(protocol)) return protocol;
  return offered.values().next().value ?? false;
}

/**
 * Why a socket without a served subprotocol is closed (4406). Mostly a client of the legacy
 * `graphql-ws` subprotocol (subscriptions-transport-ws, Apollo Client 2), whose name is also the
 * name of the library of the protocol served here: the reason says which one to speak.
 */
const NOT_SERVED = limitCloseReason(
  `Subprotocol not acceptable: speak ${GRAPHQL_TRANSPORT_WS_PROTOCOL} (the legacy graphql-ws, subscriptions-transport-ws, is not served)`,
);

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
 * One socket as graphql-ws's core sees it, and the `extra` of its context. A class, since there is
 * one per connection: its methods are shared, where closures would be allocated (and, under tsx,
 * named) for every socket.
 */
class CoreSocket implements GraphQLWsSocket, SocketExtra {
  /** The core's message handler, set once by `opened()`. */
  handle: ((data: string) => Promise<void>) | null = null;
  /** Tells the core the socket closed, returned by `opened()`. */
  closed: ((code?: number, reason?: string) => Promise<void>) | null = null;
  private readonly packed: boolean;

  constructor(
    readonly socket: WebSocket,
    readonly remoteAddress: string | undefined,
  ) {
    this.packed = isPacked(socket);
  }

  /** The core speaks graphql-transport-ws either way; the framing is this adapter's business. */
  get protocol(): string {
    return this.packed ? GRAPHQL_TRANSPORT_WS_PROTOCOL : this.socket.protocol;
  }

  send(data: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.socket.readyState !== WebSocket.OPEN) return resolve();
      this.socket.send(this.packed ? pack(JSON.parse(data)) : data, (error) => (error ? reject(error) : resolve()));
    });
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  onMessage(handle: (data: string) => Promise<void>): void {
    this.handle = handle;
  }

  /** The text for the core, or why the frame is refused (MessagePack sockets take binary maps only). */
  textOf(data: RawData, isBinary: boolean): { text: string } | { refused: string } {
    return this.packed ? unpackedMessage(data, isBinary) : { text: String(data) };
  }
}

/**
 * graphql-ws's protocol core (`makeServer`) on a `ws` server, written for many idle connections:
 * the upgrade request is not kept for the life of the socket, one timer pings every socket instead
 * of one timer per socket, and the socket listeners are shared by all sockets (they find the
 * connection by the socket they are called on). (graphql-ws's own `use/ws` keeps all of these per
 * socket.)
 *
 * A client that offers {@link MSGPACK_PROTOCOL} gets the same protocol framed as MessagePack: the
 * core still reads and writes JSON text, and this adapter translates at the socket. Its own sends
 * are few (acks, pongs, errors, completes; hot paths such as the shared fan-out pack their
 * payloads once and write to the socket directly).
 */
export function serveGraphQLWs<P extends Record<string, unknown> | undefined>(
  wsServer: WebSocketServer,
  options: ServerOptions<P, SocketExtra>,
  { keepAliveMs, addressOf = (request) => request.socket.remoteAddress, onInternalError }: WsAdapterOptions,
) {
  const server = makeServer(options);
  wsServer.options.handleProtocols = chooseProtocol;
  const alive = new WeakSet<WebSocket>();
  const connections = new WeakMap<WebSocket, CoreSocket>();

  const failed = (socket: WebSocket, error: unknown) => {
    onInternalError(error, socket);
    socket.close(CloseCode.InternalServerError, 'Internal server error');
  };
  function onPong(this: WebSocket): void {
    alive.add(this);
  }
  function onError(this: WebSocket, error: Error): void {
    failed(this, error);
  }
  function onFrame(this: WebSocket, data: RawData, isBinary: boolean): void {
    const connection = connections.get(this);
    if (!connection?.handle) return;
    const message = connection.textOf(data, isBinary);
    if ('refused' in message) return this.close(CloseCode.BadRequest, message.refused);
    // Not awaited here: for a subscription the promise lasts as long as it does, and a suspended
    // async frame per subscription would cost more than this callback.
    connection.handle(message.text).catch((error: unknown) => failed(this, error));
  }
  function onClose(this: WebSocket, code: number, reason: Buffer): void {
    connections.get(this)?.closed?.(code, String(reason)).catch((error: unknown) => onInternalError(error, this));
  }

  wsServer.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    socket.on('error', onError);
    if (!isServed(socket.protocol)) return socket.close(CloseCode.SubprotocolNotAcceptable, NOT_SERVED);
    alive.add(socket);
    const connection = new CoreSocket(socket, addressOf(request));
    connections.set(socket, connection);
    socket.on('pong', onPong);
    socket.on('message', onFrame);
    socket.on('close', onClose);
    connection.closed = server.opened(connection, connection);
  });

  // Every socket is pinged once per `keepAliveMs`, but a slice at a time: pinging 10,000 sockets
  // in one go is 10,000 writes (about 100 ms) in one task, then as many pongs to read, and every
  // event published meanwhile waits behind them.
  const slices = Math.max(1, Math.round(keepAliveMs / HEARTBEAT_SLICE_MS));
  let round: WebSocket[] = [];
  let slice = 0;
  const heartbeat = setInterval(() => {
    if (slice === 0) round = [...wsServer.clients];
    const from = Math.floor((round.length * slice) / slices);
    const to = Math.floor((round.length * (slice + 1)) / slices);
    slice = (slice + 1) % slices;
    for (let i = from; i < to; i += 1) {
      const socket = round[i] as WebSocket;
      if (socket.readyState !== WebSocket.OPEN) continue;
      if (!alive.has(socket)) {
        socket.terminate();
        continue;
      }
      alive.delete(socket);
      socket.ping();
    }
    if (slice === 0) round = [];
  }, keepAliveMs / slices);
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
