import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type YogaInitialContext } from 'graphql-yoga';
import { forbidden, unauthenticated } from '../auth/errors.js';
import { TokenError, type TokenService } from '../auth/tokens.js';
import type { Viewer } from '../auth/viewer.js';
import type { GraphQLContext, Services } from '../schema/context.js';
import { buildSchema } from '../schema/schema.js';

export interface GraphQLHandlerOptions {
  services: Services;
  tokens: TokenService;
  production: boolean;
  graphiql: boolean;
  /** A token GraphiQL sends for the user (development only). */
  graphiqlToken: string | null;
}

/** Set by the WebSocket transport, which authenticates once per connection. */
export interface ConnectionContext {
  viewer?: Viewer;
}

export const GRAPHQL_PATH = '/graphql';

const GRAPHIQL_QUERY = `# Live BTC ticks (SSE). Try also: publishPrice, startBacktest, backtestProgress.
subscription LivePrices {
  price(symbols: ["BTC-USD"]) {
    symbol
    price
    bid
    ask
    timestamp
    cursor
  }
}
`;

/**
 * The GraphQL core for HTTP and SSE (Yoga), also used by the WebSocket transport through
 * `getEnveloped`. Every operation is authenticated here, so no transport can skip it.
 */
export function createGraphQLHandler(options: GraphQLHandlerOptions) {
  const { services, tokens, production, graphiql, graphiqlToken } = options;
  return createYoga<ConnectionContext, GraphQLContext>({
    schema: buildSchema(),
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    maskedErrors: { isDev: !production },
    logging: production ? 'warn' : 'info',
    renderGraphiQL,
    graphiql: graphiql && {
      title: 'TITAN Realtime',
      defaultQuery: GRAPHIQL_QUERY,
      ...(graphiqlToken ? { additionalHeaders: { Authorization: `Bearer ${graphiqlToken}` } } : {}),
    },
    context: async (initial: YogaInitialContext & ConnectionContext): Promise<GraphQLContext> => ({
      viewer: initial.viewer ?? (await authenticate(tokens, initial.request.headers.get('authorization'))),
      services,
    }),
  });
}

export type GraphQLHandler = ReturnType<typeof createGraphQLHandler>;

async function authenticate(tokens: TokenService, authorization: string | null): Promise<Viewer> {
  try {
    return await tokens.verify(authorization);
  } catch (error) {
    if (error instanceof TokenError) {
      throw error.kind === 'forbidden' ? forbidden(error.message) : unauthenticated(error.message);
    }
    throw error;
  }
}
