/**
 * WebSocket close codes as the client sees them (the enum is the server's, generated into
 * protocol/close-codes.ts), and the one function that decides what each one means for
 * reconnecting (README, "Errors and close codes"). The SSE transport reports an HTTP 401
 * as a 4401-shaped close so that both transports share this policy.
 */

import { CloseCode } from './protocol/close-codes.js';

export { CloseCode };

/** The subset of a WebSocket `CloseEvent` that graphql-ws hands to `closed` listeners and sinks. */
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
 * What a close (or connection error) asks of the client:
 * - `auth`: the token is no good (4401): get a fresh one (dev endpoint, else the user) and reconnect.
 * - `forbidden`: the token is valid but may not connect (4403): ask the user for another one.
 * - `prompt`: the server went away (1001) or we were too slow (4008): reconnect after a short jitter.
 * - `fatal`: no retry can help (a client bug, or too many connections): stop and say so.
 * - `retry`: everything else, with exponential backoff.
 */
export type CloseClass = 'auth' | 'forbidden' | 'prompt' | 'fatal' | 'retry';

/**
 * Codes graphql-ws itself never retries, whatever `shouldRetry` says (client.js,
 * `shouldRetryConnectOrThrow`). 4429 is among them: for TITAN it means "too many connections for
 * this user", which another tab may free, but graphql-ws gives up, so we report it as `fatal`.
 */
const FATAL = new Set<number>([4400, 4406, 4409, 4429, 4500, 4004, 4005]);

/** Codes in 1000–1999 that graphql-ws retries; the rest of that range is fatal to it. */
const RETRYABLE_1XXX = new Set<number>([1000, 1001, 1005, 1006, 1012, 1013, 1014]);

/**
 * The one place that classifies closes on the client.
 *
 * Borderline cases:
 * - A value that is not a close (a DOM `Event` from `onerror`, an `Error`): `retry`. Browsers fire
 *   `error` before `close` when the server is unreachable; giving up there would end the session.
 * - 4408 (init timeout) and 4499 (terminated after a missed pong): `retry`, the next socket may do
 *   better.
 * - 1000 while subscriptions are still open (a proxy closing idle sockets "normally"): `retry`.
 */
export function classifyClose(errOrCloseEvent: unknown): CloseClass {
  if (!isCloseLike(errOrCloseEvent)) return 'retry';
  const { code } = errOrCloseEvent;
  if (code === CloseCode.Unauthorized) return 'auth';
  if (code === CloseCode.Forbidden) return 'forbidden';
  if (code === CloseCode.GoingAway || code === CloseCode.SlowConsumer) return 'prompt';
  if (FATAL.has(code)) return 'fatal';
  if (code >= 1000 && code <= 1999 && !RETRYABLE_1XXX.has(code)) return 'fatal';
  return 'retry';
}

/**
 * graphql-ws `shouldRetry`: retry everything except auth refusals (handled by getting a new token
 * and a new client) and the fatal codes (graphql-ws throws on most of those before asking).
 */
export function shouldRetry(errOrCloseEvent: unknown): boolean {
  const kind = classifyClose(errOrCloseEvent);
  return kind === 'retry' || kind === 'prompt';
}

/** A close-shaped error, e.g. the SSE transport's HTTP 401 (as 4401). */
export class CloseError extends Error implements CloseLike {
  override readonly name = 'CloseError';
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
  }
}
