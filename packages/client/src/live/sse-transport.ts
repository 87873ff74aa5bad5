import { CloseCode, CloseError } from '../close-codes.js';
import type { ExecutionResultLike, ResultSink, SubscriptionPayload } from './resumable-subscription.js';
import { createSseParser } from './sse-parser.js';
import type { Transport, TransportEvents } from './transport.js';

/**
 * Subscriptions over Server-Sent Events on the same `/graphql` endpoint (Yoga's built-in "distinct
 * connections" mode): one `POST` per subscription with `Accept: text/event-stream`, the token in
 * the `Authorization` header (why `fetch` and not `EventSource`, which cannot send headers), and a
 * `ReadableStream` read through {@link createSseParser}.
 *
 * Each stream retries by itself, with the caller's `retryWait`, when it fails or ends without
 * `complete`, sending `payload()` afresh on every attempt (so `after` is the last cursor, see
 * `resumable-subscription.ts`). It ends the sink with:
 * - `complete()` on `event: complete`;
 * - `error(errors)` for a result with errors and no data (e.g. CURSOR_EXPIRED, SLOW_CONSUMER);
 * - `error(CloseError(4401))` for HTTP 401 / `UNAUTHENTICATED`: the session gets a fresh token.
 */
export interface SseTransportOptions {
  /** The GraphQL endpoint, e.g. `https://host/graphql`. */
  url: string;
  /** Headers for each request (read at every attempt, so a renewed token is used on retry). */
  headers(): Record<string, string> | Promise<Record<string, string>>;
  /** Waits before retry number `retries` (0 for the first) of one stream. */
  retryWait(retries: number, error: unknown): Promise<void>;
  /** Lifecycle events, as from graphql-ws. */
  on?: Partial<TransportEvents>;
  /**
   * A stream that has received nothing (not even Yoga's 12 s keep-alive comment) for this long is
   * presumed dead and retried.
   * @default 30000
   */
  idleTimeoutMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** A stream failure worth retrying: network error, 5xx, a stream cut short, silence. */
class RetryableStreamError extends Error {
  override readonly name = 'RetryableStreamError';
}

function authError(reason: string): CloseError {
  return new CloseError(CloseCode.Unauthorized, reason);
}

export function createSseTransport(options: SseTransportOptions): Transport {
  const { url, headers, retryWait, on = {}, idleTimeoutMs = 30_000, fetch: fetchImpl = globalThis.fetch.bind(globalThis) } = options;
  const streams = new Set<AbortController>();
  let disposed = false;

  function subscribe(payload: () => SubscriptionPayload, sink: ResultSink): () => void {
    const controller = new AbortController();
    streams.add(controller);
    let finished = false;
    let opened = false;
    const finish = () => {
      finished = true;
      streams.delete(controller);
    };

    /** One request; resolves `'complete'`, or the terminal error to report, or throws a retryable one. */
    async function attempt(signal: AbortSignal, isRetry: boolean): Promise<'complete' | { error: unknown }> {
      on.connecting?.(isRetry);
      const response = await fetchImpl(url, {
        method: 'POST',
        headers: { accept: 'text/event-stream', 'content-type': 'application/json', ...(await headers()) },
        body: JSON.stringify(payload()),
        signal,
      });
      if (response.status === 401) return { error: authError(`HTTP 401: ${response.statusText || 'Unauthorized'}`) };
      const type = response.headers.get('content-type') ?? '';
      if (!type.includes('text/event-stream')) {
        if (response.status >= 500 || response.status === 408 || response.status === 429) {
          throw new RetryableStreamError(`HTTP ${response.status}`);
        }
        // A JSON answer (e.g. 400 for an invalid operation): report its errors.
        const body = (await response.json().catch(() => null)) as ExecutionResultLike | null;
        const errors = body?.errors ?? [{ message: `HTTP ${response.status}: not an event stream` }];
        return { error: errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED') ? authError(errors[0]?.message ?? '') : errors };
      }
      if (!response.body) throw new RetryableStreamError('no response body');
      opened = true;
      on.opened?.();
      on.connected?.();
      return readStream(response.body, signal);
    }

    async function readStream(body: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<'complete' | { error: unknown }> {
      const reader = body.getReader();
      const decoder = new TextDecoder();
      let outcome: 'complete' | { error: unknown } | null = null;
      const parser = createSseParser((event) => {
        if (outcome !== null || finished) return;
        if (event.event === 'complete') {
          outcome = 'complete';
        } else if (event.event === 'next') {
          const result = JSON.parse(event.data) as ExecutionResultLike;
          if (result.errors?.length && result.data == null) {
            const unauthenticated = result.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
            outcome = { error: unauthenticated ? authError(result.errors[0]?.message ?? 'Unauthenticated') : result.errors };
          } else {
            sink.next(result);
          }
        }
      });
      let idle: ReturnType<typeof setTimeout> | undefined;
      const armIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(() => reader.cancel(new RetryableStreamError('stream idle')).catch(() => {}), idleTimeoutMs);
      };
      try {
        armIdle();
        while (outcome === null) {
          const { done, value } = await reader.read();
          if (done || signal.aborted) break;
          armIdle();
          parser.push(decoder.decode(value, { stream: true }));
        }
      } finally {
        clearTimeout(idle);
      }
      if (outcome !== null) {
        reader.cancel().catch(() => {});
        return outcome;
      }
      parser.end();
      throw new RetryableStreamError('stream ended without complete');
    }

    void (async () => {
      let retries = 0;
      for (let isRetry = false; ; isRetry = true) {
        if (finished || disposed) return;
        let outcome: 'complete' | { error: unknown };
        opened = false;
        try {
          outcome = await attempt(controller.signal, isRetry);
        } catch (error) {
          if (finished || disposed) return;
          if (opened) retries = 0; // it worked for a while: start the backoff again from the bottom
          on.closed?.(error);
          await retryWait(retries++, error);
          continue;
        }
        if (finished || disposed) return;
        finish();
        if (outcome === 'complete') sink.complete();
        else {
          if (outcome.error instanceof CloseError) on.closed?.(outcome.error);
          sink.error(outcome.error);
        }
        return;
      }
    })();

    return () => {
      if (finished) return;
      finish();
      controller.abort();
    };
  }

  return {
    kind: 'sse',
    subscribe,
    dispose() {
      disposed = true;
      for (const controller of streams) controller.abort();
      streams.clear();
    },
  };
}
