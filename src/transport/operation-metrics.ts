import { createCounter, createHistogram, usePrometheus, type FillLabelsFnParams } from '@graphql-yoga/plugin-prometheus';
import { getOperationAST, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Registry } from 'prom-client';
import { clientCode } from './error-masking.js';

/** Where an error was met, as the `phase` label says it. */
type Phase = 'parse' | 'validate' | 'context' | 'execute' | 'subscribe';
type OperationLabels = { operationName: string; operationType: string };
type ErrorLabels = OperationLabels & { phase: string; code: string };

export interface OperationMetricsOptions {
  /** The app's registry (`Metrics.registry`): these metrics are served on `/metrics` with the others. */
  registry: Registry;
  /**
   * Most distinct operation names a label takes; names past it read `other`.
   * @default 100
   */
  maxOperationNames?: number;
}

/** Labels an operation without a name (or a document that named none that could run). */
const ANONYMOUS = 'anonymous';
/** Labels a name not admitted (see `OperationNames`). */
const OTHER = 'other';
/** Longest operation name a label keeps. */
const MAX_NAME_LENGTH = 64;
/** Execution times go from a cached in-memory read (under 1 ms; the plugin times in whole ms) to a slow Redis. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** What an `extensions.code` looks like; anything else would be no code of ours. */
const CODE_FORMAT = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * Operation names as label values, with bounded cardinality: names come from clients. A name is
 * admitted when an operation of that name got as far as execution (so it was valid and
 * authenticated), up to `max` names; a name not admitted is `other` wherever it shows up earlier
 * (refused in validation or authentication), and every name past `max` stays `other`.
 */
class OperationNames {
  private readonly admitted = new Set<string>();

  constructor(private readonly max: number) {}

  label(name: string | undefined, admit: boolean): string {
    if (!name) return ANONYMOUS;
    const clipped = name.length > MAX_NAME_LENGTH ? name.slice(0, MAX_NAME_LENGTH) : name;
    if (this.admitted.has(clipped)) return clipped;
    if (!admit || this.admitted.size >= this.max) return OTHER;
    this.admitted.add(clipped);
    return clipped;
  }
}

/** The operation name a request asked for, read from Yoga's context when there is one. */
function requestedName(params: FillLabelsFnParams, context: unknown): string | undefined {
  const request = (context as { params?: { operationName?: unknown } } | null | undefined)?.params;
  // With Yoga's context the client's own choice counts (the plugin's `operationName` falls back to
  // the first definition's name, or 'Anonymous'); the HTTP histogram gets the resolved name and no `params`.
  if (request === undefined) return params.operationName;
  return typeof request.operationName === 'string' ? request.operationName : undefined;
}

/**
 * The operation metrics of `@graphql-yoga/plugin-prometheus` on the app's registry, for every
 * operation Yoga runs (HTTP, SSE through Yoga, WebSocket through `getEnveloped`), plus the errors of
 * what runs outside Yoga (the shared fan-out, see `sharedPathErrors`):
 *
 * - `graphql_envelop_request_duration{operationName,operationType}`: execution of a query or mutation,
 *   seconds (histogram). Subscriptions are not timed: their lifetime is no latency.
 * - `graphql_yoga_http_duration{operationName,operationType,statusCode}`: an HTTP request through
 *   Yoga, from its arrival to its response's head (for a stream: to its first byte), seconds.
 * - `graphql_envelop_error_result{operationName,operationType,phase,code}`: the errors clients get,
 *   one per entry of an `errors` list, by the `extensions.code` a client sees.
 */
export class OperationMetrics {
  /** Yoga plugins, in this order, placed before any plugin that may stop an execution (the mutation rate limit). */
  readonly plugins: readonly Plugin[];
  private readonly names: OperationNames;
  private readonly errors: ReturnType<typeof createErrorCounter>;

  constructor({ registry, maxOperationNames = 100 }: OperationMetricsOptions) {
    this.names = new OperationNames(maxOperationNames);
    /** Labels from what the plugin passes: the parsed document, and the name the request asked for. */
    const labelsOf = (params: FillLabelsFnParams, context: unknown, admit: boolean): OperationLabels =>
      this.operation(params.document, requestedName(params, context), admit);
    this.errors = createErrorCounter(registry, (params, context) => {
      const phase = (params.errorPhase ?? 'execute') as Phase;
      return { ...labelsOf(params, context, phase === 'execute'), phase, code: codeOf(params.error, phase) };
    });
    const duration = createHistogram<'execute', keyof OperationLabels>({
      registry,
      histogram: {
        name: 'graphql_envelop_request_duration',
        help: 'Time to execute a query or mutation (from the start of execution to its result), by operation.',
        labelNames: ['operationName', 'operationType'],
        buckets: DURATION_BUCKETS,
      },
      fillLabelsFn: (params, context) => labelsOf(params, context, true),
      phases: ['execute'],
    });
    const http = createHistogram<'request', keyof OperationLabels | 'statusCode', FillLabelsFnParams & { response: Response }>({
      registry,
      histogram: {
        name: 'graphql_yoga_http_duration',
        help: "Time from an HTTP request's arrival at Yoga to its response's head (a stream's first byte), by operation and status.",
        labelNames: ['operationName', 'operationType', 'statusCode'],
        buckets: DURATION_BUCKETS,
      },
      fillLabelsFn: (params, context) => ({
        ...labelsOf(params, context, false),
        statusCode: params.response.status,
      }),
      phases: ['request'],
    });
    const prometheus = usePrometheus({
      registry,
      endpoint: false, // `/metrics` is served by http.ts, behind METRICS_TOKEN
      metrics: {
        graphql_envelop_request_duration: duration,
        graphql_yoga_http_duration: http,
        graphql_envelop_error_result: this.errors,
        graphql_envelop_request: false,
        graphql_envelop_request_time_summary: false,
        graphql_envelop_deprecated_field: false,
        graphql_envelop_phase_parse: false,
        graphql_envelop_phase_validate: false,
        graphql_envelop_phase_context: false,
        graphql_envelop_phase_execute: false,
        graphql_envelop_phase_subscribe: false,
        graphql_envelop_schema_change: false,
        graphql_envelop_execute_resolver: false,
      },
    });
    this.plugins = [prometheus, this.countUnlabelled()];
  }

