// @vitest-environment jsdom
import { act, render } from '@testing-library/react';
import { useState } from 'react';
import { Client, CombinedError, Provider, type Exchange, type Operation, type OperationResult } from 'urql';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { filter, makeSubject, merge, mergeMap, pipe, share, takeUntil, type Subject } from 'wonka';
import { useFrameBatchedSubscription } from '../../client/src/live/use-frame-batched-subscription.js';

const TICKS = 'subscription Ticks($after: Cursor) { price(symbols: ["BTC-USD"], after: $after) { price cursor } }';
type Tick = { price: { price: number; cursor: string } };

/** An urql client whose subscriptions are subjects the test pushes results into. */
function fakeClient() {
  const subjects = new Map<string, { subject: Subject<OperationResult>; operation: Operation }>();
  const started: { key: number; variables: unknown }[] = [];
  const exchange: Exchange = () => (operations$) => {
    const shared = pipe(operations$, share);
    return merge([
      pipe(
        shared,
        filter((operation) => operation.kind === 'subscription'),
        mergeMap((operation) => {
          const subject = makeSubject<OperationResult>();
          subjects.set(String(operation.variables?.after ?? ''), { subject, operation });
          started.push({ key: operation.key, variables: operation.variables });
          return pipe(subject.source, takeUntil(pipe(shared, filter((op) => op.kind === 'teardown' && op.key === operation.key))));
        }),
      ),
    ]);
  };
  const client = new Client({ url: 'http://localhost/graphql', exchanges: [exchange] });
  const push = (after: string, result: Partial<OperationResult>) => {
    const entry = subjects.get(after);
    if (!entry) throw new Error(`no subscription after ${after}`);
    entry.subject.next({ operation: entry.operation, stale: false, hasNext: true, ...result } as OperationResult);
  };
  return { client, subjects, started, push };
}

/** A stubbed requestAnimationFrame: frames run only when the test says so. */
function stubFrames() {
  let queue: FrameRequestCallback[] = [];
  vi.stubGlobal('requestAnimationFrame', (callback: FrameRequestCallback) => queue.push(callback));
  vi.stubGlobal('cancelAnimationFrame', (id: number) => {
    queue[id - 1] = () => {};
  });
  return {
    pending: () => queue.length,
    runFrame() {
      const callbacks = queue;
      queue = [];
      act(() => callbacks.forEach((callback) => callback(performance.now())));
    },
  };
}

let renders: { data: number[] | undefined; fetching: boolean; error: CombinedError | undefined }[] = [];

function Ticker({ after = 'c0', pause = false }: { after?: string; pause?: boolean }) {
  const [{ data, fetching, error }] = useFrameBatchedSubscription<Tick, number[], { after: string }>(
    { query: TICKS, variables: { after }, pause },
    (previous = [], tick) => [...previous, tick.price.price],
  );
  renders.push({ data, fetching, error });
  return <p>{data?.join(',')}</p>;
}

beforeEach(() => {
  renders = [];
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
  document.body.innerHTML = '';
});

const tick = (price: number) => ({ data: { price: { price, cursor: `c${price}` } } });

