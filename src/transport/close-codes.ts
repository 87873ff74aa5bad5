/**
 * WebSocket close codes of TITAN Realtime: the one list, shared by the server, the client
 * (packages/client/src/close-codes.ts decides what each means for reconnecting) and the tests. The 44xx codes
 * are graphql-ws's own (same numbers as its `CloseCode`); the README lists them with what a client
 * should do. No Node API here: the browser bundle imports it too.
 */
export enum CloseCode {
  /** Normal closure: the client closed the socket itself (dispose, no subscriptions left). */
  Normal = 1000,
  /** The server is shutting down or restarting: reconnect (elsewhere) and resume. */
  GoingAway = 1001,
  /** The connection dropped without a close frame (network, proxy, killed server): retry with backoff. */
  Abnormal = 1006,
  /** A frame larger than `WS_MAX_PAYLOAD_BYTES`: a client bug. */
  MessageTooBig = 1009,
  /**
   * Try again later: the token could not be checked now (the identity provider's key set of
   * `JWKS_URL` cannot be fetched). The token may be fine: retry with backoff, the same token.
   */
  TryAgainLater = 1013,
  /**
   * The client read too slowly and a reliable subscription (signals, backtest progress) fell more than
   * `SUBSCRIPTION_QUEUE_LIMIT` events behind, or more than `WS_MAX_BUFFERED_BYTES` waited in its
   * socket's send buffer: reconnect and resume after the last cursor received.
   */
  SlowConsumer = 4008,
  /** Malformed protocol message (or frame of the wrong encoding): a client bug, retrying cannot help. */
  BadRequest = 4400,
  /** No token, or a malformed, forged or expired one (also sent when the token expires): get a fresh token, then reconnect. */
  Unauthorized = 4401,
  /** A valid token that may not connect (no known role): do not retry with the same token. */
  Forbidden = 4403,
  /** No subprotocol this server speaks was offered (e.g. only the legacy `graphql-ws`): use `graphql-transport-ws`. */
  SubprotocolNotAcceptable = 4406,
  /** No `connection_init` within `WS_INIT_TIMEOUT_MS`: retry. */
  ConnectionInitialisationTimeout = 4408,
  /** Duplicate operation id: a client bug. */
  SubscriberAlreadyExists = 4409,
  /**
   * Too many connections for this user (on all instances together when they share Redis), or a second
   * `connection_init`: close another one, or retry later.
   */
  TooManyRequests = 4429,
  /** Closed by the client because the socket stopped answering pings (graphql-ws `terminate()`). */
  Terminated = 4499,
  /** An error of the socket layer on the server. */
  InternalServerError = 4500,
}

const MAX_REASON_BYTES = 123;
const utf8 = new TextEncoder();

/** A close reason clipped to the 123 bytes a close frame can carry. */
export function limitCloseReason(reason: string): string {
  let clipped = reason;
  while (utf8.encode(clipped).length > MAX_REASON_BYTES) clipped = clipped.slice(0, -1);
  return clipped;
}
