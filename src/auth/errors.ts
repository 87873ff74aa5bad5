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

/** A refused token as the GraphQL error a client gets: FORBIDDEN when it may not do this, else UNAUTHENTICATED. */
export function tokenRefused(error: TokenError) {
  return error.kind === 'forbidden' ? forbidden(error.message) : unauthenticated(error.message);
}
