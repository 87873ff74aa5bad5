import type { ResultSink, SubscriptionPayload } from './resumable-subscription.js';

/**
 * What the session needs from a way of carrying subscriptions: graphql-ws over a WebSocket
 * (`ws-transport.ts`) or SSE (`sse-transport.ts`). Both retry by themselves and report the same
 * lifecycle events, so one status machine serves both.
 */
export interface Transport {
  readonly kind: 'websocket' | 'sse';
  /**
   * Starts an operation; the sink receives results, then `complete` or `error`. Returns the stop
   * function. The operation is sent as `payload()` on every connection it runs on: after a drop the
   * transport sends it again by calling `payload()` anew (so a resumable subscription carries its
   * latest cursor; see resumable-subscription.ts), never a payload object kept from before.
   */
  subscribe(payload: () => SubscriptionPayload, sink: ResultSink): () => void;
  /** Stops everything; sinks of running operations are not called any more. */
  dispose(): void;
}

/** graphql-ws's lifecycle events (its `on` option), which the SSE transport emits too. */
export interface TransportEvents {
  /** A connection attempt starts; `isRetry` after a failure. */
  connecting(isRetry: boolean): void;
  /** The socket opened (SSE: the response is an event stream); the server has not acknowledged yet. */
  opened(): void;
  /** The server acknowledged (`connection_ack`; SSE: same as `opened`). */
  connected(): void;
  /** The connection (SSE: one stream) closed or failed: a close event, a DOM `Event` or an `Error`. */
  closed(event: unknown): void;
}
