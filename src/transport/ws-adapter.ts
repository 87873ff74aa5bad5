import type { IncomingMessage } from 'node:http';
import { CloseCode as ProtocolCloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import { WebSocket, type WebSocketServer } from 'ws';
import { CloseCode } from './close-codes.js';

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
 * graphql-ws's protocol core (`makeServer`) on a `ws` server, written for many idle connections:
 * the upgrade request is not kept for the life of the socket, and one timer pings every socket
 * instead of one timer per socket. (graphql-ws's own `use/ws` keeps both.)
 */
export function serveGraphQLWs<P extends Record<string, unknown> | undefined>(
  wsServer: WebSocketServer,
  options: ServerOptions<P, SocketExtra>,
  { keepAliveMs = 12_000, onInternalError }: WsAdapterOptions,
) {
  const server = makeServer(options);
  wsServer.options.handleProtocols = handleProtocols;
  const alive = new WeakSet<WebSocket>();

  wsServer.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    alive.add(socket);
    socket.on('pong', () => alive.add(socket));
    socket.once('error', (error) => {
      onInternalError(error);
      socket.close(ProtocolCloseCode.InternalServerError, 'Internal server error');
    });
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== WebSocket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data) => {
            try {
              await handle(String(data));
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
