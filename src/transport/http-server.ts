import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * `node:http` with a graceful close: it knows which sockets carry a request in flight and which an
 * SSE stream, so a shutdown can let requests finish yet end streams at once (their clients resume).
 */
export class HttpServer {
  readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly inFlight = new Map<Socket, number>();
  private readonly eventStreams = new Set<Socket>();
  private idle: (() => void) | null = null;

  constructor(handler: Handler) {
    this.server = createServer((request, response) => {
      const { socket } = request;
      if (request.headers.accept?.includes('text/event-stream')) {
        this.eventStreams.add(socket);
        response.once('close', () => this.eventStreams.delete(socket));
      } else {
        this.inFlight.set(socket, (this.inFlight.get(socket) ?? 0) + 1);
        response.once('close', () => this.done(socket));
      }
      handler(request, response);
    });
    // Longer than the idle timeouts of common clients and load balancers (60 s), so the server is
    // never the one to close a kept-alive connection just as a client reuses it.
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => {
        this.sockets.delete(socket);
        this.done(socket, true);
      });
    });
  }

  /** Open SSE responses. */
  get eventStreamCount(): number {
    return this.eventStreams.size;
  }

  /** Resolves with the bound port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /**
   * Stops accepting, ends SSE streams and idle keep-alive connections now, waits up to `graceMs` for
   * requests in flight, then cuts whatever is left (WebSockets are closed by their transport first).
   */
  async close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.eventStreams) socket.destroy();
    this.server.closeIdleConnections();
    if (this.inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private done(socket: Socket, all = false): void {
    const left = all ? 0 : (this.inFlight.get(socket) ?? 1) - 1;
    if (left > 0) this.inFlight.set(socket, left);
    else this.inFlight.delete(socket);
    if (this.inFlight.size === 0) this.idle?.();
  }
}
