import { CloseCode } from '../../src/transport/close-codes.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRequest, type OperationResult } from 'urql';
import { pipe, subscribe } from 'wonka';
import type { ConnectionStatus } from '@titan-realtime/client';
import { createLiveConnection, createTokenStore, type LiveConnection, type LiveConnectionOptions, type TokenStore } from '@titan-realtime/client';
import { createDashboardSession } from '../../client/src/urql-client.js';
import { FakeSocket } from '../support/fake-graphql-ws-socket.js';
import { devTokenStore as tokenStore, fakeNetwork, settleTimers as settle, sseServer } from '../support/live-connection-doubles.js';
import { recordingSink } from '../support/recording-sink.js';

/**
 * The live connection over the real graphql-ws client, with a WebSocket double playing the server's
 * side of the graphql-transport-ws protocol, and fake timers for retries.
 */

const PRICE = 'subscription ($after: Cursor) { price(symbols: ["BTC-USD"], after: $after) { price cursor } }';

let connection: LiveConnection | undefined;
let statuses: ConnectionStatus[] = [];

async function connect(options: Partial<LiveConnectionOptions> & { tokens: TokenStore }): Promise<LiveConnection> {
  connection = createLiveConnection({
    wsUrl: 'ws://localhost/graphql',
    httpUrl: 'http://localhost/graphql',
    network: fakeNetwork(),
    random: () => 0.5,
    ws: { webSocketImpl: FakeSocket as unknown as typeof WebSocket },
    ...options,
  });
  statuses = [connection.status.getSnapshot()];
  connection.status.subscribe(({ status }) => statuses.push(status));
  await settle();
  return connection;
}

const states = () => statuses.map((status) => status.state);

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.all = [];
  FakeSocket.mode = 'accept';
  FakeSocket.throwOnConstruct = false;
  FakeSocket.answerPings = true;
});

