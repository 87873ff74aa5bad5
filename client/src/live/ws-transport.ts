import { createClient, type Client } from 'graphql-ws';
import { shouldRetry } from '../close-codes.js';
import { msgpackWebSocket } from './msgpack-websocket.js';
import type { ExecutionResultLike, ResultSink, SubscriptionPayload } from './resumable-subscription.js';
import type { Transport, TransportEvents } from './transport.js';

/**
 * graphql-ws with TITAN's reconnect policy: retry forever (`retryAttempts: Infinity`) with the
 * caller's `retryWait`, never on 4401/4403 (`shouldRetry`, close-codes.ts), connect at once
 * (`lazy: false`) so the status is true from the start, keep-alive pings, and two watchdogs that
 * graphql-ws lacks: a socket that does not open in time, and a ping left without pong, are
 * terminated (4499) and retried.
 */
export interface WsTransportOptions {
  /** `ws(s)://host/graphql`. */
  url: string;
  /** The `connection_init` payload, read at every (re)connect. */
  connectionParams(): Record<string, unknown>;
  /** graphql-ws `retryWait`. */
  retryWait(retries: number): Promise<void>;
  /** graphql-ws lifecycle events. */
  on?: Partial<TransportEvents>;
  /**
   * `new WebSocket()` threw (bad URL, blocked by policy): WebSockets cannot work here. graphql-ws
   * then sees that attempt close with 1006.
   */
  onConstructorError?(error: unknown): void;
  /** graphql-ws gave up (a fatal close); `closed` has been called already. */
  onFatal?(errOrCloseEvent: unknown): void;
  /**
   * Send a ping after this much quiet (graphql-ws `keepAlive`).
   * @default 10000
   */
  keepAliveMs?: number;
  /**
   * Terminate the socket when a ping has no pong after this long (a dead server or network).
   * @default 5000
   */
  pongTimeoutMs?: number;
  /**
   * Terminate a socket that is not open after this long (some proxies leave it hanging).
   * @default 10000
   */
  openTimeoutMs?: number;
  /** @default globalThis.WebSocket */
  webSocketImpl?: typeof WebSocket;
  /**
   * How messages travel: `json` text frames, or `msgpack` binary frames (smaller, subprotocol
   * `graphql-transport-ws+msgpack`; JSON again when the server does not offer it). See
   * msgpack-websocket.ts.
   * @default 'json'
   */
  encoding?: 'json' | 'msgpack';
}

export interface WsTransport extends Transport {
  readonly kind: 'websocket';
  readonly client: Client;
  /** Runs a single-result operation (e.g. the `renewToken` mutation) over this connection. */
  execute(query: string, variables?: Record<string, unknown>): Promise<ExecutionResultLike>;
}

/**
 * A socket that is closed from the start: what {@link probed} hands graphql-ws when the real
 * constructor throws. graphql-ws would otherwise wait forever on that attempt (its connect promise
 * never settles); this way it sees an ordinary failed connection (1006) instead.
 */
function closedSocket(reason: string): WebSocket {
  const socket = {
    readyState: 3, // CLOSED
    protocol: '',
    onopen: null,
    onmessage: null,
    onerror: null,
    onclose: null as ((event: { code: number; reason: string; wasClean: boolean }) => void) | null,
    send() {},
    close() {},
  };
  setTimeout(() => socket.onclose?.({ code: 1006, reason, wasClean: false }), 0);
  return socket as unknown as WebSocket;
}

/** A WebSocket class whose constructor reports what it throws and never throws itself. */
function probed(Impl: typeof WebSocket, onError: (error: unknown) => void): typeof WebSocket {
  return class ProbedWebSocket extends Impl {
    constructor(url: string | URL, protocols?: string | string[]) {
      try {
        super(url, protocols);
      } catch (error) {
        onError(error);
        // A constructor may return another object in place of `this`.
        return closedSocket(error instanceof Error ? error.message.slice(0, 100) : 'WebSocket failed') as ProbedWebSocket;
      }
    }
  };
}

export function createWsTransport(options: WsTransportOptions): WsTransport {
  const {
    url,
    connectionParams,
    retryWait,
    on = {},
    onConstructorError = () => {},
    onFatal = () => {},
    keepAliveMs = 10_000,
    pongTimeoutMs = 5_000,
    openTimeoutMs = 10_000,
    webSocketImpl = globalThis.WebSocket,
    encoding = 'json',
  } = options;
  if (typeof webSocketImpl !== 'function') throw new Error('WebSocket is not available');
  let disposed = false;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  let openTimer: ReturnType<typeof setTimeout> | undefined;
  const stopWatchdogs = () => {
    clearTimeout(pongTimer);
    clearTimeout(openTimer);
  };

  const client: Client = createClient({
    url,
    connectionParams,
    lazy: false,
    retryAttempts: Infinity,
    async retryWait(retries) {
      await retryWait(retries);
      // Disposed meanwhile: graphql-ws would open one more socket before noticing. Never go on.
      if (disposed) await new Promise<never>(() => {});
    },
    shouldRetry,
    keepAlive: keepAliveMs,
    webSocketImpl: probed(encoding === 'msgpack' ? msgpackWebSocket(webSocketImpl) : webSocketImpl, (error) => {
      if (!disposed) onConstructorError(error);
    }),
    onNonLazyError(errOrCloseEvent) {
      if (!disposed) onFatal(errOrCloseEvent);
    },
    on: {
      connecting(isRetry) {
        if (disposed) return;
        clearTimeout(openTimer);
        openTimer = setTimeout(() => client.terminate(), openTimeoutMs);
        on.connecting?.(isRetry);
      },
      opened() {
        clearTimeout(openTimer);
        if (!disposed) on.opened?.();
      },
      connected() {
        if (!disposed) on.connected?.();
      },
      ping(received) {
        if (received || disposed) return; // the server's pings are answered by graphql-ws
        clearTimeout(pongTimer);
        pongTimer = setTimeout(() => client.terminate(), pongTimeoutMs);
      },
      pong(received) {
        if (received) clearTimeout(pongTimer);
      },
      closed(event) {
        stopWatchdogs();
        if (!disposed) on.closed?.(event);
      },
    },
  });

  function subscribe(payload: SubscriptionPayload, sink: ResultSink): () => void {
    // graphql-ws keeps `payload` and sends it again on every retry: see resumable-subscription.ts.
    return client.subscribe(payload as Parameters<Client['subscribe']>[0], {
      next: (result) => {
        if (!disposed) sink.next(result as ExecutionResultLike);
      },
      error: (error) => {
        if (!disposed) sink.error(error);
      },
      complete: () => {
        if (!disposed) sink.complete();
      },
    });
  }

  return {
    kind: 'websocket',
    client,
    subscribe,
    execute(query, variables) {
      return new Promise((resolve, reject) => {
        let result: ExecutionResultLike | undefined;
        subscribe(
          { query, variables },
          {
            next: (value) => {
              result = value;
            },
            error: reject,
            complete: () => (result ? resolve(result) : reject(new Error('no result'))),
          },
        );
      });
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      stopWatchdogs();
      // Rejects, or never settles, when disposed while (re)connecting to a server that is down.
      Promise.resolve(client.dispose()).catch(() => {});
    },
  };
}
