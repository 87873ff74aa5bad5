import { getOperationAST } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../schema/context.js';

/**
 * Limits the rate of mutations per user on every transport, with the context's
 * `services.rateLimits` (counted across instances when `REDIS_URL` is set, see `limits/`): users with
 * role `publisher` publish at market rates (`PUBLISHES_PER_SECOND`), others at `MUTATIONS_PER_SECOND`.
 * Past it, the mutation is not executed and the caller gets RATE_LIMITED (HTTP 429) with the wait in
 * `extensions.retryAfterMs`.
 *
 * `_knobs` is not read: the rates come with the limits the app built from the same knobs. It stays
 * for the caller in graphql-handler.ts, which passes its `limits`.
 */
export function useMutationRateLimit(_knobs?: unknown): Plugin<GraphQLContext> {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      const { auth, services } = args.contextValue as GraphQLContext;
      const { viewer } = auth;
      const rate = viewer.roles.has('publisher') ? services.rateLimits.publishes : services.rateLimits.mutations;
      const retryAfterMs = await rate.take(viewer.id);
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
