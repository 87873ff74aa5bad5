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
 *
 * graphql-ws carries the connection only. Operations are ours: each is sent on a connection once it
 * is acknowledged, stopped in graphql-ws when that connection closes (before graphql-ws could
 * re-send the payload object it kept), and sent again as a fresh `payload()` on the next one. A
 * close graphql-ws does not retry (4401, fatal codes) ends every operation with that close.
 */
export interface WsTransportOptions {
  /** `ws(s)://host/graphql`. */
  url: string;
  /** The `connection_init` payload, read at every (re)connect (it may wait for a fresh token). */
  connectionParams(): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** graphql-ws `retryWait`. */
  retryWait(retries: number): Promise<void>;
  /** graphql-ws lifecycle events. */
  on?: Partial<TransportEvents>;
  /**
   * `new WebSocket()` threw (bad URL, blocked by policy): WebSockets cannot work here. graphql-ws
   * then sees that attempt close with 1006.
   */
  onConstructorError?(error: unknown): void;
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

/** An operation of this transport, sent anew on every connection until it ends. */
interface Operation {
  readonly payload: () => SubscriptionPayload;
  readonly sink: ResultSink;
  /** graphql-ws's stop function for the run on the current connection; null between connections. */
  stop: (() => void) | null;
  /** Counts runs: results of an earlier run are ignored. */
  attempt: number;
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
    keepAliveMs = 10_000,
    pongTimeoutMs = 5_000,
    openTimeoutMs = 10_000,
    webSocketImpl = globalThis.WebSocket,
    encoding = 'json',
  } = options;
  if (typeof webSocketImpl !== 'function') throw new Error('WebSocket is not available');
  let disposed = false;
  /** True from `connection_ack` until the socket closes: operations are sent only then. */
  let connected = false;
  const operations = new Set<Operation>();
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
      // graphql-ws gave up (`closed` was reported already): no connection will carry them again.
      if (disposed) return;
      for (const operation of [...operations]) end(operation).error(errOrCloseEvent);
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
        if (disposed) return;
        connected = true;
        for (const operation of operations) if (operation.stop === null) send(operation);
        on.connected?.();
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
        connected = false;
        for (const operation of operations) detach(operation);
        if (!disposed) on.closed?.(event);
      },
    },
  });

  /** Stops the operation's run on the current connection (if any); its late results are ignored. */
  function detach(operation: Operation): void {
    operation.attempt += 1;
    const stop = operation.stop;
    operation.stop = null;
    stop?.();
  }

  /** Forgets the operation for good; returns its sink for the last word. */
  function end(operation: Operation): ResultSink {
    detach(operation);
    operations.delete(operation);
    return operation.sink;
  }

  function send(operation: Operation): void {
    const mine = operation.attempt;
    const current = () => mine === operation.attempt && !disposed;
    operation.stop = client.subscribe(operation.payload() as Parameters<Client['subscribe']>[0], {
      next: (result) => {
        if (current()) operation.sink.next(result as ExecutionResultLike);
      },
      error: (error) => {
        if (current()) end(operation).error(error);
      },
      complete: () => {
        if (current()) end(operation).complete();
      },
    });
  }

  function subscribe(payload: () => SubscriptionPayload, sink: ResultSink): () => void {
    const operation: Operation = { payload, sink, stop: null, attempt: 0 };
    operations.add(operation);
    if (connected) send(operation);
    return () => {
      if (operations.has(operation)) end(operation);
    };
  }

  return {
    kind: 'websocket',
    client,
    subscribe,
    execute(query, variables) {
      return new Promise((resolve, reject) => {
        let result: ExecutionResultLike | undefined;
        subscribe(
          () => ({ query, variables }),
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
      for (const operation of [...operations]) end(operation);
      // Rejects, or never settles, when disposed while (re)connecting to a server that is down.
      Promise.resolve(client.dispose()).catch(() => {});
    },
  };
}