describe('useFrameBatchedSubscription', () => {
  it('folds every event of a frame and renders once for them', () => {
    const frames = stubFrames();
    const { client, push } = fakeClient();
    render(
      <Provider value={client}>
        <Ticker />
      </Provider>,
    );
    const before = renders.length;
    act(() => {
      for (let price = 1; price <= 100; price++) push('c0', tick(price));
    });
    expect(renders.length).toBe(before); // nothing rendered before the frame
    expect(frames.pending()).toBe(1); // one frame asked for, not 100
    frames.runFrame();
    expect(renders.length).toBe(before + 1);
    expect(renders.at(-1)?.data).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(renders.at(-1)?.fetching).toBe(true);
  });

  it('renders once per frame with events in three frames, losing none', () => {
    const frames = stubFrames();
    const { client, push } = fakeClient();
    render(
      <Provider value={client}>
        <Ticker />
      </Provider>,
    );
    const before = renders.length;
    let price = 0;
    for (let frame = 0; frame < 3; frame++) {
      act(() => {
        for (let i = 0; i < 20; i++) push('c0', tick((price += 1)));
      });
      frames.runFrame();
    }
    expect(renders.length).toBe(before + 3);
    expect(renders.at(-1)?.data).toHaveLength(60);
    expect(renders.map((r) => r.data?.length ?? 0).slice(before)).toEqual([20, 40, 60]);
  });

  it('falls back to a 16 ms timer without requestAnimationFrame', async () => {
    vi.useFakeTimers();
    vi.stubGlobal('requestAnimationFrame', undefined);
    const { client, push } = fakeClient();
    render(
      <Provider value={client}>
        <Ticker />
      </Provider>,
    );
    const before = renders.length;
    act(() => {
      for (let price = 1; price <= 10; price++) push('c0', tick(price));
    });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(15);
    });
    expect(renders.length).toBe(before);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1);
    });
    expect(renders.length).toBe(before + 1);
    expect(renders.at(-1)?.data).toHaveLength(10);
  });

  it('renders what is pending when the subscription is replaced, and goes on folding', () => {
    const frames = stubFrames();
    const { client, push, started } = fakeClient();
    const view = render(
      <Provider value={client}>
        <Ticker after="c0" />
      </Provider>,
    );
    act(() => {
      push('c0', tick(1));
      push('c0', tick(2));
    });
    view.rerender(
      <Provider value={client}>
        <Ticker after="snap-2" />
      </Provider>,
    );
    expect(renders.at(-1)?.data).toEqual([1, 2]); // flushed by the old subscription's cleanup
    expect(started.map((s) => s.variables)).toEqual([{ after: 'c0' }, { after: 'snap-2' }]);
    act(() => push('snap-2', tick(3)));
    frames.runFrame();
    expect(renders.at(-1)?.data).toEqual([1, 2, 3]);
  });

  it('does not subscribe while paused', () => {
    stubFrames();
    const { client, started } = fakeClient();
    render(
      <Provider value={client}>
        <Ticker pause />
      </Provider>,
    );
    expect(started).toEqual([]);
    expect(renders.at(-1)).toEqual({ data: undefined, fetching: false, error: undefined });
  });

  it('reports an error with the data folded so far, in the next frame', () => {
    const frames = stubFrames();
    const { client, push } = fakeClient();
    render(
      <Provider value={client}>
        <Ticker />
      </Provider>,
    );
    const error = new CombinedError({ graphQLErrors: [{ message: 'Cursor expired', extensions: { code: 'CURSOR_EXPIRED' } }] });
    act(() => {
      push('c0', tick(1));
      push('c0', { error });
    });
    frames.runFrame();
    expect(renders.at(-1)?.data).toEqual([1]);
    expect(renders.at(-1)?.error?.graphQLErrors[0]?.extensions.code).toBe('CURSOR_EXPIRED');
  });

  it('uses the latest reducer', () => {
    const frames = stubFrames();
    const { client, push } = fakeClient();
    function Scaled() {
      const [factor, setFactor] = useState(1);
      const [{ data }] = useFrameBatchedSubscription<Tick, number, { after: string }>(
        { query: TICKS, variables: { after: 'c0' } },
        (previous = 0, tick) => previous + tick.price.price * factor,
      );
      return (
        <button type="button" onClick={() => setFactor(10)}>
          {data ?? 0}
        </button>
      );
    }
    const view = render(
      <Provider value={client}>
        <Scaled />
      </Provider>,
    );
    act(() => push('c0', tick(1)));
    frames.runFrame();
    act(() => view.getByRole('button').click());
    act(() => push('c0', tick(2)));
    frames.runFrame();
    expect(view.getByRole('button').textContent).toBe('21');
  });
});
