import { CloseCode } from '../../src/transport/close-codes.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CloseError } from '@titan-realtime/client';
import type { SubscriptionPayload } from '../../packages/client/src/live/resumable-subscription.js';
import { createResumableSubscription } from '../../packages/client/src/live/resumable-subscription.js';
import { createSseParser, type ServerSentEvent } from '../../packages/client/src/live/sse-parser.js';
import { createSseTransport } from '../../packages/client/src/live/sse-transport.js';
import { recordingSink } from '../support/recording-sink.js';

function parseAll(chunks: string[]): ServerSentEvent[] {
  const events: ServerSentEvent[] = [];
  const parser = createSseParser((event) => events.push(event));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return events;
}

const YOGA_STREAM =
  ':\n\n' +
  'event: next\ndata: {"data":{"price":{"price":1,"cursor":"c1"}}}\n\n' +
  ':\n\n' +
  'event: next\ndata: {"data":{"price":{"price":2,"cursor":"c2"}}}\n\n' +
  'event: complete\ndata:\n\n';

const YOGA_EVENTS: ServerSentEvent[] = [
  { event: 'next', data: '{"data":{"price":{"price":1,"cursor":"c1"}}}' },
  { event: 'next', data: '{"data":{"price":{"price":2,"cursor":"c2"}}}' },
  { event: 'complete', data: '' },
];

describe('createSseParser', () => {
  it("parses Yoga's stream: next events, keep-alive comments, complete", () => {
    expect(parseAll([YOGA_STREAM])).toEqual(YOGA_EVENTS);
  });

  it('gives the same events wherever the stream is split, even mid-line and mid-field', () => {
    for (let at = 1; at < YOGA_STREAM.length; at++) {
      expect(parseAll([YOGA_STREAM.slice(0, at), YOGA_STREAM.slice(at)]), `split at ${at}`).toEqual(YOGA_EVENTS);
    }
    expect(parseAll([...YOGA_STREAM])).toEqual(YOGA_EVENTS); // one character at a time
  });

  it('joins multi-line data with newlines', () => {
    expect(parseAll(['event: next\ndata: {"a":\ndata: 1}\n\n'])).toEqual([{ event: 'next', data: '{"a":\n1}' }]);
  });

  it('accepts CRLF and CR line ends, also when a CRLF is split between chunks', () => {
    const crlf = YOGA_STREAM.replace(/\n/g, '\r\n');
    for (let at = 1; at < crlf.length; at++) {
      expect(parseAll([crlf.slice(0, at), crlf.slice(at)]), `split at ${at}`).toEqual(YOGA_EVENTS);
    }
    expect(parseAll([YOGA_STREAM.replace(/\n/g, '\r')])).toEqual(YOGA_EVENTS);
  });

  it('strips one leading space of a value, a BOM, and reads fields without a colon', () => {
    expect(parseAll(['\uFEFFevent:next\ndata:  two spaces\ndata\n\n'])).toEqual([{ event: 'next', data: ' two spaces\n' }]);
  });

  it('reports comments, ignores unknown fields and retry:, and keeps the last id', () => {
    const comments: string[] = [];
    const events: ServerSentEvent[] = [];
    const parser = createSseParser((event) => events.push(event), (text) => comments.push(text));
    parser.push(': ping\nretry: 10\nfoo: bar\nid: 7\ndata: x\n\n');
    expect(comments).toEqual([' ping']);
    expect(events).toEqual([{ event: 'message', data: 'x', id: '7' }]);
  });

  it('drops an event the stream cut off before its blank line', () => {
    expect(parseAll(['event: next\ndata: {"data":1}\n\nevent: next\ndata: {"da'])).toEqual([{ event: 'next', data: '{"data":1}' }]);
  });

  it('dispatches several events pushed in one chunk, in order', () => {
    const events: string[] = [];
    const parser = createSseParser((event) => events.push(event.data));
    parser.push('data: 1\n\ndata: 2\n\ndata: 3\n\n');
    expect(events).toEqual(['1', '2', '3']);
  });
});

/** A streaming `Response` whose chunks the test pushes, and ends or errors, when it likes. */
function streamResponse(status = 200, contentType = 'text/event-stream') {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  const encoder = new TextEncoder();
  return {
    response: new Response(body, { status, headers: { 'content-type': contentType } }),
    push: (text: string) => controller.enqueue(encoder.encode(text)),
    pushBytes: (bytes: Uint8Array) => controller.enqueue(bytes),
    end: () => controller.close(),
  };
}

type Stream = ReturnType<typeof streamResponse>;