afterEach(() => {
  connection?.dispose();
  connection = undefined;
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('resume by cursor over graphql-ws', () => {
  it('re-sends the subscription with after = the last cursor received when graphql-ws reconnects', async () => {
    const live = await connect({ tokens: await tokenStore('T1') });
    const { events, sink } = recordingSink();
    live.subscribe({ query: PRICE, variables: { after: 'snapshot' } }, sink);
    await settle();
    const first = FakeSocket.last();
    const { id, payload } = first.lastSubscribe();
    expect(payload.variables).toEqual({ after: 'snapshot' });

    first.next(id!, { price: { price: 1, cursor: 'c1' } });
    first.next(id!, { price: { price: 2, cursor: 'c2' } });
    first.drop(1006);
    await vi.advanceTimersByTimeAsync(60_000); // keep-alive pings are answered: no other reconnect

    expect(FakeSocket.all).toHaveLength(2);
    const second = FakeSocket.last();
    expect(second.lastSubscribe().payload).toEqual({ query: PRICE, variables: { after: 'c2' } });
    expect(events).toHaveLength(2); // graphql-ws's retry is invisible to urql
  });

  it('surfaces CURSOR_EXPIRED to urql as a CombinedError with the code in extensions', async () => {
    const tokens = await tokenStore('T1');
    const session = createDashboardSession({
      tokens,
      location: { protocol: 'http:', host: 'localhost' },
      network: fakeNetwork(),
      ws: { webSocketImpl: FakeSocket as unknown as typeof WebSocket },
    });
    connection = session.connection;
    const results: OperationResult[] = [];
    pipe(
      session.client.executeSubscription(createRequest(PRICE, { after: 'old' })),
      subscribe((result) => results.push(result)),
    );
    await settle();
    const socket = FakeSocket.last();
    socket.receive({ type: 'error', id: socket.lastSubscribe().id, payload: [{ message: 'Cursor expired', extensions: { code: 'CURSOR_EXPIRED' } }] });
    await settle();
    expect(results.at(-1)?.error?.graphQLErrors[0]?.extensions.code).toBe('CURSOR_EXPIRED');
    session.dispose();
  });

  it('resubscribes after the last cursor when a subscription ends with SLOW_CONSUMER and the socket closes 4008', async () => {
    const live = await connect({ tokens: await tokenStore('T1') });
    const { events, sink } = recordingSink();
    live.subscribe({ query: 'subscription ($after: Cursor) { signal(after: $after) { id cursor } }' }, sink);
    await settle();
    const socket = FakeSocket.last();
    const { id } = socket.lastSubscribe();
    socket.next(id!, { signal: { id: 's1', cursor: 'c1' } });
    socket.receive({ type: 'error', id, payload: [{ message: 'Slow consumer', extensions: { code: 'SLOW_CONSUMER' } }] });
    socket.drop(4008, 'Slow consumer: resume after your last cursor');
    await vi.advanceTimersByTimeAsync(10_000);
    const again = FakeSocket.last();
    expect(again).not.toBe(socket);
    expect(again.subscribes().map((message) => message.payload.variables)).toEqual([{ after: 'c1' }]);
    expect(events).toHaveLength(1);
  });
});

describe('reconnect policy and status', () => {
  it('goes connecting → connected → reconnecting (with retryAt) → connected, with the close code', async () => {
    const live = await connect({ tokens: await tokenStore('T1'), retryBaseDelayMs: 1_000, maxRetryDelayMs: 8_000 });
    expect(live.status.getSnapshot()).toEqual({ state: 'connected', transport: 'websocket', retryAt: null });
    const droppedAt = Date.now();
    FakeSocket.last().drop(1006);
    await settle();
    // Full jitter: random 0.5 of the first window (1,000 ms).
    expect(live.status.getSnapshot()).toEqual({ state: 'reconnecting', transport: 'websocket', retryAt: droppedAt + 500, code: CloseCode.Abnormal });
    await vi.advanceTimersByTimeAsync(500);
    expect(live.status.getSnapshot().state).toBe('connected');
    expect(states()).toEqual(['connecting', 'connected', 'reconnecting', 'reconnecting', 'reconnecting', 'connected']);
  });

  it('ends closed, with its reason, when its owner disposes it, and opens no socket after', async () => {
    const live = await connect({ tokens: await tokenStore('T1') });
    const sockets = FakeSocket.all.length;
    live.dispose();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(live.status.getSnapshot()).toMatchObject({ state: 'closed', reason: 'closed by the client' });
    expect(states().at(-1)).toBe('closed');
    expect(FakeSocket.all).toHaveLength(sockets);
  });

  it('backs off exponentially while the server stays down, and sends keep-alive pings', async () => {
    const live = await connect({ tokens: await tokenStore('T1'), retryBaseDelayMs: 1_000, maxRetryDelayMs: 8_000, random: () => 0.999 });
    FakeSocket.mode = 'refuse';
    FakeSocket.last().drop(1006);
    const delays: number[] = [];
    live.status.subscribe(({ status }) => {
      if (status.retryAt !== null) delays.push(status.retryAt - Date.now());
    });
    await vi.advanceTimersByTimeAsync(60_000);
    // 0.999 of a window that doubles from 1,000 ms up to 8,000 ms.
    expect(delays.slice(0, 5)).toEqual([999, 1_998, 3_996, 7_992, 7_992]);

    FakeSocket.mode = 'accept';
    await vi.advanceTimersByTimeAsync(10_000);
    expect(live.status.getSnapshot().state).toBe('connected');
    const socket = FakeSocket.last();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(socket.sent.map((message) => message.type)).toContain('ping');
  });

  it('reconnects promptly after 1001 (server going away)', async () => {
    const live = await connect({ tokens: await tokenStore('T1'), random: () => 0.999 });
    FakeSocket.last().drop(1001, 'Server shutting down');
    await settle();
    const { retryAt, code, reason } = live.status.getSnapshot();
    expect({ code, reason }).toEqual({ code: CloseCode.GoingAway, reason: 'Server shutting down' });
    expect(retryAt! - Date.now()).toBeLessThan(250);
    await vi.advanceTimersByTimeAsync(250);
    expect(FakeSocket.all).toHaveLength(2);
    expect(live.status.getSnapshot().state).toBe('connected');
  });

  it('terminates a socket whose ping gets no pong, and reconnects', async () => {
    FakeSocket.answerPings = false;
    const live = await connect({ tokens: await tokenStore('T1'), ws: { webSocketImpl: FakeSocket as unknown as typeof WebSocket, keepAliveMs: 1_000, pongTimeoutMs: 500 } });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(FakeSocket.last().sent.at(-1)?.type).toBe('ping');
    await vi.advanceTimersByTimeAsync(500);
    expect(live.status.getSnapshot()).toMatchObject({ state: 'reconnecting', code: CloseCode.Terminated });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(FakeSocket.all).toHaveLength(2);
    expect(live.status.getSnapshot().state).toBe('connected');
  });

  it('shows offline when a dropped connection finds the browser without network, and retries as soon as it is back', async () => {
    const network = fakeNetwork();
    const live = await connect({ tokens: await tokenStore('T1'), network, retryBaseDelayMs: 10_000, maxRetryDelayMs: 10_000 });
    FakeSocket.last().drop(1006);
    network.set(false);
    await settle();
    expect(live.status.getSnapshot()).toMatchObject({ state: 'offline', code: CloseCode.Abnormal });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(FakeSocket.all).toHaveLength(1); // still waiting out the backoff (5 s)
    network.set(true);
    await settle();
    expect(FakeSocket.all).toHaveLength(2);
    expect(live.status.getSnapshot().state).toBe('connected');
    expect(states()).toContain('offline');
  });

  it('fails for good on a fatal close and ends the subscriptions with it', async () => {
    const live = await connect({ tokens: await tokenStore('T1') });
    const { events, sink } = recordingSink();
    live.subscribe({ query: PRICE }, sink);
    await settle();
    FakeSocket.last().drop(4429, 'Too many connections for this user (limit 10)');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(live.status.getSnapshot()).toMatchObject({ state: 'failed', code: CloseCode.TooManyRequests, reason: 'Too many connections for this user (limit 10)' });
    expect(events).toEqual([{ error: expect.objectContaining({ code: CloseCode.TooManyRequests }) }]);
    expect(FakeSocket.all).toHaveLength(1);

    const later = recordingSink();
    live.subscribe({ query: PRICE }, later.sink);
    await settle();
    expect(later.events).toEqual([{ error: expect.objectContaining({ code: CloseCode.TooManyRequests }) }]);
    expect(FakeSocket.all).toHaveLength(1); // no new socket behind a "failed" badge
  });
});

describe('tokens', () => {
  it('on 4401 gets a fresh dev token and reconnects with it, resuming after the last cursor', async () => {
    const tokens = await tokenStore('T1', 'T2');
    const live = await connect({ tokens });
    const { events, sink } = recordingSink();
    live.subscribe({ query: PRICE, variables: { after: 'c0' } }, sink);
    await settle();
    const first = FakeSocket.last();
    expect(first.sent[0]).toEqual({ type: 'connection_init', payload: { authorization: 'Bearer T1' } });
    first.next(first.lastSubscribe().id!, { price: { price: 1, cursor: 'c1' } });
    first.drop(4401, 'Unauthorized: token expired');
    await settle();
    await settle();

    const second = FakeSocket.last();
    expect(second).not.toBe(first);
    expect(second.sent[0]).toEqual({ type: 'connection_init', payload: { authorization: 'Bearer T2' } });
    expect(second.lastSubscribe().payload.variables).toEqual({ after: 'c1' });
    expect(live.status.getSnapshot().state).toBe('connected');
    expect(statuses.find((status) => status.code === 4401)).toMatchObject({ state: 'reconnecting', reason: 'Unauthorized: token expired' });
    expect(events).toHaveLength(1); // no error reached urql
  });

  it('on 4401 without a dev token asks the user (auth-needed) and reconnects with the token entered', async () => {
    const tokens = createTokenStore({ fetchDevToken: async () => null, storage: { read: () => null, write: () => {}, clear: () => {} } });
    tokens.supply('U1');
    const live = await connect({ tokens });
    const { events, sink } = recordingSink();
    live.subscribe({ query: PRICE }, sink);
    await settle();
    const first = FakeSocket.last();
    first.next(first.lastSubscribe().id!, { price: { price: 1, cursor: 'c1' } });
    first.drop(4401, 'Unauthorized: token expired');
    await settle();

    expect(live.status.getSnapshot()).toMatchObject({ state: 'auth-needed', code: CloseCode.Unauthorized, reason: 'Unauthorized: token expired' });
    expect(tokens.getSnapshot().request).toEqual({ reason: 'refused', code: CloseCode.Unauthorized, message: 'Unauthorized: token expired' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1); // nothing happens until the user acts

    tokens.supply('  Bearer U2 ');
    await settle();
    const second = FakeSocket.last();
    expect(second.sent[0]?.payload).toEqual({ authorization: 'Bearer U2' });
    expect(second.lastSubscribe().payload.variables).toEqual({ after: 'c1' });
    expect(live.status.getSnapshot().state).toBe('connected');
    expect(events).toHaveLength(1);
  });

  it('asks the user on 4403 even when the dev endpoint answers (with the refused token)', async () => {
    const tokens = await tokenStore('T1');
    const live = await connect({ tokens });
    FakeSocket.last().drop(4403, 'Forbidden: no known role');
    await settle();
    expect(live.status.getSnapshot()).toMatchObject({ state: 'auth-needed', code: CloseCode.Forbidden });
  });

  it('moves the connection to a token the user entered after an HTTP 401', async () => {
    const tokens = createTokenStore({ fetchDevToken: async () => null, storage: { read: () => null, write: () => {}, clear: () => {} } });
    tokens.supply('U1');
    const live = await connect({ tokens });
    const { sink } = recordingSink();
    live.subscribe({ query: PRICE }, sink);
    await settle();
    FakeSocket.last().next(FakeSocket.last().lastSubscribe().id!, { price: { price: 1, cursor: 'c1' } });

    void tokens.refresh('U1', { code: 401, message: 'token expired' }); // what a refused query does
    await settle();
    expect(live.status.getSnapshot()).toMatchObject({ state: 'auth-needed', code: 401 });
    tokens.supply('U2');
    await settle();
    expect(FakeSocket.all).toHaveLength(2);
    expect(FakeSocket.last().sent[0]?.payload).toEqual({ authorization: 'Bearer U2' });
    expect(FakeSocket.last().lastSubscribe().payload.variables).toEqual({ after: 'c1' });
    expect(live.status.getSnapshot().state).toBe('connected');
  });

  it('renews the token in band with renewToken over the WebSocket', async () => {
    const live = await connect({ tokens: await tokenStore('T1') });
    const renewed = live.renewToken('T2');
    await settle();
    const socket = FakeSocket.last();
    const { id, payload } = socket.lastSubscribe();
    expect(payload.query).toContain('renewToken(token: $token)');
    expect(payload.variables).toEqual({ token: 'T2' });
    socket.next(id!, { renewToken: { subject: 'dev-trader', expiresAt: null } });
    socket.receive({ type: 'complete', id });
    await expect(renewed).resolves.toBe(true);
    expect(FakeSocket.all).toHaveLength(1); // no reconnect
  });
});

describe('SSE fallback', () => {
  it('switches to SSE after 3 WebSockets that never opened, and resumes there by cursor', async () => {
    FakeSocket.mode = 'refuse';
    const server = sseServer();
    const live = await connect({ tokens: await tokenStore('T1'), fetch: server.fetch, retryBaseDelayMs: 100, maxRetryDelayMs: 100 });
    const { events, sink } = recordingSink();
    live.subscribe({ query: PRICE, variables: { after: 'c0' } }, sink);
    await vi.advanceTimersByTimeAsync(1_000);

    expect(FakeSocket.all).toHaveLength(3);
    expect(live.status.getSnapshot()).toMatchObject({ state: 'connected', transport: 'sse' });
    expect(server.requests[0]).toEqual({
      body: { query: PRICE, variables: { after: 'c0' } },
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: 'Bearer T1' },
    });

    server.send(0, { data: { price: { price: 1, cursor: 'c1' } } });
    server.end(0); // e.g. the server restarted
    await vi.advanceTimersByTimeAsync(1_000);
    expect(server.requests[1]?.body.variables).toEqual({ after: 'c1' });
    expect(events).toEqual([{ next: { data: { price: { price: 1, cursor: 'c1' } } } }]);
    expect(states()).toContain('reconnecting');
    expect(live.status.getSnapshot()).toMatchObject({ state: 'connected', transport: 'sse' });
  });

  it('switches at once when the WebSocket constructor throws', async () => {
    FakeSocket.throwOnConstruct = true;
    const server = sseServer();
    const live = await connect({ tokens: await tokenStore('T1'), fetch: server.fetch });
    live.subscribe({ query: PRICE }, recordingSink().sink);
    await settle();
    expect(live.status.getSnapshot()).toMatchObject({ state: 'connected', transport: 'sse' });
    expect(server.requests).toHaveLength(1);
  });

  it('does not fall back once a WebSocket has opened (the server is down, not the proxy)', async () => {
    const server = sseServer();
    const live = await connect({ tokens: await tokenStore('T1'), fetch: server.fetch, retryBaseDelayMs: 100, maxRetryDelayMs: 100 });
    FakeSocket.mode = 'refuse';
    FakeSocket.last().drop(1006);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(FakeSocket.all.length).toBeGreaterThan(5);
    expect(live.status.getSnapshot()).toMatchObject({ state: 'reconnecting', transport: 'websocket' });
    expect(server.requests).toHaveLength(0);
  });

  it('gets a fresh token and restarts the streams when SSE answers 401', async () => {
    FakeSocket.throwOnConstruct = true;
    const requests: string[] = [];
    let refuse = true;
    const fetch = vi.fn(async (_url: unknown, init: RequestInit) => {
      requests.push((init.headers as Record<string, string>).authorization ?? '');
      if (refuse) {
        refuse = false;
        return new Response('{"errors":[{"message":"token expired","extensions":{"code":"UNAUTHENTICATED"}}]}', {
          status: 401,
          headers: { 'content-type': 'application/json' },
        });
      }
      return new Response(new ReadableStream(), { status: 200, headers: { 'content-type': 'text/event-stream' } });
    });
    const live = await connect({ tokens: await tokenStore('T1', 'T2'), fetch: fetch as unknown as typeof globalThis.fetch });
    const { events, sink } = recordingSink();
    live.subscribe({ query: PRICE }, sink);
    await settle();
    await settle();
    expect(requests).toEqual(['Bearer T1', 'Bearer T2']);
    expect(live.status.getSnapshot()).toMatchObject({ state: 'connected', transport: 'sse' });
    expect(events).toEqual([]);
  });
});

describe('createDashboardSession over HTTP', () => {
  it('runs a query refused for an expired token again with a fresh one', async () => {
    const tokens = await tokenStore('T1', 'T2');
    const seen: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (_url: unknown, init: RequestInit) => {
        const authorization = new Headers(init.headers).get('authorization') ?? '';
        seen.push(authorization);
        const body =
          authorization === 'Bearer T1'
            ? { errors: [{ message: 'token expired', extensions: { code: 'UNAUTHENTICATED' } }] }
            : { data: { symbols: ['BTC-USD'] } };
        return new Response(JSON.stringify(body), { status: authorization === 'Bearer T1' ? 401 : 200, headers: { 'content-type': 'application/json' } });
      }),
    );
    const session = createDashboardSession({
      tokens,
      location: { protocol: 'http:', host: 'localhost' },
      network: fakeNetwork(),
      ws: { webSocketImpl: FakeSocket as unknown as typeof WebSocket },
    });
    connection = session.connection;
    const results: OperationResult[] = [];
    pipe(
      session.client.executeQuery(createRequest('{ symbols }', {}), { requestPolicy: 'network-only' }),
      subscribe((result) => results.push(result)),
    );
    await settle();
    await settle();
    expect(seen).toEqual(['Bearer T1', 'Bearer T2']);
    expect(results.at(-1)?.data).toEqual({ symbols: ['BTC-USD'] });
    session.dispose();
  });
});
