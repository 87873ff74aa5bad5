/**
 * The baseline: what a bare `ws` broadcast costs on this machine. It speaks just enough
 * graphql-transport-ws for the load generator, reads the same Redis channels as TITAN, and sends
 * one pre-serialized frame to every socket of a symbol. No auth, no GraphQL, no cursors, no limits.
 *
 * FIELDS (comma-separated PriceTick fields, in the order TITAN's query selects them) shapes the
 * frame like TITAN's answer, the cursor included.
 *
 * RAW_DEFLATE=1 accepts permessage-deflate and compresses every frame, however small (ws's
 * default threshold of 1 KiB would leave these ~100-byte frames as they are), with ws's other
 * defaults: per-socket compression contexts kept across messages, zlib level and memory defaults.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeCursor } from '../../src/bus/cursor.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const bySymbol = new Map<string, Set<WebSocket>>();
const fields = (process.env.FIELDS ?? 'symbol,price,timestamp').split(',');
const server = createServer();
const wss = new WebSocketServer({ server, path: '/graphql', perMessageDeflate: process.env.RAW_DEFLATE === '1' && { threshold: 0 } });

wss.on('connection', (socket) => {
  const mine: string[] = [];
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { type: string; payload?: { variables?: { symbols?: string[] } } };
    if (message.type === 'connection_init') socket.send('{"type":"connection_ack"}');
    if (message.type === 'subscribe') {
      for (const symbol of message.payload?.variables?.symbols ?? []) {
        let set = bySymbol.get(symbol);
        if (!set) bySymbol.set(symbol, (set = new Set()));
        set.add(socket);
        mine.push(symbol);
      }
    }
  });
  socket.on('close', () => mine.forEach((symbol) => bySymbol.get(symbol)?.delete(socket)));
});

const subscriber = new Redis(redisUrl);
subscriber.on('pmessage', (_pattern, channel, raw) => {
  const symbol = channel.slice(channel.lastIndexOf(':') + 1);
  const sockets = bySymbol.get(symbol);
  if (!sockets) return;
  const { payload, epoch, offset } = JSON.parse(raw) as { payload: Record<string, unknown>; epoch: string; offset: number };
  const tick: Record<string, unknown> = { ...payload, cursor: encodeCursor({ epoch, offset }) };
  const shaped = Object.fromEntries(fields.map((field) => [field, tick[field] ?? null]));
  const frame = `{"id":"1","type":"next","payload":{"data":{"price":${JSON.stringify(shaped)}}}}`;
  for (const socket of sockets) socket.send(frame);
});
await subscriber.psubscribe('titan:price:live:*');

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'raw ws listening', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` }));
});
process.on('SIGTERM', () => process.exit(0));
