import { getOperationAST } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { RateLimiter } from '../auth/rate-limiter.js';
import type { Limits } from '../config.js';
import type { GraphQLContext } from '../schema/context.js';

/**
 * Limits the rate of mutations per user on every transport (users with role `publisher` publish at
 * market rates: `publishesPerSecond`): past it, the mutation is not executed and the caller gets
 * RATE_LIMITED (HTTP 429) with the wait in `extensions.retryAfterMs`.
 */
export function useMutationRateLimit({ mutationsPerSecond, publishesPerSecond }: Pick<Limits, 'mutationsPerSecond' | 'publishesPerSecond'>): Plugin<GraphQLContext> {
  const users = new RateLimiter({ perSecond: mutationsPerSecond });
  const publishers = new RateLimiter({ perSecond: publishesPerSecond });
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      const { viewer } = (args.contextValue as GraphQLContext).auth;
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
