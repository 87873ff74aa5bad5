import { CloseCode } from '../../src/transport/close-codes.js';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/bus/cursor.js';
import { ProtocolClient, execute, type NextPayload } from '../support/protocol-client.js';
import { startProcess, tokenFor, type ServerProcess } from '../support/start-server.js';
import { TEST_SECRET } from '../support/test-config.js';

/**
 * An attacker throws garbage at a running server process while a trader's stream runs: every attack
 * gets a clear rejection, the process stays up, and the trader's stream carries on without a gap.
 */
let server: ServerProcess;
let trader: string;
let publisher: string;
const sockets: { close(): void }[] = [];

beforeAll(async () => {
  server = await startProcess('main.ts', { WS_MAX_PAYLOAD_BYTES: '16384', WS_CONNECTS_PER_MINUTE: '100000' });
  [trader, publisher] = await Promise.all([tokenFor('alice', ['trader']), tokenFor('svc', ['publisher'])]);
});

afterAll(async () => {
  sockets.forEach((socket) => socket.close());
  await server?.stop();
});

type Tick = { price: { price: number; cursor: string } };

async function rawSocket(): Promise<WebSocket> {
  const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
  socket.on('error', () => {});
  sockets.push({ close: () => socket.terminate() });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** Sends frames on a fresh socket and resolves with how the server closed it (or 'open' if it did not). */
async function closeCodeAfter(frames: (string | Buffer)[], init = false, waitMs = 1500): Promise<number | 'open'> {
  const socket = await rawSocket();
  if (init) {
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${trader}` } }));
    await new Promise((resolve) => socket.once('message', resolve));
  }
  for (const frame of frames) socket.send(frame);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('open'), waitMs);
    socket.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

async function forgedTokens(): Promise<string[]> {
  const [header, payload, signature] = trader.split('.');
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const adminClaims = b64({ sub: 'alice', roles: ['admin'], exp: Math.floor(Date.now() / 1000) + 3600 });
  const wrongKey = await new SignJWT({ roles: ['admin'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('mallory')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(`${TEST_SECRET}-but-not-quite`));
  return [
    `${b64({ alg: 'none', typ: 'JWT' })}.${adminClaims}.`,
    `${header}.${adminClaims}.${signature}`,
    `${header}.${payload}.${Buffer.from('forged').toString('base64url')}`,
    wrongKey,
    `${b64({ alg: 'HS512', typ: 'JWT' })}.${payload}.${signature}`,
    'a.b.c',
    randomBytes(300).toString('base64url'),
    '',
  ];
}

describe('hostile input against a running server', () => {
  it('rejects every attack clearly, stays up, and leaves another trader\'s stream untouched', async () => {
    const victim = await ProtocolClient.connect(server.wsUrl, trader);
    sockets.push(victim);
    victim.subscribe('v', 'subscription { price(symbols: ["VICTIM"]) { price cursor } }');
    // The trader's prices are published over a WebSocket of their own, so the attacks on HTTP
    // connections cannot disturb the publishing itself.
    const feed = await ProtocolClient.connect(server.wsUrl, publisher);
    sockets.push(feed);
    let sent = 0;
    const publish = () => {
      sent += 1;
      feed.subscribe(`m${sent}`, 'mutation ($p: Float!) { publishPrice(input: { symbol: "VICTIM", price: $p }) { price } }', { p: sent });
      return Promise.resolve();
    };
    const first = await victim.untilLive<Tick>('v', publish);
    const publishing = setInterval(publish, 20);

    try {
      // Protocol garbage: each closes only the attacker's socket, with the documented code.
      expect(await closeCodeAfter([randomBytes(512)])).toBe(CloseCode.BadRequest);
      expect(await closeCodeAfter(['{"type":'])).toBe(CloseCode.BadRequest);
      expect(await closeCodeAfter(['[]'])).toBe(CloseCode.BadRequest);
      expect(await closeCodeAfter(['{"type":"no-such-type"}'])).toBe(CloseCode.BadRequest);
      expect(await closeCodeAfter([JSON.stringify({ type: 'subscribe', payload: { query: '{ symbols }' } })], true)).toBe(CloseCode.BadRequest);
      // Two inits without a token: refused for the token (4401) or for the repeat (4429), whichever is read first.
      expect([4401, 4429]).toContain(await closeCodeAfter([JSON.stringify({ type: 'connection_init' }), JSON.stringify({ type: 'connection_init' })]));
      expect(await closeCodeAfter([JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${trader}` } })], true)).toBe(CloseCode.TooManyRequests);
      expect(await closeCodeAfter(['x'.repeat(20_000)])).toBe(CloseCode.MessageTooBig);
      expect(await closeCodeAfter([JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ symbols }' } })])).toBe(CloseCode.Unauthorized);
      const duplicate = JSON.stringify({ id: 'd', type: 'subscribe', payload: { query: 'subscription { price(symbols: ["X"]) { price } }' } });
      expect(await closeCodeAfter([duplicate, duplicate], true)).toBe(CloseCode.SubscriberAlreadyExists);

      // Token forgeries: refused with 4401 on WebSocket and UNAUTHENTICATED on HTTP.
      for (const token of await forgedTokens()) {
        const socket = await ProtocolClient.open(server.wsUrl, { authorization: `Bearer ${token}`, init: true });
        sockets.push(socket);
        expect((await socket.waitForClose()).code).toBe(CloseCode.Unauthorized);
        const { errors } = await execute(server.graphqlUrl, '{ symbols }', {}, token);
        expect(errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      }

      // Operation-level garbage on an authenticated socket: errors for those operations, socket kept.
      const attacker = await ProtocolClient.connect(server.wsUrl, await tokenFor('mallory', ['trader']));
      sockets.push(attacker);
      const deep = `{ ${'__schema { types { fields { type { ofType { '.repeat(40)}name${' } } } } }'.repeat(40)} }`;
      const cursor = encodeCursor(decodeCursor(first.data!.price.cursor)!);
      const bad = [
        ['q1', '{ symbols'],
        ['q2', deep],
        ['q3', `{ ${Array.from({ length: 500 }, (_, i) => `a${i}: symbols`).join(' ')} }`],
        ['q4', 'subscription { price(symbols: ["BTC-USD"], after: "%%%not-a-cursor") { price } }'],
        ['q5', `subscription { price(symbols: ["BTC-USD"], after: "${cursor.slice(0, -3)}") { price } }`],
        ['q6', `subscription { price(symbols: ["BTC-USD"], after: "${Buffer.from('c1:epoch:99999999999').toString('base64url')}") { price } }`],
        ['q7', 'mutation { publishPrice(input: { symbol: "BTC-USD", price: 1 }) { price } }'],
        ['q8', '{ backtest(id: "../../etc/passwd") { id } }'],
        ['q9', 'subscription { backtestProgress(id: "someone-elses") { status } }'],
      ];
      for (const [id, query] of bad) attacker.subscribe(id!, query!);
      for (const [id] of bad) {
        const message = await attacker.waitFor((m) => m.id === id && m.type !== 'complete');
        const errors = message.type === 'error' ? message.payload : (message.payload as NextPayload).errors;
        const data = message.type === 'next' ? (message.payload as NextPayload).data : undefined;
        expect(errors ?? data, `operation ${id}`).toBeTruthy();
        if (id !== 'q8') expect(errors, `operation ${id} is refused`).toBeTruthy();
        expect(JSON.stringify(message.payload), `operation ${id}`).not.toMatch(/at .*\.ts:\d+/);
      }
      expect(attacker.socket.readyState).toBe(WebSocket.OPEN);

      // Huge and malformed HTTP bodies.
      const huge = await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${trader}` },
        body: 'x'.repeat(2_000_000),
      });
      expect(huge.status).toBe(413);
      const malformed = await fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${trader}` },
        body: '{"query": "{ symbols }", "variables": [',
      });
      expect(malformed.status).toBeGreaterThanOrEqual(400);
      expect(malformed.status).toBeLessThan(500);
    } finally {
      clearInterval(publishing);
    }

    // The process is up and the trader's stream went on, in order and without a gap.
    expect(server.child.exitCode).toBeNull();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const prices: number[] = [];
    while (prices.at(-1) !== sent) {
      const message = await victim.waitFor((m) => m.id === 'v', 5000);
      prices.push((message.payload as NextPayload<Tick>).data!.price.price);
    }
    expect(prices.length).toBeGreaterThan(5);
    expect(prices).toEqual(Array.from({ length: prices.length }, (_, i) => prices[0]! + i));
  });
});