/** A fetch double: each call gets the next prepared stream; requests are recorded. */
function fakeFetch() {
  const requests: { url: string; init: RequestInit; body: SubscriptionPayload; signal: AbortSignal }[] = [];
  const streams: Stream[] = [];
  const fetch = vi.fn(async (url: string | URL | Request, init: RequestInit = {}) => {
    requests.push({ url: String(url), init, body: JSON.parse(String(init.body)) as SubscriptionPayload, signal: init.signal! });
    const stream = streams.shift() ?? streamResponse();
    init.signal?.addEventListener('abort', () => {
      try {
        stream.end();
      } catch {
        // already closed
      }
    });
    return stream.response;
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, requests, streams, prepare: (stream: Stream) => (streams.push(stream), stream) };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const PRICE = 'subscription ($after: Cursor) { price(symbols: ["BTC-USD"], after: $after) { price cursor } }';

afterEach(() => {
  vi.useRealTimers();
});

describe('createSseTransport', () => {
  it('POSTs the operation with the token and streams results until complete', async () => {
    const server = fakeFetch();
    const stream = server.prepare(streamResponse());
    const on = { connecting: vi.fn(), opened: vi.fn(), connected: vi.fn(), closed: vi.fn() };
    const transport = createSseTransport({
      url: 'http://localhost/graphql',
      headers: () => ({ authorization: 'Bearer T1' }),
      retryWait: async () => {},
      fetch: server.fetch,
      on,
    });
    const { events, sink } = recordingSink();
    transport.subscribe(() => ({ query: PRICE, variables: { after: 'c0' } }), sink);
    await settle();

    const [request] = server.requests;
    expect(request?.url).toBe('http://localhost/graphql');
    expect(request?.init.method).toBe('POST');
    expect(request?.init.headers).toMatchObject({ accept: 'text/event-stream', 'content-type': 'application/json', authorization: 'Bearer T1' });
    expect(request?.body).toEqual({ query: PRICE, variables: { after: 'c0' } });
    expect(on.connecting).toHaveBeenCalledWith(false);
    expect(on.connected).toHaveBeenCalledTimes(1);

    stream.push(YOGA_STREAM.slice(0, 40));
    stream.push(YOGA_STREAM.slice(40));
    await settle();
    expect(events).toEqual([{ next: { data: { price: { price: 1, cursor: 'c1' } } } }, { next: { data: { price: { price: 2, cursor: 'c2' } } } }, 'complete']);
    expect(on.closed).not.toHaveBeenCalled();
  });

  it('decodes UTF-8 split between chunks', async () => {
    const server = fakeFetch();
    const stream = server.prepare(streamResponse());
    const transport = createSseTransport({ url: '/graphql', headers: () => ({}), retryWait: async () => {}, fetch: server.fetch });
    const { events, sink } = recordingSink();
    transport.subscribe(() => ({ query: PRICE }), sink);
    await settle();
    const bytes = new TextEncoder().encode('event: next\ndata: {"data":{"signal":{"reason":"€ ✓"}}}\n\n');
    const cut = bytes.indexOf(0xe2) + 1; // inside the euro sign
    stream.pushBytes(bytes.slice(0, cut));
    stream.pushBytes(bytes.slice(cut));
    await settle();
    expect(events).toEqual([{ next: { data: { signal: { reason: '€ ✓' } } } }]);
  });

  it('retries a stream that ends without complete, resuming after the last cursor', async () => {
    const server = fakeFetch();
    const first = server.prepare(streamResponse());
    const second = server.prepare(streamResponse());
    const retryWait = vi.fn(async () => {});
    const closed = vi.fn();
    const transport = createSseTransport({ url: '/graphql', headers: () => ({}), retryWait, fetch: server.fetch, on: { closed } });
    const { events, sink } = recordingSink();
    createResumableSubscription({ request: { query: PRICE, variables: { after: 'c0' } }, sink, subscribe: transport.subscribe, onTransportFailure: () => false });
    await settle();
    first.push('event: next\ndata: {"data":{"price":{"price":1,"cursor":"c1"}}}\n\n');
    first.push('event: next\ndata: {"data":{"price":{"price":2,"cursor":"c2"}}}\n\nevent: next\ndata: {"da');
    first.end(); // server restart: the stream is cut
    await settle();
    await settle();

    expect(closed).toHaveBeenCalledTimes(1);
    expect(retryWait).toHaveBeenCalledWith(0, expect.any(Error));
    expect(server.requests.map((request) => request.body.variables)).toEqual([{ after: 'c0' }, { after: 'c2' }]);
    second.push('event: next\ndata: {"data":{"price":{"price":3,"cursor":"c3"}}}\n\n');
    await settle();
    expect(events.map((event) => (event as { next: { data: { price: { price: number } } } }).next.data.price.price)).toEqual([1, 2, 3]);
  });

  it('retries network errors and 5xx with growing retry numbers, reading the token again each time', async () => {
    const server = fakeFetch();
    server.prepare(streamResponse(503, 'text/plain'));
    server.prepare(streamResponse(502, 'text/plain'));
    const retries: number[] = [];
    let token = 'T1';
    const transport = createSseTransport({
      url: '/graphql',
      headers: () => ({ authorization: `Bearer ${token}` }),
      retryWait: async (n) => {
        retries.push(n);
        token = `T${n + 2}`;
      },
      fetch: server.fetch,
    });
    transport.subscribe(() => ({ query: PRICE }), recordingSink().sink);
    await settle();
    await settle();
    expect(retries).toEqual([0, 1]);
    expect(server.requests.map((request) => (request.init.headers as Record<string, string>).authorization)).toEqual([
      'Bearer T1',
      'Bearer T2',
      'Bearer T3',
    ]);
  });

  it('reports HTTP 401 and UNAUTHENTICATED as a 4401 close, and other errors without data as GraphQL errors', async () => {
    const server = fakeFetch();
    server.prepare(streamResponse(401, 'application/json'));
    const unauthenticated = server.prepare(streamResponse());
    const expired = server.prepare(streamResponse());
    const closed = vi.fn();
    const transport = createSseTransport({ url: '/graphql', headers: () => ({}), retryWait: async () => {}, fetch: server.fetch, on: { closed } });

    const a = recordingSink();
    transport.subscribe(() => ({ query: PRICE }), a.sink);
    await settle();
    expect(a.events).toHaveLength(1);
    expect((a.events[0] as { error: CloseError }).error).toMatchObject({ code: CloseCode.Unauthorized });
    expect(closed).toHaveBeenCalledWith(expect.objectContaining({ code: CloseCode.Unauthorized }));

    const b = recordingSink();
    transport.subscribe(() => ({ query: PRICE }), b.sink);
    await settle();
    unauthenticated.push('event: next\ndata: {"errors":[{"message":"token expired","extensions":{"code":"UNAUTHENTICATED"}}]}\n\nevent: complete\ndata:\n\n');
    await settle();
    expect(b.events).toEqual([{ error: expect.objectContaining({ code: CloseCode.Unauthorized, reason: 'token expired' }) }]);

    const c = recordingSink();
    transport.subscribe(() => ({ query: PRICE }), c.sink);
    await settle();
    const errors = [{ message: 'Cursor expired', extensions: { code: 'CURSOR_EXPIRED' } }];
    expired.push(`event: next\ndata: ${JSON.stringify({ errors })}\n\nevent: complete\ndata:\n\n`);
    await settle();
    expect(c.events).toEqual([{ error: errors }]);
    expect(server.requests).toHaveLength(3);
  });

  it('treats a silent stream as dead and retries it', async () => {
    vi.useFakeTimers();
    const server = fakeFetch();
    const stream = server.prepare(streamResponse());
    const retryWait = vi.fn(async () => {});
    const transport = createSseTransport({ url: '/graphql', headers: () => ({}), retryWait, fetch: server.fetch, idleTimeoutMs: 1_000 });
    transport.subscribe(() => ({ query: PRICE }), recordingSink().sink);
    await vi.advanceTimersByTimeAsync(900);
    stream.push(':\n\n'); // a keep-alive resets the clock
    await vi.advanceTimersByTimeAsync(900);
    expect(server.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(retryWait).toHaveBeenCalledTimes(1);
    expect(server.requests).toHaveLength(2);
  });

  it('aborts the request on unsubscribe and on dispose, and stops calling the sink', async () => {
    const server = fakeFetch();
    const first = server.prepare(streamResponse());
    server.prepare(streamResponse());
    const transport = createSseTransport({ url: '/graphql', headers: () => ({}), retryWait: async () => {}, fetch: server.fetch });
    const a = recordingSink();
    const stop = transport.subscribe(() => ({ query: PRICE }), a.sink);
    const b = recordingSink();
    transport.subscribe(() => ({ query: PRICE }), b.sink);
    await settle();
    stop();
    expect(server.requests[0]?.signal.aborted).toBe(true);
    expect(() => first.push('data: late\n\n')).toThrow(); // closed by the abort
    transport.dispose();
    expect(server.requests[1]?.signal.aborted).toBe(true);
    await settle();
    expect(a.events).toEqual([]);
    expect(b.events).toEqual([]);
    expect(server.requests).toHaveLength(2);
  });
});
