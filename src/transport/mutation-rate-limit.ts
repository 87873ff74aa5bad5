import { getOperationAST } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { RateLimiter } from '../auth/rate-limiter.js';
import type { GraphQLContext } from '../schema/context.js';

export interface MutationRateLimitOptions {
  /** Mutations per second per user (burst: twice as many). */
  mutationsPerSecond: number;
  /** The same for users with role `publisher`, who publish at market rates. */
  publishesPerSecond: number;
}

/**
 * Limits the rate of mutations per user on every transport: past it, the mutation is not executed
 * and the caller gets RATE_LIMITED (HTTP 429) with the wait in `extensions.retryAfterMs`.
 */
export function useMutationRateLimit({ mutationsPerSecond, publishesPerSecond }: MutationRateLimitOptions): Plugin<GraphQLContext> {
  const users = new RateLimiter({ perSecond: mutationsPerSecond });
  const publishers = new RateLimiter({ perSecond: publishesPerSecond });
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      const { viewer } = (args.contextValue as GraphQLContext).session;
      const limiter = viewer.roles.has('publisher') ? publishers : users;
      const retryAfterMs = limiter.take(viewer.id);
      if (retryAfterMs === 0) return;
      setResultAndStopExecution({
        errors: [
          createGraphQLError(`Rate limit exceeded: too many mutations; retry in ${retryAfterMs} ms`, {
            extensions: {
              code: 'RATE_LIMITED',
              retryAfterMs,
              http: { status: 429, headers: { 'retry-after': String(Math.ceil(retryAfterMs / 1000)) } },
            },
          }),
        ],
      });
    },
  };
}
