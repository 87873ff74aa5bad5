import { GraphQLError } from 'graphql';
import { createGraphQLError, maskError as yogaMaskError, type Plugin } from 'graphql-yoga';
import { typedStreamError } from '../schema/stream-errors.js';

/**
 * Longest error message a client is sent. Ours stay below it (a published tick with every field
 * wrong names them all in about 800 characters); what reaches it echoes a client's input back.
 */
export const MAX_ERROR_MESSAGE_LENGTH = 1000;

function clip(text: string): string {
  return `${text.slice(0, MAX_ERROR_MESSAGE_LENGTH - 1)}…`;
}

/**
 * The error with its message (and, in development, its cause's message) clipped. Changed in place:
 * Yoga logs every error its masking replaces with another object, and a client's oversized input
 * is no server error to log.
 */
function bounded<E extends Error>(error: E): E {
  if (error.message.length > MAX_ERROR_MESSAGE_LENGTH) error.message = clip(error.message);
  const cause = error instanceof GraphQLError ? (error.extensions['originalError'] as { message?: unknown } | undefined) : undefined;
  if (typeof cause?.message === 'string' && cause.message.length > MAX_ERROR_MESSAGE_LENGTH) cause.message = clip(cause.message);
  return error;
}

/** Where graphql-js's hint at schema names begins (`Cannot query field "symbol" on type "Query". Did you mean "symbols"?`). */
const SUGGESTION = ' Did you mean ';

/**
 * The error without graphql-js's closing suggestion of names from the schema (fields, arguments,
 * types, enum values, input fields), which would leak the schema that disabled introspection hides.
 * Changed in place, like `bounded`.
 */
function withoutSuggestion<E extends Error>(error: E): E {
  const at = error.message.lastIndexOf(SUGGESTION);
  if (at >= 0 && error.message.endsWith('?')) error.message = error.message.slice(0, at);
  return error;
}

/** The last error of the `originalError` chain: what was thrown before graphql-js and Yoga wrapped it. */
function rootCause(error: unknown): unknown {
  let cause = error;
  while (cause instanceof GraphQLError && cause.originalError != null) cause = cause.originalError;
  return cause;
}

/**
 * A typed failure of ours (see `typedStreamError`: `UnavailableError`, a malformed cursor, ...) as
 * the GraphQL error a client gets, wherever it was thrown and however it was wrapped; null for any
 * other error. The wrapper's message, place in the document and HTTP status are kept, the code and
 * `retryAfterMs` are the cause's: wrappers lose them (a resolver's error is wrapped with none, and
 * Yoga's executor overwrites a variable's coercion error's code with BAD_USER_INPUT).
 */
function typedError(error: unknown): GraphQLError | null {
  const cause = rootCause(error);
  const typed = typedStreamError(cause);
  if (!(typed instanceof GraphQLError) || typed === cause) return null;
  if (!(error instanceof GraphQLError)) return typed;
  const http = error.extensions['http'];
  return createGraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: http === undefined ? typed.extensions : { ...typed.extensions, http },
  });
}

/**
 * The error with BAD_USER_INPUT when the executor refused the request's input (its variables) with
 * HTTP 400 and no code, as it does for queries and mutations; for a subscription it sets that code
 * itself. Set in place, like the executor's.
 */
function coded<E extends Error>(error: E): E {
  if (!(error instanceof GraphQLError) || error.extensions['code'] !== undefined) return error;
  const http = error.extensions['http'] as { status?: unknown } | undefined;
  if (http?.status === 400) (error.extensions as Record<string, unknown>)['code'] = 'BAD_USER_INPUT';
  return error;
}

/**
 * Yoga's `maskedErrors.maskError`: every error of a request or an execution Yoga runs, on every
 * transport, passes here. A typed failure keeps its code; anything else goes to Yoga's masking (unexpected
 * errors become INTERNAL_SERVER_ERROR, with details only when `isDev`); every message is clipped.
 * Outside development, suggestions of schema names are cut (a variable's value coerced to an enum or
 * input type fails in execution: `... Did you mean the enum value "BUY"?`).
 */
export function maskError(error: unknown, message: string, isDev?: boolean): Error {
  const masked = coded(typedError(error) ?? yogaMaskError(error, message, isDev));
  return bounded(isDev ? masked : withoutSuggestion(masked));
}

/**
 * The `extensions.code` a client gets for this error, as `maskError` gives it (INTERNAL_SERVER_ERROR
 * for what it masks), read without changing the error (the operation metrics read it before Yoga masks).
 * Undefined for an error that goes out without one (a validation error before Yoga codes it).
 */
export function clientCode(error: unknown): unknown {
  const typed = typedError(error);
  if (typed) return typed.extensions['code'];
  // What Yoga's masking keeps as it is: a GraphQLError all the way down its `originalError` chain.
  if (!(error instanceof GraphQLError) || !(rootCause(error) instanceof GraphQLError)) return 'INTERNAL_SERVER_ERROR';
  const code = error.extensions['code'];
  if (code !== undefined) return code;
  return (error.extensions['http'] as { status?: unknown } | undefined)?.status === 400 ? 'BAD_USER_INPUT' : undefined;
}

/**
 * The `errors` a client gets for a failure outside Yoga's execution (the shared fan-out ending a
 * subscription or failing to start one): typed failures keep their code, anything else is
 * INTERNAL_SERVER_ERROR without internal text, as `maskError` does in production.
 */
export function clientError(error: unknown): GraphQLError {
  const masked = maskError(error, 'Unexpected error.', false);
  return masked instanceof GraphQLError ? masked : createGraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}

/**
 * Clips the errors that never reach `maskError`: a document's syntax and validation errors, which
 * Yoga returns unmasked (and the WebSocket transport too, since it parses and validates itself).
 * graphql-js quotes the document in them (`Expected Name, found String "…"`), so they echo input.
 * A syntax error also gets the code Yoga gives it over HTTP only. Without `suggestions` (production),
 * validation errors lose their "Did you mean ...?" (see `withoutSuggestion`) on every transport.
 */
export function useBoundedErrors({ suggestions }: { suggestions: boolean }): Plugin {
  return {
    onParse() {
      return ({ result }) => {
        if (!(result instanceof GraphQLError)) return;
        bounded(result);
        (result.extensions as Record<string, unknown>)['code'] ??= 'GRAPHQL_PARSE_FAILED';
      };
    },
    onValidate() {
      return ({ result }) => {
        // Cut before clipped: a clipped suggestion would no longer read as one.
        for (const error of result) bounded(suggestions ? error : withoutSuggestion(error));
      };
    },
  };
}
