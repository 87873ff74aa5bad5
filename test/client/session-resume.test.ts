import { CloseCode } from '../../src/transport/close-codes.js';
import { parse } from 'graphql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createResumableSubscription,
  declaresAfter,
  rootCursor,
  type ResultSink,
  type SubscriptionPayload,
} from '../../packages/client/src/live/resumable-subscription.js';
import { recordingSink } from '../support/recording-sink.js';

const PRICE = 'subscription ($after: Cursor) { price(symbols: ["BTC-USD"], after: $after) { price cursor } }';

/** A transport double: records what was sent (as a transport serializes it) and lets the test answer. */
function fakeTransport() {
  const started: { sent: SubscriptionPayload; payload: () => SubscriptionPayload; sink: ResultSink; stopped: boolean }[] = [];
  return {
    started,
    subscribe(payload: () => SubscriptionPayload, sink: ResultSink) {
      const entry = { sent: JSON.parse(JSON.stringify(payload())) as SubscriptionPayload, payload, sink, stopped: false };
      started.push(entry);
      return () => {
        entry.stopped = true;
      };
    },
    last() {
      const entry = started.at(-1);
      if (!entry) throw new Error('nothing subscribed');
      return entry;
    },
  };
}

const tick = (cursor: string, price = 1) => ({ data: { price: { price, cursor } } });

afterEach(() => {
  vi.useRealTimers();
});

describe('rootCursor / declaresAfter', () => {
  it('reads the cursor of the root field, whatever its name or alias', () => {
    expect(rootCursor({ price: { cursor: 'c1', price: 3 } })).toBe('c1');
    expect(rootCursor({ latest: { cursor: 'c9' } })).toBe('c9');
    expect(rootCursor({ price: { price: 3 } })).toBeNull();
    expect(rootCursor(null)).toBeNull();
    expect(rootCursor(undefined)).toBeNull();
  });

  it('knows whether an operation declares $after', () => {
    expect(declaresAfter(parse(PRICE))).toBe(true);
    expect(declaresAfter(PRICE)).toBe(true);
    expect(declaresAfter(parse('subscription { price(symbols: ["X"]) { cursor } }'))).toBe(false);
    expect(declaresAfter(parse('subscription ($afterwards: Cursor) { price(symbols: ["X"], after: $afterwards) { cursor } }'))).toBe(false);
  });
});

