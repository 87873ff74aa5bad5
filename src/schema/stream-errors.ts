import { createGraphQLError } from 'graphql-yoga';

/** Errors that end a subscription stream and the `extensions.code` the client receives for each. */
const CODED = new Set(['CURSOR_EXPIRED', 'BAD_CURSOR', 'SLOW_CONSUMER']);

function typed(error: unknown): unknown {
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
    next: () => stream.next().catch((error: unknown) => Promise.reject(typed(error))),
    return: (value?: unknown) => stream.return?.(value) ?? Promise.resolve({ value: undefined, done: true }),
    throw: (error?: unknown) => stream.throw?.(error) ?? Promise.reject(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
