// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLiveConnection, type ConnectionState, type LiveConnection, type LiveConnectionOptions, type TokenStore } from '@titan-realtime/client';
import { FakeSocket } from '../support/fake-graphql-ws-socket.js';
import { devTokenStore, settleTimers as settle, sseServer } from '../support/live-connection-doubles.js';
import { recordingSink } from '../support/recording-sink.js';

/**
 * The live connection and the page's situation, through the browser's own signals as jsdom
 * dispatches them (the connection's default monitors, not doubles): `offline` / `online` on
 * `window`, `visibilitychange` on `document` with `document.visibilityState`. The WebSocket is the
 * graphql-transport-ws double; timers are fake.
 */

const PRICE = 'subscription ($after: Cursor) { price(symbols: ["BTC-USD"], after: $after) { price cursor } }';
const SIGNAL = 'subscription ($after: Cursor) { signal(after: $after) { id cursor } }';

let online = true;
let visibility: DocumentVisibilityState = 'visible';
let connection: LiveConnection | undefined;
let states: ConnectionState[] = [];

function goOffline(): void {
  online = false;
  window.dispatchEvent(new Event('offline'));
}
function goOnline(): void {
  online = true;
  window.dispatchEvent(new Event('online'));
}
function setVisibility(value: DocumentVisibilityState): void {
  visibility = value;
  document.dispatchEvent(new Event('visibilitychange'));
}

async function connect(options: Partial<LiveConnectionOptions> & { tokens: TokenStore }): Promise<LiveConnection> {
  connection = createLiveConnection({
    wsUrl: 'ws://localhost/graphql',
    httpUrl: 'http://localhost/graphql',
    random: () => 0.5,
    ws: { webSocketImpl: FakeSocket as unknown as typeof WebSocket },
    ...options,
  });
  states = [connection.status.getSnapshot().state];
  connection.status.subscribe(({ newState }) => {
    if (states.at(-1) !== newState) states.push(newState);
  });
  await settle();
  return connection;
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.all = [];
  FakeSocket.mode = 'accept';
  FakeSocket.throwOnConstruct = false;
  FakeSocket.answerPings = true;
  online = true;
  visibility = 'visible';
  vi.spyOn(navigator, 'onLine', 'get').mockImplementation(() => online);
  vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => visibility);
});

