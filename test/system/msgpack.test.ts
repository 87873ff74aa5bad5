import { CloseCode } from '../../src/transport/close-codes.js';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { msgpackWebSocket } from '@titan-realtime/client';
import { MSGPACK_PROTOCOL, pack, unpack } from '../../src/transport/wire-format.js';
import { execute } from '../support/protocol-client.js';
import { startServer, tokenFor, type TestServer } from '../support/start-server.js';

/**
 * The MessagePack encoding of the WebSocket transport, end to end: graphql-ws clients over `ws`
 * with the dashboard's MessagePack socket class, and raw sockets for the frames themselves.
 */
let server: TestServer;
let trader: string;
let publisher: string;
const leftovers: (() => void)[] = [];

beforeAll(async () => {
  server = await startServer();
  [trader, publisher] = await Promise.all([tokenFor('alice', ['trader']), tokenFor('feed-service', ['publisher'])]);
});

afterAll(async () => {
  leftovers.forEach((dispose) => dispose());
  await server.stop();
});

const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket;
const PRICE = 'subscription ($symbols: [String!]!) { price(symbols: $symbols) { symbol price bid ask cursor } }';
const SIGNAL = 'subscription ($symbols: [String!]) { signal(symbols: $symbols) { strategyId symbol side reason cursor } }';

function publishPrice(symbol: string, price: number) {
  const query = 'mutation ($input: PriceInput!) { publishPrice(input: $input) { cursor } }';
  return execute(server.graphqlUrl, query, { input: { symbol, price, bid: price - 1, ask: price + 1 } }, publisher);
}

function publishSignal(symbol: string, reason: string) {
  const query = 'mutation ($input: SignalInput!) { publishSignal(input: $input) { cursor } }';
  const input = { strategyId: 'ma-crossover', symbol, side: 'BUY', price: 100, confidence: 0.5, reason };
  return execute(server.graphqlUrl, query, { input }, publisher);
}

/** A graphql-ws client as the dashboard makes it, on MessagePack or JSON; the protocol it got is recorded. */
function connect(encoding: 'json' | 'msgpack'): { client: Client; protocol: () => string } {
  let protocol = '';
  const client = createClient({
    url: server.wsUrl,
    webSocketImpl: encoding === 'msgpack' ? msgpackWebSocket(NodeWebSocket) : NodeWebSocket,
    connectionParams: { authorization: `Bearer ${trader}` },
    retryAttempts: 0,
    on: { connected: (socket) => (protocol = (socket as WebSocket).protocol) },
  });
  leftovers.push(() => void client.dispose());
  return { client, protocol: () => protocol };
}

/** A subscription whose results queue up; `take(n)` waits for the next n and removes them. */
function follow(client: Client, query: string, variables: Record<string, unknown>) {
  const queue: FormattedExecutionResult<Record<string, unknown>, unknown>[] = [];
  let failure: unknown = null;
  let wake = () => {};
  const stop = client.subscribe({ query, variables }, {
    next: (result) => {
      queue.push(result);
      wake();
    },
    error: (error) => {
      failure = error;
      wake();
    },
    complete: () => {},
  });
  leftovers.push(stop);
  async function take(count: number, timeoutMs = 5000): Promise<FormattedExecutionResult<Record<string, unknown>, unknown>[]> {
    const deadline = Date.now() + timeoutMs;
    while (queue.length < count) {
      if (failure) throw new Error(`subscription failed after ${queue.length} of ${count} results: ${JSON.stringify(failure)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${queue.length} of ${count} results`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, left);
      });
    }
    return queue.splice(0, count);
  }
  /** Drops what has queued so far. */
  const drain = () => void queue.splice(0);
  return { take, drain };
}

/** Publishes warm-up events until each subscription has delivered one, then drops what the warm-up left. */
async function untilLive(subscriptions: ReturnType<typeof follow>[], publish: (attempt: number) => Promise<unknown>): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    await publish(attempt);
    const live = await Promise.all(subscriptions.map((s) => s.take(1, 200).then(() => true, () => false)));
    if (live.every(Boolean)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      subscriptions.forEach((s) => s.drain());
      return;
    }
  }
  throw new Error('subscriptions delivered nothing after 50 publishes');
}

interface Frame {
  binary: boolean;
  data: Buffer;
}

