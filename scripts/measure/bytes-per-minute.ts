/**
 * Bytes per minute that a screen watching the demo feed's five symbols receives, with and without
 * `price(maxRate: 1)`, over WebSocket (JSON, graphql-transport-ws) and SSE. Starts one server in this
 * process with the demo feed (FEED_TICKS_PER_SECOND, 4 by default), subscribes the four clients at
 * once to the same ticks, counts what each receives for `--seconds` (default 60) and prints a table
 * for docs/performance.md. WebSocket bytes are the frames (payload and the server's 2–4 byte header);
 * SSE bytes are the response body (events, ids, keep-alive comments; no HTTP chunk framing). TCP/IP
 * headers are not counted.
 *
 *   npx tsx scripts/measure/bytes-per-minute.ts [--seconds 60]
 */
import WebSocket from 'ws';
import { buildApp } from '../../src/app.js';
import { TokenService } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';

const SECONDS = Number(process.argv[process.argv.indexOf('--seconds') + 1] || 60) || 60;
const QUERY = 'subscription ($symbols: [String!]!, $rate: Float) { price(symbols: $symbols, maxRate: $rate) { symbol price bid ask volume timestamp cursor } }';

interface Counter {
  name: string;
  messages: number;
  bytes: number;
}

/** A WebSocket frame's header from the server (unmasked): 2 bytes, 4 past 125 bytes of payload, 10 past 65,535. */
function frameHeader(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10;
}

async function watchOverWebSocket(wsUrl: string, token: string, symbols: string[], rate: number | null, counter: Counter): Promise<() => void> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  socket.on('message', (data: Buffer) => {
    const text = data.toString();
    if (text.includes('"connection_ack"')) {
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: QUERY, variables: { symbols, rate } } }));
      return;
    }
    counter.messages += 1;
    counter.bytes += data.length + frameHeader(data.length);
  });
  return () => socket.terminate();
}

async function watchOverSse(graphqlUrl: string, token: string, symbols: string[], rate: number | null, counter: Counter): Promise<() => void> {
  const controller = new AbortController();
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { accept: 'text/event-stream', authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERY, variables: { symbols, rate } }),
    signal: controller.signal,
  });
  const reader = response.body!.getReader();
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      counter.bytes += value.length;
      counter.messages += new TextDecoder().decode(value).split('event: next').length - 1;
    }
  })().catch(() => {});
  return () => controller.abort();
}

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, HOST: '127.0.0.1', PORT: '0', DEMO_FEED: '1', JWT_SECRET: 'bytes-per-minute-secret-of-at-least-32-chars', LOG_LEVEL: 'warn' });
  const app = await buildApp(config, createLogger(config.logLevel));
  const url = await app.start(0);
  const token = await new TokenService(config.auth).issue('phone', ['trader'], '1h');
  const symbols = config.feed.symbols.slice(0, 5);
  const counters: Counter[] = [];
  const stops: (() => void)[] = [];
  for (const [transport, watch] of [
    ['WebSocket (JSON)', () => watchOverWebSocket],
    ['SSE', () => watchOverSse],
  ] as const) {
    for (const rate of [null, 1]) {
      const counter = { name: `${transport}, ${rate === null ? 'every tick' : `maxRate: ${rate}`}`, messages: 0, bytes: 0 };
      counters.push(counter);
      const target = transport === 'SSE' ? `${url}/graphql` : `${url.replace(/^http/, 'ws')}/graphql`;
      stops.push(await watch()(target, token, symbols, rate, counter));
    }
  }
  // Counted from a clean start: the first second (subscribing, first ticks) is left out.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const counter of counters) Object.assign(counter, { messages: 0, bytes: 0 });
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const perMinute = 60 / SECONDS;
  console.log(`${symbols.length} symbols (${symbols.join(', ')}), ${config.feed.ticksPerSecond} ticks/s each, ${SECONDS} s:\n`);
  console.log('| client | updates per minute | bytes per minute | bytes per update |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const { name, messages, bytes } of counters) {
    console.log(`| ${name} | ${Math.round(messages * perMinute).toLocaleString('en')} | ${Math.round(bytes * perMinute).toLocaleString('en')} | ${messages ? Math.round(bytes / messages) : 0} |`);
  }
  stops.forEach((stop) => stop());
  await app.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