describe('createResumableSubscription', () => {
  it('starts from the after it was given, and restarts from the last cursor received', () => {
    const transport = fakeTransport();
    const { events, sink } = recordingSink();
    const subscription = createResumableSubscription({
      request: { query: PRICE, variables: { after: 'snapshot' } },
      sink,
      subscribe: transport.subscribe,
      onTransportFailure: () => true,
    });
    expect(transport.last().sent.variables).toEqual({ after: 'snapshot' });

    transport.last().sink.next(tick('c1'));
    transport.last().sink.next(tick('c2'));
    expect(subscription.cursor).toBe('c2');

    subscription.restart(); // e.g. a new connection after 4401
    expect(transport.started[0]?.stopped).toBe(true);
    expect(transport.last().sent.variables).toEqual({ after: 'c2' });
    expect(events).toHaveLength(2);
  });

  it('hands the transport a payload function that resends from the last cursor, never changing what it handed out', () => {
    const transport = fakeTransport();
    const request = { query: PRICE, variables: { after: 'c0' } };
    createResumableSubscription({ request, sink: recordingSink().sink, subscribe: transport.subscribe, onTransportFailure: () => true });
    const first = transport.last().payload();
    transport.last().sink.next(tick('c1'));
    transport.last().sink.next(tick('c2'));
    expect(transport.last().payload().variables).toEqual({ after: 'c2' }); // what a reconnect sends
    expect(first.variables).toEqual({ after: 'c0' }); // an earlier payload is never mutated
    expect(request.variables.after).toBe('c0'); // nor urql's request
  });

  it('does not add after to an operation that does not declare it', () => {
    const transport = fakeTransport();
    const subscription = createResumableSubscription({
      request: { query: 'subscription { price(symbols: ["X"]) { cursor } }' },
      resumable: false,
      sink: recordingSink().sink,
      subscribe: transport.subscribe,
      onTransportFailure: () => true,
    });
    transport.last().sink.next(tick('c1'));
    subscription.restart();
    expect(transport.last().sent.variables).toEqual({});
    expect(subscription.cursor).toBe('c1');
  });

  it('parks on a transport failure the session takes over, and forwards one it does not', () => {
    const transport = fakeTransport();
    const parked = recordingSink();
    const subscription = createResumableSubscription({
      request: { query: PRICE },
      sink: parked.sink,
      subscribe: transport.subscribe,
      onTransportFailure: (error) => (error as { code: number }).code === 4401,
    });
    transport.last().sink.next(tick('c1'));
    transport.last().sink.error({ code: CloseCode.Unauthorized, reason: 'Unauthorized: token expired' });
    expect(subscription.parked).toBe(true);
    expect(parked.events).toHaveLength(1);
    subscription.restart();
    expect(subscription.parked).toBe(false);
    expect(transport.last().sent.variables).toEqual({ after: 'c1' });

    const fatal = { code: CloseCode.BadRequest, reason: 'bad' };
    transport.last().sink.error(fatal);
    expect(parked.events.at(-1)).toEqual({ error: fatal });
    const before = transport.started.length;
    subscription.restart(); // ended: nothing happens
    expect(transport.started).toHaveLength(before);
  });

  it('forwards GraphQL errors such as CURSOR_EXPIRED and ends', () => {
    const transport = fakeTransport();
    const { events, sink } = recordingSink();
    createResumableSubscription({ request: { query: PRICE, variables: { after: 'old' } }, sink, subscribe: transport.subscribe, onTransportFailure: () => true });
    const errors = [{ message: 'Cursor expired', extensions: { code: 'CURSOR_EXPIRED' } }];
    transport.last().sink.error(errors);
    expect(events).toEqual([{ error: errors }]);
    expect(transport.started).toHaveLength(1);
  });

  it('resubscribes after its last cursor when the server says SLOW_CONSUMER', () => {
    vi.useFakeTimers();
    const transport = fakeTransport();
    const { events, sink } = recordingSink();
    createResumableSubscription({
      request: { query: PRICE },
      sink,
      subscribe: transport.subscribe,
      onTransportFailure: () => true,
      resubscribeDelay: (attempt) => 100 * (attempt + 1),
    });
    transport.last().sink.next(tick('c7'));
    transport.last().sink.error([{ message: 'Slow consumer', extensions: { code: 'SLOW_CONSUMER' } }]);
    expect(transport.started).toHaveLength(1);
    vi.advanceTimersByTime(100);
    expect(transport.started).toHaveLength(2);
    expect(transport.last().sent.variables).toEqual({ after: 'c7' });
    transport.last().sink.error([{ message: 'Slow consumer', extensions: { code: 'SLOW_CONSUMER' } }]);
    vi.advanceTimersByTime(199);
    expect(transport.started).toHaveLength(2); // the second attempt waits longer
    vi.advanceTimersByTime(1);
    expect(transport.started).toHaveLength(3);
    expect(events).toHaveLength(1); // no error reached urql
  });

  it('ignores what a replaced attempt still delivers', () => {
    const transport = fakeTransport();
    const { events, sink } = recordingSink();
    const subscription = createResumableSubscription({ request: { query: PRICE }, sink, subscribe: transport.subscribe, onTransportFailure: () => true });
    const first = transport.last();
    subscription.restart();
    first.sink.next(tick('stale'));
    first.sink.complete();
    expect(events).toEqual([]);
    expect(subscription.cursor).toBeNull();
    transport.last().sink.next(tick('c1'));
    transport.last().sink.complete();
    expect(events).toEqual([{ next: tick('c1') }, 'complete']);
  });

  it('stops the transport subscription on unsubscribe and delivers nothing more', () => {
    const transport = fakeTransport();
    const { events, sink } = recordingSink();
    const subscription = createResumableSubscription({ request: { query: PRICE }, sink, subscribe: transport.subscribe, onTransportFailure: () => true });
    const first = transport.last();
    subscription.unsubscribe();
    expect(first.stopped).toBe(true);
    first.sink.next(tick('c1'));
    subscription.restart();
    expect(events).toEqual([]);
    expect(transport.started).toHaveLength(1);
  });
});
