import { getOperationAST, Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { badUserInput, rateLimited } from '../auth/errors.js';
import { inFlightRefusal } from '../schema/publish-batch.js';
import type { GraphQLContext } from '../schema/context.js';

/**
 * Limits the rate of mutations per user on every transport, with the context's
 * `services.rateLimits` (counted across instances when `REDIS_URL` is set, see `limits/`): users with
 * role `publisher` publish at market rates (`PUBLISHES_PER_SECOND`), others at `MUTATIONS_PER_SECOND`.
 * A document costs one per root field, and a batch publish one per input (`mutationCost`). Past the
 * rate, the mutation is not executed and the caller gets RATE_LIMITED (HTTP 429) with the wait in
 * `extensions.retryAfterMs`; a document costing more than the rate's burst could never pass and is
 * refused with BAD_USER_INPUT naming the burst. A publisher's mutation is refused with RATE_LIMITED
 * before its rate is counted when the instance could not take it now (`PUBLISH_MAX_IN_FLIGHT`, taken
 * by the publish resolvers: `schema/publish-batch.ts`).
 *
 * `_knobs` is not read: the rates come with the limits the app built from the same knobs. It stays
 * for the caller in graphql-handler.ts, which passes its `limits`.
 */
export function useMutationRateLimit(_knobs?: unknown): Plugin<GraphQLContext> {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const { auth, services } = args.contextValue as GraphQLContext;
      const { viewer } = auth;
      const publisher = viewer.roles.has('publisher');
      const rate = publisher ? services.rateLimits.publishes : services.rateLimits.mutations;
      const variables = (args.variableValues ?? {}) as Record<string, unknown>;
      // A batch of a user who may not publish counts one: its resolver refuses it (FORBIDDEN).
      const cost = mutationCost(args.document, operation.selectionSet, variables, publisher ? services.publishBatchMax : 0);
      if (cost > rate.burst) {
        const knob = publisher ? 'PUBLISHES_PER_SECOND' : 'MUTATIONS_PER_SECOND';
        setResultAndStopExecution({
          errors: [badUserInput(`This mutation counts ${cost} against a rate that allows at most ${rate.burst} at once (twice ${knob}): send fewer inputs per request`)],
        });
        return;
      }
      // A publish the instance cannot take now (it takes it in its resolver) does not spend the user's rate.
      const full = publisher ? services.publishesInFlight.refuses(cost) : null;
      if (full) {
        setResultAndStopExecution({ errors: [inFlightRefusal(full.retryAfterMs)] });
        return;
      }
      const retryAfterMs = await rate.take(viewer.id, cost);
      if (retryAfterMs === 0) return;
      setResultAndStopExecution({ errors: [rateLimited('too many mutations', retryAfterMs)] });
    },
  };
}

/** The root fields whose cost is the length of their `inputs` list. */
const BATCH_FIELDS = new Set(['publishPrices', 'publishSignals']);

/**
 * What a mutation counts against its rate: one per root field (fragments expanded), a batch publish
 * one per input of its `inputs` (a list literal's items, or the variable's; one for a single value,
 * which GraphQL coerces to a list of one), at least one. A batch over `batchMax` counts one: its
 * resolver refuses it whole before publishing anything.
 */
export function mutationCost(
  document: DocumentNode,
  selectionSet: SelectionSetNode,
  variables: Record<string, unknown>,
  batchMax: number,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const seen = new Set<string>();
  const costOf = (set: SelectionSetNode): number => {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) cost += costOf(selection.selectionSet);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        // Validation refuses cycles before execution; counting a fragment once more is harmless anyway.
        if (fragment && !seen.has(fragment.name.value)) {
          seen.add(fragment.name.value);
          cost += costOf(fragment.selectionSet);
        }
      } else if (BATCH_FIELDS.has(selection.name.value)) {
        const inputs = selection.arguments?.find((argument) => argument.name.value === 'inputs')?.value;
        const count = inputs === undefined ? 1 : listLength(inputs, variables);
        cost += count > batchMax ? 1 : count;
      } else cost += 1;
    }
    return cost;
  };
  return Math.max(1, costOf(selectionSet));
}

function listLength(value: ValueNode, variables: Record<string, unknown>): number {
  if (value.kind === Kind.LIST) return value.values.length;
  if (value.kind === Kind.VARIABLE) {
    const given = variables[value.name.value];
    return Array.isArray(given) ? given.length : 1;
  }
  return 1;
}
