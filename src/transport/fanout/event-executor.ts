import {
  defaultFieldResolver,
  execute,
  getNamedType,
  getNullableType,
  getOperationAST,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLLeafType,
} from 'graphql';
import type { Envelope } from '../../bus/event-bus.js';
import { EVENT_FIELDS } from '../../schema/event-fields.js';
import type { SubscriptionField } from '../../schema/subscription-plan.js';

/** A group's operation run against one event: the result its members are sent. */
export type EventExecutor = (envelope: Envelope<SubscriptionField>) => ExecutionResult | Promise<ExecutionResult>;

/** One selected leaf field: where its value is and how it is serialized. */
interface Leaf {
  responseKey: string;
  name: string;
  type: GraphQLLeafType | null;
  nonNull: boolean;
}

/**
 * The executor of a group's operation. graphql-js runs the whole operation per event, as its
 * `subscribe()` does: it coerces the variables again (a price subscription's list of symbols), builds
 * an execution context, resolves each field. That was the largest part of the fan-out's cost per
 * event at market-data rates (`docs/performance.md`, "The publish side").
 *
 * Most subscriptions select plain fields of the event (`price(symbols: $s) { symbol price cursor }`):
 * for those the result is built directly, the same value graphql-js gives: the field's value from the
 * same mapping its resolver uses (`EVENT_FIELDS`), each leaf serialized by its type. Anything else
 * takes graphql-js: fragments, directives, arguments, nested objects, a resolver other than the
 * mapping, a custom field resolver; and so does an event whose value would be an error (a null in a
 * non-null field, a value its scalar refuses), so errors stay graphql-js' own.
 */
export function eventExecutor(args: ExecutionArgs, field: SubscriptionField): EventExecutor {
  const full: EventExecutor = (envelope) => execute({ ...args, rootValue: envelope }) as ExecutionResult | Promise<ExecutionResult>;
  const plain = plainSelection(args, field);
  if (!plain) return full;
  const { rootKey, leaves, typename } = plain;
  const toSource = EVENT_FIELDS[field] as (envelope: Envelope<SubscriptionField>) => Record<string, unknown>;
  return (envelope) => {
    const source = toSource(envelope);
    const value: Record<string, unknown> = {};
    for (const { responseKey, name, type, nonNull } of leaves) {
      if (type === null) {
        value[responseKey] = typename;
        continue;
      }
      const raw = source[name];
      let serialized: unknown = null;
      if (raw !== null && raw !== undefined) {
        try {
          serialized = type.serialize(raw);
        } catch {
          return full(envelope);
        }
      }
      if (serialized === null || serialized === undefined) {
        if (nonNull) return full(envelope);
        serialized = null;
      }
      value[responseKey] = serialized;
    }
    return { data: { [rootKey]: value } };
  };
}

/** Whether a group's events take the direct path (the bench measures what it saves; the tests check which documents do). */
export function buildsDirectly(args: ExecutionArgs, field: SubscriptionField): boolean {
  return plainSelection(args, field) !== null;
}

/** The operation's leaves when it selects only plain leaf fields of the event's type; else null. */
function plainSelection(args: ExecutionArgs, field: SubscriptionField): { rootKey: string; leaves: Leaf[]; typename: string } | null {
  if (args.fieldResolver && args.fieldResolver !== defaultFieldResolver) return null;
  const operation = getOperationAST(args.document, args.operationName);
  const root = operation?.selectionSet.selections[0];
  if (!operation || operation.selectionSet.selections.length !== 1 || root?.kind !== Kind.FIELD || root.directives?.length) return null;
  const definition = args.schema.getSubscriptionType()?.getFields()[field];
  if (!definition || definition.resolve !== EVENT_FIELDS[field] || !root.selectionSet) return null;
  const objectType = getNullableType(definition.type);
  if (!isObjectType(objectType)) return null;
  const fields = objectType.getFields();
  const leaves: Leaf[] = [];
  const keys = new Set<string>();
  for (const selection of root.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || selection.directives?.length || selection.arguments?.length || selection.selectionSet) return null;
    const responseKey = selection.alias?.value ?? selection.name.value;
    // A key selected twice is merged by graphql-js' rules: left to it.
    if (keys.has(responseKey)) return null;
    keys.add(responseKey);
    const name = selection.name.value;
    if (name === '__typename') {
      leaves.push({ responseKey, name, type: null, nonNull: true });
      continue;
    }
    const leaf = fields[name];
    const type = leaf && getNamedType(leaf.type);
    if (!leaf || leaf.resolve || isListType(getNullableType(leaf.type)) || !isLeafType(type)) return null;
    leaves.push({ responseKey, name, type, nonNull: isNonNullType(leaf.type) });
  }
  return { rootKey: root.alias?.value ?? root.name.value, leaves, typename: objectType.name };
}