/** A raw socket, for what no graphql-ws client sends: its frames and its close are recorded. */
async function rawSocket(protocols: string[]) {
  const socket = new WebSocket(server.wsUrl, protocols);
  leftovers.push(() => socket.terminate());
  const frames: Frame[] = [];
  socket.on('message', (data, binary) => frames.push({ binary, data: data as Buffer }));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const nextFrame = async (): Promise<Frame> => {
    for (let waited = 0; frames.length === 0; waited += 10) {
      if (waited > 5000) throw new Error('no frame within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return frames.shift() as Frame;
  };
  return { socket, closed, nextFrame };
}

describe('the MessagePack encoding', () => {
  it('delivers price and signal events to a graphql-ws client on MessagePack', async () => {
    const { client, protocol } = connect('msgpack');
    const prices = follow(client, PRICE, { symbols: ['MPK'] });
    const signals = follow(client, SIGNAL, { symbols: ['MPK'] });
    await untilLive([prices], (attempt) => publishPrice('MPK', attempt + 1));
    await untilLive([signals], (attempt) => publishSignal('MPK', `warm-up ${attempt}`));
    expect(protocol()).toBe(MSGPACK_PROTOCOL);

    for (const price of [101, 102, 103]) await publishPrice('MPK', price);
    await publishSignal('MPK', 'packed signal');
    const ticks = await prices.take(3);
    expect(ticks.map((tick) => tick.data?.price)).toMatchObject([101, 102, 103].map((price) => ({ symbol: 'MPK', price, bid: price - 1, ask: price + 1 })));
    const [signal] = await signals.take(1);
    expect(signal?.data?.signal).toMatchObject({ strategyId: 'ma-crossover', symbol: 'MPK', side: 'BUY', reason: 'packed signal' });
  });

  it('sends the same events to a JSON client and a MessagePack client of one price stream', async () => {
    const json = connect('json');
    const packed = connect('msgpack');
    const streams = [follow(json.client, PRICE, { symbols: ['MPSAME'] }), follow(packed.client, PRICE, { symbols: ['MPSAME'] })];
    await untilLive(streams, (attempt) => publishPrice('MPSAME', attempt + 1));
    expect([json.protocol(), packed.protocol()]).toEqual(['graphql-transport-ws', MSGPACK_PROTOCOL]);

    for (const price of [201.5, 202.25, 203]) await publishPrice('MPSAME', price);
    const [viaJson, viaMsgpack] = await Promise.all(streams.map((stream) => stream.take(3)));
    expect(viaJson?.map((result) => result.data?.price)).toMatchObject([{ price: 201.5 }, { price: 202.25 }, { price: 203 }]);
    expect(viaMsgpack).toEqual(viaJson);
  });

  it('frames every message as one binary MessagePack map, the shared fan-out included', async () => {
    const { socket, nextFrame } = await rawSocket([MSGPACK_PROTOCOL]);
    socket.send(pack({ type: 'connection_init', payload: { authorization: `Bearer ${trader}` } }));
    const ack = await nextFrame();
    expect(ack.binary).toBe(true);
    expect(unpack(ack.data)).toEqual({ type: 'connection_ack' });

    socket.send(pack({ id: 'p', type: 'subscribe', payload: { query: PRICE, variables: { symbols: ['MPRAW'] } } }));
    let frame: Frame | null = null;
    for (let attempt = 0; attempt < 50 && !frame; attempt += 1) {
      await publishPrice('MPRAW', 7);
      frame = await nextFrame().catch(() => null);
    }
    expect(frame?.binary).toBe(true);
    expect(unpack(frame?.data ?? Buffer.alloc(0))).toMatchObject({ id: 'p', type: 'next', payload: { data: { price: { symbol: 'MPRAW', price: 7 } } } });

    socket.send(pack({ type: 'ping' }));
    const pong = await nextFrame();
    expect([pong.binary, unpack(pong.data)]).toEqual([true, { type: 'pong' }]);
  });

  it.each([
    ['a text frame', JSON.stringify({ type: 'connection_init' }), /text frame/i],
    ['bytes that are not MessagePack', Buffer.from([0xc1, 0xff, 0x00]), /malformed/i],
    ['a truncated map', pack({ type: 'connection_init', payload: { a: 'b' } }).subarray(0, 6), /malformed/i],
    ['a MessagePack value that is not a map', pack([1, 2, 3]), /not a MessagePack map/i],
    ['the reserved byte 0xc1', Buffer.from([0xc1]), /not a MessagePack map/i],
    ['a map that is no protocol message', pack({ hello: 'world' }), /invalid message/i],
  ])('closes a MessagePack socket that sends %s with 4400', async (_, data, reason) => {
    const { socket, closed } = await rawSocket([MSGPACK_PROTOCOL]);
    socket.send(data);
    const close = await closed;
    expect(close.code).toBe(CloseCode.BadRequest);
    expect(close.reason).toMatch(reason);
  });

  it('answers in JSON a client that prefers graphql-transport-ws over MessagePack', async () => {
    const { socket, nextFrame } = await rawSocket(['graphql-transport-ws', MSGPACK_PROTOCOL]);
    expect(socket.protocol).toBe('graphql-transport-ws');
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${trader}` } }));
    const ack = await nextFrame();
    expect(ack.binary).toBe(false);
    expect(JSON.parse(String(ack.data))).toEqual({ type: 'connection_ack' });
  });

  it('chooses MessagePack when the client offers it first', async () => {
    const { socket } = await rawSocket([MSGPACK_PROTOCOL, 'graphql-transport-ws']);
    expect(socket.protocol).toBe(MSGPACK_PROTOCOL);
  });
});
