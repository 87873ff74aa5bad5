import { CloseCode } from '../../src/transport/close-codes.js';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPublisher, type ConnectedPublisher } from '../../src/publish/index.js';
import { ProtocolClient, type NextPayload } from '../support/protocol-client.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startProcess, startServer, tokenFor, type InProcessServer, type ServerProcess } from '../support/start-server.js';

/** Clients that read slowly, not at all, or vanish: bounded memory, others unaffected, nothing leaks. */
let redis: TestRedis;
let server: ServerProcess;
let publisher: ConnectedPublisher;
let trader: string;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
  // Analytics off: the memory bound under test is the fan-out's; analytics hold state of their own.
  server = await startProcess('main.ts', { REDIS_URL: redis.url, SUBSCRIPTION_QUEUE_LIMIT: '100', ANALYTICS: '0' });
  publisher = await connectPublisher({ redisUrl: redis.url });
  trader = await tokenFor('alice', ['trader']);
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  await publisher?.close();
  await server?.stop();
  await redis?.stop();
});

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

async function connect(): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(server.wsUrl, trader);
  clients.push(client);
  return client;
}

/** Stops reading from the socket: the server's writes back up as they would to a stalled phone. */
function stall(client: ProtocolClient): () => void {
  const socket = (client.socket as WebSocket & { _socket: import('node:net').Socket })._socket;
  socket.pause();
  return () => socket.resume();
}

type SignalData = { signal: { reason: string } };
type TickData = { price: { symbol: string; price: number } };
const REASON = 'x'.repeat(400);
const FANOUT = 20;

describe('a client that stops reading', () => {
  it('is disconnected with 4008 on signals, while server memory stays bounded and others get every event', async () => {
    const healthy = await connect();
    healthy.subscribe('h', 'subscription { signal(symbols: ["FLOOD"]) { reason } }');
    const stalled = await connect();
    // Many subscriptions on the stalled socket multiply its backlog well past what kernel buffers absorb.
    for (let i = 0; i < FANOUT; i += 1) stalled.subscribe(i === 0 ? 's' : `s${i}`, 'subscription { signal(symbols: ["FLOOD"]) { reason } }');
    const warmUp = () =>
      publisher.publishSignal({ strategyId: 'ma-crossover', symbol: 'FLOOD', side: 'BUY', price: 1, confidence: 0.5, reason: 'warm-up' });
    await healthy.untilLive('h', warmUp);
    await stalled.untilLive('s', warmUp);
    await new Promise((resolve) => setTimeout(resolve, 100));
    healthy.drain('h');
    const resume = stall(stalled);
    const before = rssMiB(server.child.pid!);
    const COUNT = 20_000;
    let peak = before;
    for (let i = 0; i < COUNT; i += 1) {
      await publisher.publishSignal({ strategyId: 'ma-crossover', symbol: 'FLOOD', side: 'BUY', price: 1, confidence: 0.5, reason: `${i} ${REASON}` });
      if (i % 1000 === 0) peak = Math.max(peak, rssMiB(server.child.pid!));
    }
    const received = await healthy.collect<SignalData>('h', COUNT, 60_000);
    expect(received.map((e) => Number(e.data?.signal.reason.split(' ')[0]))).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    peak = Math.max(peak, rssMiB(server.child.pid!));
    // 20,000 × ~0.5 KB × 20 subscriptions went to the stalled socket (~200 MB); a bounded server holds
    // at most SUBSCRIPTION_QUEUE_LIMIT per subscription plus socket buffers.
    expect(peak - before).toBeLessThan(60);
    resume();
    const { code } = await stalled.waitForClose(10_000);
    // The close frame travels behind the backlog; a peer that does not take it in time is cut (1006).
    expect([4008, 1006]).toContain(code);
  });

  it('gets the latest price per symbol (conflated) instead of every tick, and is not disconnected', async () => {
    const stalled = await connect();
    for (let i = 0; i < FANOUT; i += 1) stalled.subscribe(i === 0 ? 'p' : `p${i}`, 'subscription { price(symbols: ["CONF-A", "CONF-B"]) { symbol price } }');
    await stalled.untilLive('p', () => publisher.publishPrice({ symbol: 'CONF-A', price: 1 }));
    const resume = stall(stalled);
    const TICKS = 20_000;
    for (let i = 1; i <= TICKS; i += 1) await publisher.publishPrice({ symbol: i % 2 ? 'CONF-A' : 'CONF-B', price: i });
    resume();
    const seen: TickData['price'][] = [];
    while (!(seen.some((t) => t.price === TICKS - 1) && seen.some((t) => t.price === TICKS))) {
      const message = await stalled.waitFor((m) => m.id === 'p', 10_000);
      seen.push((message.payload as NextPayload<TickData>).data!.price);
    }
    expect(seen.length).toBeLessThan(TICKS);
    const prices = seen.map((t) => t.price);
    expect(prices).toEqual([...prices].sort((x, y) => x - y));
    expect(stalled.socket.readyState).toBe(WebSocket.OPEN);
  });
});

