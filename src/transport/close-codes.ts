/**
 * WebSocket close codes of TITAN Realtime. The 44xx codes follow graphql-ws; the README lists them
 * with what a client should do. A reason is clipped to the 123 bytes a close frame can carry.
 */
export enum CloseCode {
  /** The server is shutting down or restarting: reconnect (elsewhere) and resume. */
  GoingAway = 1001,
  /**
   * The client read too slowly and a reliable subscription (signals, backtest progress) fell more than
   * `SUBSCRIPTION_QUEUE_LIMIT` events behind, or more than `WS_MAX_BUFFERED_BYTES` waited in its
   * socket's send buffer: reconnect and resume after the last cursor received.
   */
  SlowConsumer = 4008,
  /** No token, or a malformed, forged or expired one (also sent when the token expires): get a fresh token, then reconnect. */
  Unauthorized = 4401,
  /** A valid token that may not connect (no known role): do not retry with the same token. */
  Forbidden = 4403,
  /** Too many connections for this user on this instance: close another one, or retry later. */
  TooManyRequests = 4429,
}

const MAX_REASON_BYTES = 123;

export function limitCloseReason(reason: string): string {
  let clipped = reason;
  while (Buffer.byteLength(clipped) > MAX_REASON_BYTES) clipped = clipped.slice(0, -1);
  return clipped;
}