afterEach(() => {
  connection?.dispose();
  connection = undefined;
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('offline and online', () => {
  it('says offline the moment the browser does, drops the socket, and reconnects on `online` without waiting for the backoff', async () => {
    // A 10 s backoff window: random 0.5 waits 5 s, unless `online` cuts it short.
    const live = await connect({ tokens: await devTokenStore('T1'), retryBaseDelayMs: 10_000, maxRetryDelayMs: 10_000 });
    const { events, sink } = recordingSink();
    live.subscribe({ query: PRICE, variables: { after: 'c0' } }, sink);
    await settle();
    const first = FakeSocket.last();
    first.next(first.lastSubscribe().id!, { price: { price: 1, cursor: 'c1' } });

    FakeSocket.mode = 'refuse'; // what a socket opened without a network does
    goOffline();
    expect(live.status.getSnapshot().state).toBe('offline'); // at once, before any watchdog
    await settle();
    expect(first.readyState).toBe(FakeSocket.CLOSED);
    expect(live.status.getSnapshot()).toMatchObject({ state: 'offline', retryAt: expect.any(Number) });
    const socketsWhileOffline = FakeSocket.all.length;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(FakeSocket.all).toHaveLength(socketsWhileOffline); // waiting out the backoff

    FakeSocket.mode = 'accept';
    goOnline();
    await settle(); // no timer advanced: the retry happens now
    expect(FakeSocket.all).toHaveLength(socketsWhileOffline + 1);
    expect(live.status.getSnapshot().state).toBe('connected');
    expect(FakeSocket.last().lastSubscribe().payload.variables).toEqual({ after: 'c1' });
    expect(events).toHaveLength(1); // the drop is invisible to the subscriber
    expect(states).toEqual(['connecting', 'connected', 'offline', 'reconnecting', 'connected']);
  });

  it('does not take WebSockets failing without a network for a proxy that blocks them (no SSE fallback)', async () => {
    online = false;
    FakeSocket.mode = 'refuse';
    const server = sseServer();
    const live = await connect({ tokens: await devTokenStore('T1'), fetch: server.fetch, retryBaseDelayMs: 100, maxRetryDelayMs: 100 });
    live.subscribe({ query: PRICE }, recordingSink().sink);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(FakeSocket.all.length).toBeGreaterThan(5);
    expect(live.status.getSnapshot()).toMatchObject({ state: 'offline', transport: 'websocket' });
    expect(server.requests).toHaveLength(0);

    FakeSocket.mode = 'accept';
    goOnline();
    await settle();
    expect(live.status.getSnapshot()).toMatchObject({ state: 'connected', transport: 'websocket' });
  });
});

describe('a hidden page', () => {
  it('closes its connection after the grace period and, visible again, resumes every subscription after its cursor on one new connection', async () => {
    const live = await connect({ tokens: await devTokenStore('T1') }); // hiddenGraceMs: 10 s by default
    const prices = recordingSink();
    const signals = recordingSink();
    live.subscribe({ query: PRICE, variables: { after: 'p0' } }, prices.sink);
    live.subscribe({ query: SIGNAL }, signals.sink);
    await settle();
    const first = FakeSocket.last();
    const [priceOp, signalOp] = first.subscribes();
    first.next(priceOp!.id!, { price: { price: 1, cursor: 'p1' } });
    first.next(signalOp!.id!, { signal: { id: 's1', cursor: 's1' } });

    setVisibility('hidden');
    await vi.advanceTimersByTimeAsync(9_900);
    expect(live.status.getSnapshot().state).toBe('connected');
    expect(first.readyState).toBe(FakeSocket.OPEN);
    await vi.advanceTimersByTimeAsync(100);
    expect(live.status.getSnapshot()).toMatchObject({ state: 'paused', retryAt: null });
    expect(first.readyState).toBe(FakeSocket.CLOSED);

    // Nothing reconnects while hidden, and a subscription started meanwhile waits too.
    const later = recordingSink();
    live.subscribe({ query: SIGNAL, variables: { after: 'x9' } }, later.sink);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(live.status.getSnapshot().state).toBe('paused');

    setVisibility('visible');
    await settle();
    expect(FakeSocket.all).toHaveLength(2);
    const second = FakeSocket.last();
    expect(second.subscribes().map((message) => message.payload.variables)).toEqual([{ after: 'p1' }, { after: 's1' }, { after: 'x9' }]);
    expect(live.status.getSnapshot().state).toBe('connected');
    expect(states).toEqual(['connecting', 'connected', 'paused', 'reconnecting', 'connected']);

    second.next(second.subscribes()[1]!.id!, { signal: { id: 's2', cursor: 's2' } });
    expect(signals.events).toEqual([{ next: { data: { signal: { id: 's1', cursor: 's1' } } } }, { next: { data: { signal: { id: 's2', cursor: 's2' } } } }]);
    expect(prices.events).toHaveLength(1);
  });

  it('keeps the connection through a look away shorter than the grace period, counted afresh each time', async () => {
    const live = await connect({ tokens: await devTokenStore('T1'), hiddenGraceMs: 3_000 });
    for (let round = 0; round < 3; round++) {
      setVisibility('hidden');
      await vi.advanceTimersByTimeAsync(2_500);
      setVisibility('visible');
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(FakeSocket.all).toHaveLength(1);
    expect(FakeSocket.last().readyState).toBe(FakeSocket.OPEN);
    expect(states).toEqual(['connecting', 'connected']);
    expect(live.status.getSnapshot().state).toBe('connected');
  });

  it('reconnects at once, resuming every subscription, when a page frozen in the background (timers stopped) is seen again past the grace period', async () => {
    const live = await connect({ tokens: await devTokenStore('T1') });
    live.subscribe({ query: SIGNAL }, recordingSink().sink);
    await settle();
    const first = FakeSocket.last();
    first.next(first.lastSubscribe().id!, { signal: { id: 's1', cursor: 's1' } });
    setVisibility('hidden');
    // A phone's browser froze the page: the clock moved on, no timer ran (the socket died unnoticed).
    vi.setSystemTime(Date.now() + 5 * 60_000);
    expect(live.status.getSnapshot().state).toBe('connected');
    setVisibility('visible');
    await settle();
    expect(first.readyState).toBe(FakeSocket.CLOSED);
    expect(FakeSocket.all).toHaveLength(2);
    expect(FakeSocket.last().lastSubscribe().payload.variables).toEqual({ after: 's1' });
    expect(live.status.getSnapshot().state).toBe('connected');
    expect(states).toEqual(['connecting', 'connected', 'paused', 'reconnecting', 'connected']);
  });

  it('starts the grace period at once for a page opened in the background, and never pauses with hiddenGraceMs: Infinity', async () => {
    visibility = 'hidden';
    const paused = await connect({ tokens: await devTokenStore('T1'), hiddenGraceMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(paused.status.getSnapshot().state).toBe('paused');
    paused.dispose();
    expect(paused.status.getSnapshot().state).toBe('closed');

    const kept = await connect({ tokens: await devTokenStore('T1'), hiddenGraceMs: Infinity });
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(kept.status.getSnapshot().state).toBe('connected');
  });

  it('comes back offline, not reconnecting, when the network went while it was hidden', async () => {
    const live = await connect({ tokens: await devTokenStore('T1'), hiddenGraceMs: 1_000, retryBaseDelayMs: 10_000, maxRetryDelayMs: 10_000 });
    setVisibility('hidden');
    await vi.advanceTimersByTimeAsync(1_000);
    FakeSocket.mode = 'refuse';
    goOffline();
    expect(live.status.getSnapshot().state).toBe('paused');
    setVisibility('visible');
    expect(live.status.getSnapshot().state).toBe('offline'); // at once, not after a failed attempt
    await settle();
    expect(live.status.getSnapshot().state).toBe('offline');
    expect(states).not.toContain('reconnecting');
    FakeSocket.mode = 'accept';
    goOnline();
    await settle();
    expect(live.status.getSnapshot().state).toBe('connected');
  });

  it('stops its SSE streams too, and resumes them after their cursors', async () => {
    FakeSocket.throwOnConstruct = true; // WebSockets cannot work here: SSE at once
    const server = sseServer();
    const live = await connect({ tokens: await devTokenStore('T1'), fetch: server.fetch, hiddenGraceMs: 1_000 });
    live.subscribe({ query: PRICE, variables: { after: 'p0' } }, recordingSink().sink);
    await settle();
    server.send(0, { data: { price: { price: 1, cursor: 'p1' } } });
    await settle();

    setVisibility('hidden');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(live.status.getSnapshot()).toMatchObject({ state: 'paused', transport: 'sse' });
    expect(server.aborted[0]).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.requests).toHaveLength(1);

    setVisibility('visible');
    await settle();
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.body.variables).toEqual({ after: 'p1' });
    expect(live.status.getSnapshot()).toMatchObject({ state: 'connected', transport: 'sse' });
  });
});