describe('dead peers and released resources', () => {
  let local: InProcessServer;

  beforeAll(async () => {
    // Analytics off: they follow every key with events (channels that are not the subscriptions' to count).
    local = await startServer({ REDIS_URL: redis.url, WS_KEEPALIVE_MS: '300', ANALYTICS: '0' });
  });

  afterAll(async () => {
    await local?.stop();
  });

  it('drops a peer that stops answering pings within about two keep-alive intervals', async () => {
    const socket = new WebSocket(local.wsUrl, 'graphql-transport-ws', { autoPong: false });
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${trader}` } }));
    const started = Date.now();
    const code = await new Promise<number>((resolve) => socket.once('close', resolve));
    expect(code).toBe(CloseCode.Abnormal);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('holds no more Redis subscriptions, listeners or memory after thousands of subscribe/unsubscribe cycles', async () => {
    const channelsBefore = ((await redis.client.pubsub('CHANNELS', 'titan:*')) as string[]).length;
    const statsBefore = local.stats().bus;
    const client = await ProtocolClient.connect(local.wsUrl, trader);
    clients.push(client);
    const cycle = async (from: number, count: number) => {
      for (let i = from; i < from + count; i += 1) {
        client.subscribe(`c${i}`, 'subscription ($s: [String!]!) { price(symbols: $s) { price } }', { s: [`CYCLE-${i % 20}`, 'CYCLE-X'] });
        if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 20));
        client.send({ id: `c${i}`, type: 'complete' });
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    expect(globalThis.gc, 'vitest runs with --expose-gc').toBeTypeOf('function');
    await cycle(0, 500);
    globalThis.gc?.();
    const heapAfterWarmUp = process.memoryUsage().heapUsed;
    await cycle(500, 2500);
    globalThis.gc?.();
    expect(local.stats().bus).toEqual(statsBefore);
    expect(((await redis.client.pubsub('CHANNELS', 'titan:*')) as string[]).length).toBe(channelsBefore);
    expect((process.memoryUsage().heapUsed - heapAfterWarmUp) / 2 ** 20).toBeLessThan(20);
    client.subscribe('alive', 'subscription { price(symbols: ["CYCLE-X"]) { price } }');
    await client.untilLive('alive', () => publisher.publishPrice({ symbol: 'CYCLE-X', price: 7 }));
  });
});

describe('keep-alive pings', () => {
  it('go to the sockets a slice at a time over the interval, not all in one burst', async () => {
    const server = await startServer({ WS_KEEPALIVE_MS: '1000' });
    const sockets: WebSocket[] = [];
    try {
      const pingedAt: number[][] = [];
      for (let i = 0; i < 40; i += 1) {
        const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
        const times: number[] = [];
        socket.on('ping', () => times.push(Date.now()));
        await new Promise((resolve) => socket.once('open', resolve));
        socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await tokenFor(`k${i}`, ['trader'])}` } }));
        sockets.push(socket);
        pingedAt.push(times);
      }
      await new Promise((resolve) => setTimeout(resolve, 2600));
      // Every socket is pinged about once a second and stays connected (it answers)...
      for (const times of pingedAt) expect(times.length).toBeGreaterThanOrEqual(1);
      expect(sockets.every((socket) => socket.readyState === WebSocket.OPEN)).toBe(true);
      // ...but the first pings of the 40 sockets are spread over the interval (10 slices of 100 ms).
      const firsts = pingedAt.map((times) => times[0] as number);
      expect(Math.max(...firsts) - Math.min(...firsts)).toBeGreaterThanOrEqual(500);
    } finally {
      sockets.forEach((socket) => socket.terminate());
      await server.stop();
    }
  });
});
