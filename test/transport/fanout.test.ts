import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError, parse, type ExecutionArgs } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { Viewer } from '../../src/auth/viewer.js';
import type { EventBus, HistoryPage, StreamPosition, Topic } from '../../src/bus/event-bus.js';
import { encodeCursor } from '../../src/bus/cursor.js';
import { MemoryEventBus } from '../../src/bus/memory-event-bus.js';
import { buildSchema } from '../../src/schema/schema.js';
import { MemoryBacktestStore } from '../../src/store/memory-backtest-store.js';
import { LiveFanout, type LiveFanoutOptions } from '../../src/transport/fanout/live-fanout.js';
import { Payload } from '../../src/transport/fanout/payload.js';
import { tcpStreamOf } from '../../src/transport/fanout/ws-stream.js';
import { testConfig } from '../support/test-config.js';

/**
 * The replay of a resuming subscriber on the shared path, with its history read held open: what
 * arrives live meanwhile is held, bounded, and sent after the replay in order.
 */
const schema = buildSchema();
const viewer: Viewer = { id: 'ann', roles: new Set(['trader']), strategies: null, expiresAt: null };
const SIGNALS = 'subscription ($after: Cursor) { signal(symbols: ["GATE"], after: $after) { reason } }';
const PRICES = 'subscription ($after: Cursor) { price(symbols: ["GATE"], after: $after) { price } }';
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * The memory bus, whose history pages are read at once but handed over only at `open()`: the replay
 * stays in progress meanwhile, and what is published then is newer than the page.
 */
class GatedBus extends MemoryEventBus {
  open: () => void = () => {};
  private readonly gate: Promise<void> = new Promise((resolve) => (this.open = resolve));

  override async history<T extends Topic>(topic: T, keys: readonly string[], after: StreamPosition, limit: number): Promise<HistoryPage<T>> {
    const page = await super.history(topic, keys, after, limit);
    await this.gate;
    return page;
  }
}

/** A server-side socket and the frames its client receives. */
async function socketPair(): Promise<{ server: WebSocket; frames: string[]; closed: Promise<void> }> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
  const frames: string[] = [];
  client.on('message', (data) => frames.push(String(data)));
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  const [server] = await Promise.all([accepted, new Promise((resolve) => client.once('open', resolve))]);
  cleanups.push(async () => {
    client.terminate();
    await new Promise<void>((resolve) => wss.close(() => http.close(() => resolve())));
  });
  return { server, frames, closed };
}

/** The shared fan-out on a bus, with a 1 MiB full mark and room for `backlog` held events per resumer unless told otherwise. */
function fanoutOn(bus: EventBus, { maxBufferedBytes = 1 << 20, backlog = 10, onError }: { maxBufferedBytes?: number; backlog?: number; onError?: LiveFanoutOptions['onError'] } = {}) {
  return new LiveFanout({
    context: { bus, backtestStore: new MemoryBacktestStore(), symbolsPerSubscription: 10, priceReplayMax: testConfig().limits.priceReplayMax },
    ws: { maxBufferedBytes, writeDelayMs: 0 },
    limits: { subscriptionQueueLimit: backlog },
    onError,
  });
}

function argsOf(query: string, variables: Record<string, unknown>): ExecutionArgs {
  return { schema, document: parse(query), variableValues: variables, contextValue: {} };
}

