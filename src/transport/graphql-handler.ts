import { NoSchemaIntrospectionCustomRule, parse, type DocumentNode, type ValidationRule } from 'graphql';
import { createYoga, type Plugin, type YogaInitialContext } from 'graphql-yoga';
import { tokenRefused } from '../auth/errors.js';
import { TokenError, type TokenService } from '../auth/tokens.js';
import type { Viewer } from '../auth/viewer.js';
import type { HttpConfig, Limits, ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { GraphQLContext, Services, ViewerAuth } from '../schema/context.js';
import { checkNesting, maxNesting, queryLimitRules } from '../schema/query-limits.js';
import { buildSchema } from '../schema/schema.js';
import { maskError, useBoundedErrors } from './error-masking.js';
import { useMutationRateLimit } from './mutation-rate-limit.js';
import { sseResumeOf, useSseEventIds } from './sse-resume.js';
import type { OperationMetrics } from './operation-metrics.js';
import { yogaLogger } from './yoga-logger.js';

export interface GraphQLHandlerOptions {
  services: Services;
  tokens: TokenService;
  /** Read: `production` (error masking, no "Did you mean" suggestions), `graphiql`, `introspection`. */
  server: ServerConfig;
  /** Read: `allowedOrigins`, the origins CORS allows besides the page's own. */
  http: HttpConfig;
  /**
   * The query limits every document is validated against, its parser token budget (the depth also
   * bounds how deep its text may nest, see `maxNesting`) and the mutation rates.
   */
  limits: Limits;
  /** GraphiQL's page, when `server.graphiql` is on (`loadGraphiQL`), and a token it sends for the user (development only). */
  graphiql: { render: GraphiQLRenderer; token: string | null } | null;
  /** The app's logger: Yoga's own lines (errors it masked, debugging) go there too. */
  logger: Logger;
  /** Duration and errors by operation, on the app's registry (`/metrics`). */
  operationMetrics: OperationMetrics;
}

/** Set by the WebSocket transport, which authenticates once per connection. */
export interface ConnectionContext {
  auth?: ViewerAuth;
  /**
   * Set by the SSE transport on the parse and validation it runs to choose a path: a request it
   * hands to Yoga is parsed and validated again there, and only that run counts its errors.
   */
  probe?: boolean;
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
  const {
    services,
    tokens,
    server: { production, introspection },
    http: { allowedOrigins },
    limits,
    graphiql,
    logger,
    operationMetrics,
  } = options;
  const rules: ValidationRule[] = [...queryLimitRules(limits), ...(introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  return createYoga<ConnectionContext, GraphQLContext>({
    schema: buildSchema(),
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    maskedErrors: { isDev: !production, maskError },
    logging: yogaLogger(logger),
    ...(graphiql ? { renderGraphiQL: graphiql.render } : {}),
    // Same-origin pages need no CORS; other origins only when listed.
    cors:
      allowedOrigins.length === 0
        ? false
        : {
            origin: allowedOrigins.includes('*') ? '*' : [...allowedOrigins],
            methods: ['GET', 'POST', 'OPTIONS'],
            allowedHeaders: ['authorization', 'content-type', 'accept'],
            credentials: false,
          },
    plugins: [
      useParserLimits(limits.maxQueryTokens, maxNesting(limits.maxQueryDepth)),
      useBoundedErrors({ suggestions: !production }),
      useValidationRules(rules),
      // Before the rate limit: a mutation it stops is still timed, and its RATE_LIMITED counted.
      ...operationMetrics.plugins,
      useMutationRateLimit(limits),
      useSseEventIds(),
    ],
    graphiql: graphiql !== null && {
      title: 'TITAN Realtime',
      defaultQuery: GRAPHIQL_QUERY,
      ...(graphiql.token ? { additionalHeaders: { Authorization: `Bearer ${graphiql.token}` } } : {}),
    },
    context: async (initial: YogaInitialContext & ConnectionContext): Promise<GraphQLContext> => ({
      auth: initial.auth ?? { viewer: await authenticate(tokens, initial.request.headers.get('authorization')) },
      services,
      // Over WebSocket (and the SSE transport's probe) there is no request here.
      sse: initial.probe ? null : sseResumeOf(initial.request as Request | undefined),
    }),
  });
}

export type GraphQLHandler = ReturnType<typeof createGraphQLHandler>;

export type GraphiQLRenderer = typeof import('@graphql-yoga/render-graphiql').renderGraphiQL;

/**
 * GraphiQL's page renderer, imported only when GraphiQL is served: the module inlines GraphiQL's
 * whole browser bundle, tens of MB of a process' memory that production (GRAPHIQL off) never needs.
 */
export async function loadGraphiQL(enabled: boolean): Promise<GraphiQLRenderer | null> {
  return enabled ? (await import('@graphql-yoga/render-graphiql')).renderGraphiQL : null;
}

/**
 * Parses with a token budget and a nesting bound checked on the tokens first (graphql's recursive
 * parser overflows the stack on a document nested a few thousand deep, well within the budget,
 * before any rule could refuse it), and shares one parsed document per source text, so ten thousand
 * subscribers of the same operation hold one AST, not ten thousand, and the check runs once.
 */
function useParserLimits(maxTokens: number, maxNesting: number, cacheSize = 1000): Plugin {
  const cache = new Map<string, DocumentNode>();
  return {
    onParse({ setParseFn }) {
      setParseFn((source) => {
        const text = typeof source === 'string' ? source : source.body;
        const cached = cache.get(text);
        if (cached) return cached;
        checkNesting(text, maxNesting, maxTokens);
        const document = parse(text, { maxTokens });
        if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
        cache.set(text, document);
        return document;
      });
    },
  };
}

/** Adds validation rules to every document's validation, on every transport. */
function useValidationRules(rules: readonly ValidationRule[]): Plugin {
  return {
    onValidate({ addValidationRule }) {
      for (const rule of rules) addValidationRule(rule);
    },
  };
}

async function authenticate(tokens: TokenService, authorization: string | null): Promise<Viewer> {
  try {
    return await tokens.verify(authorization);
  } catch (error) {
    throw error instanceof TokenError ? tokenRefused(error) : error;
  }
}
