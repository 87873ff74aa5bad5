import { Socket } from 'node:net';
import type WebSocket from 'ws';

/** The part of a writable stream that corking needs (a TCP socket, an HTTP response). */
export interface CorkableStream {
  readonly writableCorked: number;
  readonly destroyed: boolean;
  cork(): void;
  uncork(): void;
}

/**
 * The TCP stream under a `ws` socket, to cork several frames into one write. ws does not expose it:
 * it keeps it as the private `_socket` (since ws 1, still in ws 8). This is the one place that reads
 * it, and test/transport/cork.test.ts fails if ws changes it. Null when the socket has no stream.
 */
export function tcpStreamOf(socket: WebSocket): CorkableStream | null {
  const stream = (socket as WebSocket & { _socket?: unknown })._socket;
  // TLS sockets are net.Socket too.
  return stream instanceof Socket ? stream : null;
}
