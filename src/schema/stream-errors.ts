import { createGraphQLError } from 'graphql-yoga';

/** Errors of the bus that reach a client as they are, and the `extensions.code` each carries. */
const CODED = new Set(['CURSOR_EXPIRED', 'BAD_CURSOR', 'SLOW_CONSUMER', 'UNAVAILABLE']);

/**
 * A bus failure with one of the codes above as a GraphQL error carrying that code (and, for
 * `UNAVAILABLE`, `retryAfterMs`); anything else unchanged.
 */
export function typedStreamError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (!(error instanceof Error) || typeof code !== 'string' || !CODED.has(code)) return error;
  const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
  const extensions = typeof retryAfterMs === 'number' ? { code, retryAfterMs } : { code };
  return createGraphQLError(error.message, { extensions });
}

/**
 * Passes a subscription's events through and turns the bus's typed failures into GraphQL errors
 * with their code, so every transport (WebSocket, SSE) reports them the same way, unmasked.
 */
export function withTypedErrors<T>(stream: AsyncIterableIterator<T>): AsyncIterableIterator<T> {
  return {
    next: () => stream.next().catch((error: unknown) => Promise.reject(typedStreamError(error))),
    return: (value?: unknown) => stream.return?.(value) ?? Promise.resolve({ value: undefined, done: true }),
    throw: (error?: unknown) => stream.throw?.(error) ?? Promise.reject(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
