import type { DocumentNode } from 'graphql';
import { backoff } from '../backoff.js';

/**
 * Resume by cursor. Every TITAN subscription declares `$after: Cursor` and selects `cursor` on its
 * root field; resubscribing with `after` = the last cursor received delivers exactly what was missed
 * (README, "Delivery guarantees"). A {@link ResumableSubscription} keeps that cursor and hands the
 * transport a payload *function*, which builds the request with `after` = the last cursor each time
 * it is called:
 *
 * - the transports call it on every connection the operation is sent on (the WebSocket transport
 *   after each `connection_ack`, the SSE transport on each request), so a reconnect resumes;
 * - when the session replaces the transport (a fresh token, the switch to SSE) it calls
 *   {@link ResumableSubscription.restart}, which subscribes again from the last cursor.
 */

/** A GraphQL request as the transports send it (graphql-ws's `SubscribePayload`). */
export interface SubscriptionPayload {
  operationName?: string | null;
  query: string;
  variables?: Record<string, unknown> | null;
  extensions?: Record<string, unknown> | null;
}

/** A result as graphql-ws / SSE deliver it. */
export interface ExecutionResultLike {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLErrorLike[];
  extensions?: Record<string, unknown>;
  hasNext?: boolean;
}

export interface GraphQLErrorLike {
  message: string;
  extensions?: Record<string, unknown>;
}

/** graphql-ws's `Sink`: `error` gets a GraphQL error list, or a close event / error of the transport. */
export interface ResultSink {
  next(result: ExecutionResultLike): void;
  error(error: unknown): void;
  complete(): void;
}

/** Starts an operation on a transport, sent as `payload()` on each connection; returns the function that stops it. */
export type Subscribe = (payload: () => SubscriptionPayload, sink: ResultSink) => () => void;

/** The `cursor` of a result's root field (`{ price: { cursor } }` → the cursor), if it has one. */
export function rootCursor(data: unknown): string | null {
  if (typeof data !== 'object' || data === null) return null;
  for (const value of Object.values(data)) {
    const cursor = (value as { cursor?: unknown } | null)?.cursor;
    if (typeof cursor === 'string' && cursor !== '') return cursor;
  }
  return null;
}

/** True when the operation declares a `$after` variable (then it can be resumed). */
export function declaresAfter(query: DocumentNode | string): boolean {
  if (typeof query === 'string') return /\$after\s*:/.test(query);
  return query.definitions.some(
    (definition) =>
      definition.kind === 'OperationDefinition' &&
      (definition.variableDefinitions ?? []).some((variable) => variable.variable.name.value === 'after'),
  );
}

/** A GraphQL error list (graphql-ws `error` message), as opposed to a transport failure. */
export function isGraphQLErrorList(error: unknown): error is readonly GraphQLErrorLike[] {
  return Array.isArray(error);
}

export function hasErrorCode(errors: readonly GraphQLErrorLike[], code: string): boolean {
  return errors.some((error) => error.extensions?.code === code);
}

export interface ResumableSubscriptionOptions {
  /** The operation as urql hands it over; copied, never mutated. */
  request: SubscriptionPayload;
  /** Carry the last cursor as `after` (the operation declares `$after`). @default true */
  resumable?: boolean;
  /** Where results go (urql's observer). */
  sink: ResultSink;
  /** Subscribes on the transport that is current at the time of the call. */
  subscribe: Subscribe;
  /**
   * A transport failure reached this subscription (a close graphql-ws does not retry, e.g. 4401).
   * Return true when the session takes it over and will call {@link ResumableSubscription.restart};
   * false to end the subscription with that error.
   */
  onTransportFailure(error: unknown): boolean;
  /**
   * Delay before resubscribing after a `SLOW_CONSUMER` error, by attempt since the last event.
   * @default attempt => backoff(attempt, 100, 5000)
   */
  resubscribeDelay?: (attempt: number) => number;
}

export interface ResumableSubscription {
  /** The last cursor received, else the `after` the operation started with. */
  readonly cursor: string | null;
  /** True while waiting for the session to restart it after a transport failure. */
  readonly parked: boolean;
  /** What the next (re)send carries: the request with `after` = {@link cursor}. */
  payload(): SubscriptionPayload;
  /** Stops the current transport subscription, if any, and subscribes again from the last cursor. */
  restart(): void;
  /** Ends it for good (urql tore the operation down). */
  unsubscribe(): void;
}

export function createResumableSubscription(options: ResumableSubscriptionOptions): ResumableSubscription {
  const {
    request,
    resumable = true,
    sink,
    subscribe,
    onTransportFailure,
    resubscribeDelay = (attempt: number) => backoff(attempt, 100, 5_000),
  } = options;
  const after = request.variables?.after;
  let cursor = typeof after === 'string' ? after : null;
  /** A new object each call: nothing the transport keeps is changed afterwards. */
  const payload = (): SubscriptionPayload => ({
    ...request,
    variables: { ...request.variables, ...(resumable && cursor !== null && { after: cursor }) },
  });
  let attempt = 0; // results of an older attempt are ignored
  let stop: (() => void) | null = null;
  let parked = false;
  let ended = false;
  let slowRetries = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  function detach(): void {
    attempt += 1;
    clearTimeout(retryTimer);
    const current = stop;
    stop = null;
    current?.();
  }

  function end(): void {
    ended = true;
    parked = false;
    detach();
  }

  function attach(): void {
    detach();
    parked = false;
    const mine = attempt;
    const live = () => mine === attempt && !ended;
    stop = subscribe(payload, {
      next(result) {
        if (!live()) return;
        const received = rootCursor(result.data);
        if (received !== null) cursor = received;
        slowRetries = 0;
        sink.next(result);
      },
      error(error) {
        if (!live()) return;
        stop = null;
        if (isGraphQLErrorList(error) && resumable && hasErrorCode(error, 'SLOW_CONSUMER')) {
          // We fell behind and the server dropped the operation (over WebSocket it also closes the
          // connection with 4008; graphql-ws reconnects). Subscribe again after the last cursor.
          const delay = resubscribeDelay(slowRetries++);
          retryTimer = setTimeout(() => {
            if (!ended && stop === null && !parked) attach();
          }, delay);
          return;
        }
        if (!isGraphQLErrorList(error) && onTransportFailure(error)) {
          parked = true;
          return;
        }
        end();
        sink.error(error);
      },
      complete() {
        if (!live()) return;
        stop = null;
        end();
        sink.complete();
      },
    });
  }

  attach();

  return {
    get cursor() {
      return cursor;
    },
    get parked() {
      return parked;
    },
    payload,
    restart() {
      if (!ended) attach();
    },
    unsubscribe() {
      if (!ended) end();
    },
  };
}
