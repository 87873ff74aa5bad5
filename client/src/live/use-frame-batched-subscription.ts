import { useEffect, useMemo, useRef, useState } from 'react';
import { createRequest, useClient, type AnyVariables, type CombinedError, type UseSubscriptionArgs } from 'urql';
import { pipe, subscribe, onEnd } from 'wonka';

/** What {@link useFrameBatchedSubscription} returns (urql's `UseSubscriptionState`, trimmed). */
export interface FrameBatchedSubscriptionState<Result> {
  data?: Result;
  error?: CombinedError;
  fetching: boolean;
}

type FrameHandle = { readonly cancel: () => void };

/** `requestAnimationFrame`, or a 16 ms timeout where there is none (tests, workers). */
function requestFrame(callback: () => void): FrameHandle {
  if (typeof requestAnimationFrame === 'function') {
    const id = requestAnimationFrame(() => callback());
    return { cancel: () => cancelAnimationFrame(id) };
  }
  const id = setTimeout(callback, 16);
  return { cancel: () => clearTimeout(id) };
}

/**
 * urql's `useSubscription(args, reducer)`, except that React state is updated at most once per
 * animation frame: every event is folded into the result with `reducer` as it arrives (none is
 * dropped, and a hidden tab, where frames stop, holds one folded value rather than a queue), and
 * the component renders the folded value on the next frame. Pending events are rendered when the
 * subscription is replaced or paused, too.
 *
 * Differences from urql: an error result keeps the data folded so far (urql clears it), so a
 * screen can show what it had next to the error; `reducer` may change between renders (the latest
 * one is used).
 */
export function useFrameBatchedSubscription<Data, Result, Variables extends Record<string, unknown>>(
  args: UseSubscriptionArgs<Variables, Data>,
  reducer: (previous: Result | undefined, data: Data) => Result,
): [FrameBatchedSubscriptionState<Result>] {
  const client = useClient();
  const { query, variables, pause = false, context } = args as UseSubscriptionArgs<AnyVariables, Data>;
  const fresh = createRequest<Data, AnyVariables>(query, variables);
  // The same request (by key: document + variables) keeps the same subscription.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const request = useMemo(() => fresh, [fresh.key]);
  const reducerRef = useRef(reducer);
  reducerRef.current = reducer;

  const [state, setState] = useState<FrameBatchedSubscriptionState<Result>>(() => ({ fetching: !pause }));
  /** The folded state, ahead of `state` by at most one frame. */
  const latest = useRef(state);

  useEffect(() => {
    if (pause) {
      latest.current = { ...latest.current, fetching: false };
      setState(latest.current);
      return;
    }
    let active = true;
    let frame: FrameHandle | null = null;
    const flush = () => {
      frame = null;
      setState(latest.current);
    };
    const schedule = () => {
      frame ??= requestFrame(flush);
    };

    if (!latest.current.fetching) {
      latest.current = { ...latest.current, fetching: true };
      setState(latest.current);
    }
    const subscription = pipe(
      client.executeSubscription<Data, AnyVariables>(request, context),
      onEnd(() => {
        if (!active) return; // torn down by us, not ended by the server
        latest.current = { ...latest.current, fetching: false };
        schedule();
      }),
      subscribe((result) => {
        const previous = latest.current;
        latest.current = {
          data: result.data != null ? reducerRef.current(previous.data, result.data) : previous.data,
          error: result.error,
          fetching: true,
        };
        schedule();
      }),
    );
    return () => {
      active = false;
      subscription.unsubscribe();
      if (frame !== null) {
        frame.cancel();
        flush(); // nothing folded is lost when the subscription is replaced
      }
    };
  }, [client, request, pause, context]);

  return [state];
}
