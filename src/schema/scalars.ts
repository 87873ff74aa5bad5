import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { badCursor, badUserInput } from '../auth/errors.js';
import { decodeCursor } from '../bus/cursor.js';
import { parseIsoDateTime, quote } from '../publish/validation.js';

function parseDateTime(value: unknown): string {
  const iso = parseIsoDateTime(value);
  if (iso === null) throw badUserInput(`DateTime must be an ISO-8601 date-time with a zone (got ${quote(value)})`);
  return iso;
}

export const MALFORMED_CURSOR = 'Cursor is malformed or was not issued by this API; refetch the snapshot and subscribe without it';

/**
 * A cursor variable this API did not issue: a plain Error with a code, like the bus's typed errors.
 * A GraphQLError would lose its code: the executor sets BAD_USER_INPUT on a variable's coercion
 * error, whose extensions object is the very one of the GraphQLError it wraps. The masking
 * (`maskError`) gives the answer the code of this cause.
 */
class MalformedCursorError extends Error {
  readonly code = 'BAD_CURSOR';
}

function isCursor(value: unknown): value is string {
  return typeof value === 'string' && decodeCursor(value) !== null;
}

function stringLiteral(ast: ValueNode): unknown {
  return ast.kind === Kind.STRING ? ast.value : undefined;
}

export const DateTime = new GraphQLScalarType<string, string>({
  name: 'DateTime',
  serialize: (value) => String(value),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(stringLiteral(ast)),
});

export const Cursor = new GraphQLScalarType<string, string>({
  name: 'Cursor',
  serialize: (value) => String(value),
  parseValue: (value) => {
    if (!isCursor(value)) throw new MalformedCursorError(MALFORMED_CURSOR);
    return value;
  },
  // Validation reports a literal's GraphQLError as it is thrown, code included.
  parseLiteral: (ast) => {
    const value = stringLiteral(ast);
    if (!isCursor(value)) throw badCursor(MALFORMED_CURSOR);
    return value;
  },
});
