import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { SseResume } from '../schema/context.js';
import { Payload } from './fanout/payload.js';

/**
 * Standard SSE resume, for both SSE paths (the shared fan-out in `sse.ts`, and Yoga's own for what
 * the fan-out does not serve): every event of a subscription carries its cursor as `id:`, and a
 * request with a `Last-Event-ID` header (what a reconnecting `EventSource` sends) resumes after that
 * cursor exactly as with `after:`, overriding the `after` of its document (the document is the one
 * the stream was first opened with; the header is where it got to). A header that is no cursor of
 * this API is refused with BAD_CURSOR, as a bad `after` is (by the subscription's plan).
 */

/** How often an idle event stream gets a comment line, so that proxies and clients see it alive (Yoga's interval). */
export const SSE_KEEP_ALIVE_MS = 12_000;
export const SSE_COMMENT = ':\n\n';
const COMPLETE = 'event: complete\ndata:\n\n';

/** The cursor to resume after from a `Last-Event-ID` header's value; null when absent or empty (an `EventSource` that saw no id). */
export function lastEventId(header: string | readonly string[] | null | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Requests that take Server-Sent Events and reach Yoga, with their resume state (found again when the result is sent). */
const resumes = new WeakMap<Request, SseResume>();

/** The resume state of a request Yoga serves, for its context: null unless it takes Server-Sent Events. */
export function sseResumeOf(request: Request | undefined): SseResume | null {
  if (!request?.headers.get('accept')?.includes('text/event-stream')) return null;
  let resume = resumes.get(request);
  if (!resume) {
    resume = { lastEventId: lastEventId(request.headers.get('last-event-id')), cursor: null };
    resumes.set(request, resume);
  }
  return resume;
}

/**
 * Yoga's SSE with an `id:` per event: a subscription's results leave as the shared fan-out's do
 * (`Payload.sse`, its cursor as the id), with a comment at once, one every `SSE_KEEP_ALIVE_MS`, and
 * `event: complete` at the end. A single result (an error before the stream started) stays Yoga's.
 */
export function useSseEventIds(): Plugin {
  return {
    onResultProcess({ request, result, setResultProcessor }) {
      const resume = resumes.get(request);
      if (!resume || !isAsyncIterable(result)) return;
      setResultProcessor((results, fetchAPI) => {
        const iterator = (results as AsyncIterable<ExecutionResult>)[Symbol.asyncIterator]();
        return new fetchAPI.Response(eventStream(iterator, resume, fetchAPI.ReadableStream), {
          status: 200,
          headers: { 'content-type': 'text/event-stream', connection: 'keep-alive', 'cache-control': 'no-cache', 'content-encoding': 'none' },
        });
      }, 'text/event-stream');
    },
  };
}

function eventStream(iterator: AsyncIterator<ExecutionResult>, resume: SseResume, Readable: typeof ReadableStream): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let keepAlive: NodeJS.Timeout | undefined;
  return new Readable<Uint8Array>({
    start(controller) {
      // At once: some browsers hold a fetch until the first bytes of its body arrive.
      controller.enqueue(encoder.encode(SSE_COMMENT));
      keepAlive = setInterval(() => {
        if (controller.desiredSize === null) clearInterval(keepAlive);
        else if (controller.desiredSize > 0) controller.enqueue(encoder.encode(SSE_COMMENT));
      }, SSE_KEEP_ALIVE_MS);
    },
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (!next.done) {
          controller.enqueue(new Payload(next.value, resume.cursor).sse);
          resume.cursor = null;
          return;
        }
        controller.enqueue(encoder.encode(COMPLETE));
        controller.close();
      } catch (error) {
        controller.error(error);
      }
      clearInterval(keepAlive);
    },
    async cancel() {
      clearInterval(keepAlive);
      await iterator.return?.();
    },
  });
}
