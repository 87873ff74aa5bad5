import type { GraphQLErrorLike } from './live/resumable-subscription.js';

/**
 * Typed errors of the API: every `extensions.code` of the schema's description, one class that
 * carries it (switch on `code`), and `retryAfterMs` where the server says when to retry.
 */
export type TitanErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'LIMIT_EXCEEDED'
  | 'QUERY_TOO_COMPLEX'
  | 'GRAPHQL_PARSE_FAILED'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'BAD_USER_INPUT'
  | 'BAD_CURSOR'
  | 'CURSOR_EXPIRED'
  | 'SLOW_CONSUMER'
  | 'NOT_FOUND'
  | 'UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR'
  /** Not the server's: it could not be reached, or answered something that is not GraphQL. */
  | 'NETWORK_ERROR';

export class TitanError extends Error {
  override readonly name = 'TitanError';
  constructor(
    readonly code: TitanErrorCode,
    message: string,
    /** For `RATE_LIMITED` and `UNAVAILABLE`: wait this long before retrying (with the same `id`). */
    readonly retryAfterMs?: number,
    /** The server's errors as received, when there were several. */
    readonly errors: readonly GraphQLErrorLike[] = [],
  ) {
    super(message);
  }
}

/** The first error of a GraphQL error list as a {@link TitanError}. */
export function titanErrorOf(errors: readonly GraphQLErrorLike[]): TitanError {
  const first = errors[0];
  const code = first?.extensions?.code;
  const retryAfterMs = first?.extensions?.retryAfterMs;
  return new TitanError(
    typeof code === 'string' ? (code as TitanErrorCode) : 'INTERNAL_SERVER_ERROR',
    first?.message ?? 'unknown error',
    typeof retryAfterMs === 'number' ? retryAfterMs : undefined,
    errors,
  );
}
