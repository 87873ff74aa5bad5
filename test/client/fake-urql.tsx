import { act, render } from '@testing-library/react';
import { getOperationAST, type DocumentNode } from 'graphql';
import type { ReactNode } from 'react';
import { makeOperation, Provider, type Client, type CombinedError, type GraphQLRequest, type OperationContext, type OperationResult, type OperationType } from 'urql';
import { fromValue, makeSubject, map, merge, never, onEnd, onStart, pipe, type Source, type Subject } from 'wonka';

/* A fake urql client for component tests: answers queries and mutations by operation name;
 * subscriptions are subjects the test pushes into. */

export type Variables = Record<string, unknown>;
export interface Call {
  name: string;
  variables: Variables;
  context: Partial<OperationContext>;
}
export type Reply = { data?: unknown; error?: CombinedError };
export type Answer = Reply | ((variables: Variables) => Reply);

function operationName(query: DocumentNode): string {
  return getOperationAST(query)?.name?.value ?? '(anonymous)';
}

export function fakeUrql(answers: { queries?: Record<string, Answer>; mutations?: Record<string, Answer> } = {}) {
  const calls: Record<OperationType, Call[]> = { query: [], mutation: [], subscription: [], teardown: [] };
  const subjects = new Map<string, Subject<Reply>[]>();
  /** Subscriptions started and not yet ended (by the component or by the test), by name. */
  const open = new Map<string, number>();
  const count = (name: string, by: number) => open.set(name, (open.get(name) ?? 0) + by);

  function operate(kind: 'query' | 'mutation' | 'subscription', request: GraphQLRequest, context: Partial<OperationContext> = {}): Source<OperationResult> {
    const name = operationName(request.query);
    const variables = (request.variables ?? {}) as Variables;
    calls[kind].push({ name, variables, context });
    const operation = makeOperation(kind, request, { url: '/graphql', requestPolicy: 'cache-first', ...context } as OperationContext);
    const toResult = (reply: Reply): OperationResult => ({ operation, data: reply.data, error: reply.error, stale: false, hasNext: false });
    if (kind === 'subscription') {
      const subject = makeSubject<Reply>();
      subjects.set(name, [...(subjects.get(name) ?? []), subject]);
      return pipe(
        subject.source,
        map(toResult),
        onStart(() => count(name, 1)),
        onEnd(() => count(name, -1)),
      );
    }
    const answer = (kind === 'query' ? answers.queries : answers.mutations)?.[name];
    if (!answer) return never;
    const result = fromValue(toResult(typeof answer === 'function' ? answer(variables) : answer));
    // A real client's query stays open after its result (for cache updates); one that ended would
    // make urql's useQuery drop an error result as soon as it was shown.
    return kind === 'query' ? merge([result, never]) : result;
  }

  const client = {
    suspense: false,
    executeQuery: (request: GraphQLRequest, context?: Partial<OperationContext>) => operate('query', request, context),
    executeMutation: (request: GraphQLRequest, context?: Partial<OperationContext>) => operate('mutation', request, context),
    executeSubscription: (request: GraphQLRequest, context?: Partial<OperationContext>) => operate('subscription', request, context),
  } as unknown as Client;

  return {
    client,
    calls,
    /** Every call of `name` of that kind. */
    callsOf: (kind: OperationType, name: string) => calls[kind].filter((call) => call.name === name),
    /** How many subscriptions named `name` are running now (started and not torn down). */
    openSubscriptions: (name: string) => open.get(name) ?? 0,
    /** Pushes events into the latest subscription named `name`, then lets React render (once). */
    push(name: string, ...replies: Reply[]) {
      const latest = subjects.get(name)?.at(-1);
      if (!latest) throw new Error(`no subscription ${name} was started`);
      act(() => replies.forEach((reply) => latest.next(reply)));
    },
    render: (ui: ReactNode) => render(<Provider value={client}>{ui}</Provider>),
  };
}
