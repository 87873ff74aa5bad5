import { readFileSync } from 'node:fs';
import { createSchema } from 'graphql-yoga';
import type { GraphQLContext } from './context.js';
import { resolvers } from './resolvers/index.js';

/** The executable schema: the contract in `schema.graphql` with the typed resolvers. */
export function buildSchema() {
  const typeDefs = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
  return createSchema<GraphQLContext>({ typeDefs, resolvers });
}