async function resume(bus: EventBus, query: string, after: string, replayBacklogLimit: number) {
  const fanout = fanoutOn(bus, { backlog: replayBacklogLimit });
  const variables = { after };
  const plan = await fanout.match(schema, parse(query), undefined, variables, viewer);
  if (!plan) throw new Error('not matched');
  const { server, frames } = await socketPair();
  const joined = await fanout.joinSocket(server, 'op', plan, argsOf(query, variables), { viewer });
  if (!(Symbol.asyncIterator in joined)) throw new Error('did not join');
  return { fanout, frames, iterator: joined };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('a group whose bus subscription cannot start', () => {
  it('answers its subscriber with INTERNAL_SERVER_ERROR, reports the cause and keeps nothing', async () => {
    class BrokenBus extends MemoryEventBus {
      override async subscribe(): Promise<never> {
        throw new Error('bus down');
      }
    }
    const errors: unknown[] = [];
    const fanout = fanoutOn(new BrokenBus(testConfig().bus), { onError: (error) => errors.push(error) });
    const query = 'subscription { price(symbols: ["GATE"]) { price } }';
    const plan = await fanout.match(schema, parse(query), undefined, {}, viewer);
    if (!plan) throw new Error('not matched');
    const { server } = await socketPair();
    const joined = await fanout.joinSocket(server, 'op', plan, argsOf(query, {}), { viewer });
    expect(joined).toMatchObject({ errors: [{ extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    expect(errors).toEqual([expect.objectContaining({ message: 'bus down' })]);
    expect(fanout.stats().price).toMatchObject({ groups: 0, members: 0 });
  });
});

describe('a resuming subscriber on the shared path', () => {
  it('sends the replay, then the live events held meanwhile, in order and once each', async () => {
    const bus = new GatedBus(testConfig().bus);
    const first = await bus.publish('signal', 'ma-crossover', { strategyId: 'ma-crossover', symbol: 'GATE', side: 'BUY', price: 1, confidence: 0.5, reason: '#0', timestamp: new Date().toISOString() } as never);
    for (let n = 1; n <= 3; n += 1) await bus.publish('signal', 'ma-crossover', { ...first.payload, reason: `#${n}` });
    const { frames } = await resume(bus, SIGNALS, encodeCursor(first.position), 100);
    for (let n = 4; n <= 6; n += 1) await bus.publish('signal', 'ma-crossover', { ...first.payload, reason: `#${n}` });
    expect(frames).toEqual([]);
    bus.open();
    await until(() => frames.length >= 6);
    expect(frames.map((frame) => JSON.parse(frame).payload.data.signal.reason)).toEqual(['#1', '#2', '#3', '#4', '#5', '#6']);
  });

  it('ends signals with SLOW_CONSUMER when more live events arrive during the replay than it may hold', async () => {
    const bus = new GatedBus(testConfig().bus);
    const first = await bus.publish('signal', 'ma-crossover', { strategyId: 'ma-crossover', symbol: 'GATE', side: 'BUY', price: 1, confidence: 0.5, reason: '#0', timestamp: new Date().toISOString() } as never);
    const { iterator, fanout } = await resume(bus, SIGNALS, encodeCursor(first.position), 3);
    const ended = iterator.next();
    for (let n = 1; n <= 4; n += 1) await bus.publish('signal', 'ma-crossover', { ...first.payload, reason: `#${n}` });
    await expect(ended).rejects.toMatchObject({ extensions: { code: 'SLOW_CONSUMER' } });
    expect(fanout.stats().signal).toMatchObject({ members: 0, slowConsumers: 1 });
    bus.open();
  });

  it('keeps the newest price per symbol when more live ticks arrive during the replay than it may hold', async () => {
    const bus = new GatedBus(testConfig().bus);
    const tick = (price: number) => ({ symbol: 'GATE', price, timestamp: new Date().toISOString() }) as never;
    const first = await bus.publish('price', 'GATE', tick(1));
    const { frames, fanout } = await resume(bus, PRICES, encodeCursor(first.position), 3);
    for (let price = 2; price <= 6; price += 1) await bus.publish('price', 'GATE', tick(price));
    bus.open();
    // Held: 2, 3, 4; then 5 makes four, over the limit: only the newest of the symbol stays; then 6.
    await until(() => frames.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(frames.map((frame) => JSON.parse(frame).payload.data.price.price)).toEqual([5, 6]);
    expect(fanout.stats().price.conflated).toBe(3);
  });
});

describe('a live price subscriber whose socket is full', () => {
  it('gets the newest tick per symbol once the socket drains, in publish order', async () => {
    const bus = new MemoryEventBus(testConfig().bus);
    const fanout = fanoutOn(bus, { maxBufferedBytes: 1024 });
    const query = 'subscription { price(symbols: ["FULL-A", "FULL-B"]) { symbol price } }';
    const plan = await fanout.match(schema, parse(query), undefined, {}, viewer);
    if (!plan) throw new Error('not matched');
    const { server, frames } = await socketPair();
    // The socket's send buffer (its TCP stream's, where the fan-out writes): over the limit until the client "reads".
    let buffered = 4096;
    Object.defineProperty(tcpStreamOf(server), 'writableLength', { get: () => buffered });
    const joined = await fanout.joinSocket(server, 'op', plan, argsOf(query, {}), { viewer });
    if (!(Symbol.asyncIterator in joined)) throw new Error('did not join');
    const tick = (symbol: string, price: number) => bus.publish('price', symbol, { symbol, price, timestamp: new Date().toISOString() } as never);
    // A1 A2 B3 A4 B5 B6 A7: B6 is the newest of B, A7 of A, and B6 was published first.
    for (const [symbol, price] of [['FULL-A', 1], ['FULL-A', 2], ['FULL-B', 3], ['FULL-A', 4], ['FULL-B', 5], ['FULL-B', 6], ['FULL-A', 7]] as const) {
      await tick(symbol, price);
    }
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(frames).toEqual([]);
    buffered = 0;
    await until(() => frames.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(frames.map((frame) => JSON.parse(frame).payload.data.price)).toEqual([
      { symbol: 'FULL-B', price: 6 },
      { symbol: 'FULL-A', price: 7 },
    ]);
    expect(fanout.stats().price).toMatchObject({ conflated: 5, framesSent: 2 });
  });
});

describe('an event whose execution fails', () => {
  it('reaches members with masked errors: typed codes kept, internal text never', () => {
    const internal = new GraphQLError('Cannot read properties of undefined', { originalError: new TypeError('secret internals at /srv/app.js:42'), path: ['price', 'price'] });
    const typed = new GraphQLError('No such backtest', { extensions: { code: 'NOT_FOUND' } });
    const payload = new Payload({ data: null, errors: [internal, typed] }, null);
    const body = JSON.parse(payload.json.toString()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors.map((error) => error.extensions.code)).toEqual(['INTERNAL_SERVER_ERROR', 'NOT_FOUND']);
    expect(payload.json.toString()).not.toContain('secret internals');
    expect(payload.json.toString()).not.toContain('Cannot read properties');
  });
});