  /**
   * Counts the errors the shared fan-out answers a subscriber with (its group could not start, its
   * stream ended with an error) or sends with an event (once per execution, which serves the whole
   * group): those subscriptions run outside Yoga, where the plugin does not see them.
   */
  readonly sharedPathErrors = (args: Pick<ExecutionArgs, 'document' | 'operationName'>, errors: readonly unknown[]): void => {
    this.count(this.operation(args.document, args.operationName ?? undefined, true), 'subscribe', errors);
  };

  private operation(document: DocumentNode | undefined, name: string | undefined, admit: boolean): OperationLabels {
    const operation = document && getOperationAST(document, name);
    if (!operation) return { operationName: ANONYMOUS, operationType: 'unknown' };
    return { operationName: this.names.label(operation.name?.value, admit), operationType: operation.operation };
  }

  private count(labels: OperationLabels, phase: Phase, errors: readonly unknown[] | undefined): void {
    for (const error of errors ?? []) this.errors.counter.inc({ ...labels, phase, code: codeOf(error, phase) } satisfies ErrorLabels);
  }

  /**
   * What the plugin counts without the error's code: a refused document (once per document, without
   * its errors) and a Yoga subscription's errors (a stream's end without its error). Counted here
   * instead, one per error, with its code; the plugin's counter leaves these phases to this.
   */
  private countUnlabelled(): Plugin {
    return {
      onValidate: ({ context, params: { documentAST } }) => {
        if (isProbe(context)) return undefined;
        return ({ result }) => {
          if (result.length === 0) return;
          const name = requestedName({}, context);
          this.count(this.operation(documentAST, name, false), 'validate', result);
        };
      },
      onSubscribe: ({ args }) => {
        const labels = () => this.operation(args.document, args.operationName ?? undefined, true);
        const counted = ({ result }: { result: ExecutionResult }) => this.count(labels(), 'subscribe', result.errors);
        return {
          onSubscribeResult: ({ result }) => {
            if (!isAsyncIterable(result)) return counted({ result });
            return { onNext: counted };
          },
          // A client that went away (Yoga ends its stream with an AbortError) is sent nothing.
          onSubscribeError: ({ error }) => (isAbort(error) ? undefined : this.count(labels(), 'subscribe', [error])),
        };
      },
    };
  }
}

/**
 * The context of a parse and validation the SSE transport runs to choose a path: a request it hands
 * to Yoga is parsed and validated again there, and counted then.
 */
function isProbe(context: unknown): boolean {
  return (context as { probe?: unknown } | null | undefined)?.probe === true;
}

/** How Yoga ends the stream of a request its client aborted. */
function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** The plugin's error counter, with the code and the phase as labels, for the phases it labels well. */
function createErrorCounter(registry: Registry, fillLabelsFn: (params: FillLabelsFnParams, context: unknown) => ErrorLabels) {
  return createCounter<Phase, keyof ErrorLabels>({
    registry,
    counter: {
      name: 'graphql_envelop_error_result',
      help: 'Errors sent to clients (one per entry of an `errors` list), by operation, phase and `extensions.code`.',
      labelNames: ['operationName', 'operationType', 'phase', 'code'],
    },
    fillLabelsFn,
    // Validation and subscriptions are counted by `countUnlabelled`.
    phases: ['parse', 'context', 'execute'],
    shouldObserve: (_params, context) => !isProbe(context),
  });
}

/** The `extensions.code` a client gets for this error (masked as it will be), or the phase's own. */
function codeOf(error: unknown, phase: Phase): string {
  const code = error == null ? undefined : clientCode(error);
  if (typeof code === 'string' && CODE_FORMAT.test(code)) return code;
  if (phase === 'parse') return 'GRAPHQL_PARSE_FAILED';
  if (phase === 'validate') return 'GRAPHQL_VALIDATION_FAILED';
  return 'INTERNAL_SERVER_ERROR';
}
