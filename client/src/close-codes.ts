import { CloseCode } from 'graphql-ws';

/** The subset of a WebSocket `CloseEvent` that graphql-ws hands to `closed` listeners and `shouldRetry`. */
export interface CloseLike {
  code: number;
  reason: string;
}

/** True for a `CloseEvent`-shaped value (graphql-ws passes `unknown`). */
export function isCloseLike(value: unknown): value is CloseLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'number' &&
    typeof (value as { reason?: unknown }).reason === 'string'
  );
}

/**
 * The server refused our credentials: 4401 (missing/invalid/expired token) or 4403 (valid token,
 * roles not allowed). Reconnecting with the same token cannot help; ask for a new one.
 */
export function isAuthClose(value: unknown): value is CloseLike {
  return isCloseLike(value) && (value.code === CloseCode.Unauthorized || value.code === CloseCode.Forbidden);
}

/**
 * graphql-ws `shouldRetry`: the one place that decides fatal vs retryable on the client.
 *
 * - 4401 / 4403 → fatal (see {@link isAuthClose}). graphql-ws already treats 4401 as fatal but
 *   retries 4403 ("might grant access after retry"); with a fixed token it never will.
 * - Any other close (1006 abnormal, 1001 going away, 1012 restart, 4499 terminated, TITAN's own
 *   retryable codes) → retry with backoff. graphql-ws still refuses to retry its built-in fatal
 *   codes (4400, 4406, 4409, 4429, 4500, …) whatever this returns.
 * - A non-close value → retry. Browsers fire `error` (a plain `Event`) before `close` when the
 *   server is unreachable, and graphql-ws reports that first; the library default (retry only
 *   `CloseEvent`s) would give up for good on the first failed connect.
 */
export function shouldRetry(errOrCloseEvent: unknown): boolean {
  return !isAuthClose(errOrCloseEvent);
}
