import { createGraphQLError } from 'graphql-yoga';
import type { TokenError } from './tokens.js';

/**
 * The typed errors of the API. Each carries the `extensions.code` listed in `schema.graphql`; the
 * message is safe to show to the caller (it never echoes a token or an internal detail).
 */

export function unauthenticated(reason: string) {
  return createGraphQLError(`Unauthenticated: ${reason}`, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
  });
}

export function forbidden(reason: string) {
  return createGraphQLError(`Forbidden: ${reason}`, {
    extensions: { code: 'FORBIDDEN', http: { status: 403 } },
  });
}

export function badUserInput(message: string) {
  return createGraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** With `httpStatus`, the status of an HTTP or SSE answer that carries only this error (a refused request, as for a bad variable). */
export function badCursor(message: string, httpStatus?: number) {
  return createGraphQLError(message, { extensions: { code: 'BAD_CURSOR', ...(httpStatus ? { http: { status: httpStatus } } : {}) } });
}

export function notFound(message: string) {
  return createGraphQLError(message, { extensions: { code: 'NOT_FOUND' } });
}

/** Too much at once: retry after `retryAfterMs` (also as HTTP 429 with `Retry-After` when the whole request was refused). */
export function rateLimited(reason: string, retryAfterMs: number) {
  return createGraphQLError(`Rate limit exceeded: ${reason}; retry in ${retryAfterMs} ms`, {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfterMs,
      http: { status: 429, headers: { 'retry-after': String(Math.ceil(retryAfterMs / 1000)) } },
    },
  });
}

/** A refused token as the GraphQL error a client gets: FORBIDDEN when it may not do this, else UNAUTHENTICATED. */
export function tokenRefused(error: TokenError) {
  return error.kind === 'forbidden' ? forbidden(error.message) : unauthenticated(error.message);
}

/** A feature this server was configured without (e.g. `ANALYTICS=off`): retrying does not help. */
export function featureDisabled(message: string) {
  return createGraphQLError(message, { extensions: { code: 'FEATURE_DISABLED' } });
}
