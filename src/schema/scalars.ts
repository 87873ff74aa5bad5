import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { badCursor, badUserInput } from '../auth/errors.js';
import { decodeCursor } from '../bus/cursor.js';
import { parseIsoDateTime } from '../publish/validation.js';

function parseDateTime(value: unknown): string {
  const iso = parseIsoDateTime(value);
  if (iso === null) throw badUserInput(`DateTime must be an ISO-8601 date-time with a zone (got ${JSON.stringify(value)})`);
  return iso;
}

function parseCursor(value: unknown): string {
  if (typeof value !== 'string' || decodeCursor(value) === null) {
    throw badCursor('Cursor is malformed or was not issued by this API; refetch the snapshot and subscribe without it');
  }
  return value;
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
  parseValue: parseCursor,
  parseLiteral: (ast) => parseCursor(stringLiteral(ast)),
});
