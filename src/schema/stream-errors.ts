import { createGraphQLError } from 'graphql-yoga';

/** Errors that end a subscription stream and the `extensions.code` the client receives for each. */
const CODED = new Set(['CURSOR_EXPIRED', 'BAD_CURSOR', 'SLOW_CONSUMER']);

/** A bus failure with one of the codes above as a GraphQL error carrying that code; anything else unchanged. */
export function typedStreamError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (!(error instanceof Error) || typeof code !== 'string' || !CODED.has(code)) return error;
  return createGraphQLError(error.message, { extensions: { code } });
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
