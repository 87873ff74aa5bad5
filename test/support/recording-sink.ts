import type { ExecutionResultLike, ResultSink } from '@titan-realtime/client';

/** A subscription sink that records what it was given, in order. */
export function recordingSink() {
  const events: ({ next: ExecutionResultLike } | { error: unknown } | 'complete')[] = [];
  const sink: ResultSink = {
    next: (value) => events.push({ next: value }),
    error: (error) => events.push({ error }),
    complete: () => events.push('complete'),
  };
  return { events, sink };
}
