/**
 * The load generator: N clients, each subscribed to the prices of some symbols, either plain `ws`
 * clients speaking graphql-transport-ws in JSON text frames or MessagePack binary frames, or
 * Server-Sent Events streams (sse-clients.ts). It parses as little as it can (in JSON, the publish
 * time and the sequence number sit at known places in each frame or event) so that it measures the
 * server, not itself. Driven over IPC by run.ts: `connect` → `connected`, `measure` → (after `stop`)
 * `report`.
 */
import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { MSGPACK_PROTOCOL, pack, unpack } from '../../src/transport/wire-format.js';
import { openEventStreams } from './sse-clients.js';

export interface ConnectCommand {
  type: 'connect';
  /** `ws://…/graphql` for WebSockets, `http://…/graphql` for SSE. */
  url: string;
  token: string;
  /** Per client, the symbols it subscribes to. */
  subscriptions: string[][];
  query: string;
  /** `sse`: one `POST` per client answered with an event stream, in JSON (encoding and perMessageDeflate do not apply). */
  transport: 'ws' | 'sse';
  /** `msgpack`: offer graphql-transport-ws+msgpack and speak MessagePack. */
  encoding: 'json' | 'msgpack';
  /** Offer permessage-deflate (it is used if the server accepts it). */
  perMessageDeflate: boolean;
}

export interface LoadReport {
  deliveries: number;
  /** Latencies in ms, publish → receipt (sampled). */
  latencies: number[];
  /** Per symbol, out-of-order or duplicate deliveries seen (should be 0). */
  disorder: number;
  cpuMicros: number;
  wallMs: number;
  closed: number;
  /**
   * Bytes read from the clients' TCP connections while measuring: WebSocket frames with their
   * headers, as compressed on the wire where permessage-deflate is on; SSE events with their
   * chunked-encoding framing and keep-alive comments.
   */
  bytes: number;
}

/** The part of a delivered `next` message the load generator reads. */
interface Delivery {
  payload?: { data?: { price?: { symbol: string; price: number; timestamp: string } } };
}

const MAX_SAMPLES = 2_000_000;
let sockets: WebSocket[] = [];
let streams: ClientRequest[] = [];
// The TCP connections under the WebSockets and event streams, for the bytes that really crossed the wire.
const connections: Socket[] = [];
let measuring = false;
let deliveries = 0;
let disorder = 0;
let closed = 0;
let latencies = new Float64Array(MAX_SAMPLES);
let samples = 0;

function bytesRead(): number {
  return connections.reduce((sum, connection) => sum + connection.bytesRead, 0);
}

function record(symbol: string, seq: number, timestamp: string, last: Map<string, number>): void {
  deliveries += 1;
  if (samples < MAX_SAMPLES) latencies[samples++] = Date.now() - Date.parse(timestamp);
  const previous = last.get(symbol) ?? 0;
  if (seq <= previous) disorder += 1;
  last.set(symbol, seq);
}

function onPackedFrame(data: WebSocket.RawData, last: Map<string, number>): void {
  if (!measuring) return;
  const tick = (unpack(data as Buffer) as Delivery).payload?.data?.price;
  if (tick) record(tick.symbol, tick.price, tick.timestamp, last);
}

function onTextFrame(data: WebSocket.RawData, last: Map<string, number>): void {
  if (measuring) onJson(data.toString(), last);
}

/** An SSE event: keep-alive comments and `event: complete` carry no timestamp and are passed over. */
function onEvent(text: string, last: Map<string, number>): void {
  if (measuring) onJson(text, last);
}

function onJson(text: string, last: Map<string, number>): void {
  // {"id":"1","type":"next","payload":{"data":{"price":{"symbol":"S","price":123,"timestamp":"..."}}}}
  // or over SSE: event: next\ndata: {"data":{"price":{"symbol":"S","price":123,"timestamp":"..."}}}
  const t = text.indexOf('"timestamp":"');
  if (t < 0) return;
  const s = text.indexOf('"symbol":"');
  const symbol = text.slice(s + 10, text.indexOf('"', s + 10));
  // After the symbol: the first `"price":` is the field's name (`"price":{`), not the tick's price.
  const p = text.indexOf('"price":', s);
  const seq = Number.parseFloat(text.slice(p + 8, text.indexOf(',', p + 8)));
  record(symbol, seq, text.slice(t + 13, t + 37), last);
}

async function connect(command: ConnectCommand): Promise<void> {
  if (command.transport === 'sse') {
    const { url, token, subscriptions, query } = command;
    const opened = await openEventStreams({
      url,
      token,
      subscriptions,
      query,
      listener: () => {
        const last = new Map<string, number>();
        return (event) => onEvent(event, last);
      },
      onConnection: (connection) => connections.push(connection),
      onClose: () => (closed += 1),
    });
    streams.push(...opened);
    return;
  }
  const { url, token, subscriptions, query, encoding, perMessageDeflate } = command;
  const packed = encoding === 'msgpack';
  const encode = (message: object) => (packed ? pack(message) : JSON.stringify(message));
  const onFrame = packed ? onPackedFrame : onTextFrame;
  let acknowledged = 0;
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    // A window of connections in flight, so the server's accept queue is not flooded.
    const openNext = () => {
      const symbols = subscriptions[next];
      next += 1;
      if (!symbols) return;
      const socket = new WebSocket(url, packed ? MSGPACK_PROTOCOL : 'graphql-transport-ws', { perMessageDeflate });
      socket.once('upgrade', (response) => connections.push(response.socket));
      const last = new Map<string, number>();
      let ready = false;
      sockets.push(socket);
      socket.on('open', () => socket.send(encode({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
      socket.on('message', (data) => {
        if (!ready) {
          ready = true;
          socket.send(encode({ id: '1', type: 'subscribe', payload: { query, variables: { symbols } } }));
          acknowledged += 1;
          if (acknowledged === subscriptions.length) resolve();
          openNext();
          return;
        }
        onFrame(data, last);
      });
      socket.on('close', () => (closed += 1));
      socket.on('error', reject);
    };
    for (let i = 0; i < 200; i += 1) openNext();
  });
}

process.on('message', async (message: { type: string } & Partial<ConnectCommand>) => {
  if (message.type === 'connect') {
    try {
      await connect(message as ConnectCommand);
      // Give the server a moment to start every subscription before measuring.
      setTimeout(() => process.send?.({ type: 'connected' }), 1000);
    } catch (error) {
      process.send?.({ type: 'error', message: String(error) });
    }
  } else if (message.type === 'measure') {
    deliveries = 0;
    disorder = 0;
    samples = 0;
    latencies = new Float64Array(MAX_SAMPLES);
    measuring = true;
    const bytesBefore = bytesRead();
    const cpu = process.cpuUsage();
    const started = Date.now();
    process.once('message', () => {
      measuring = false;
      const used = process.cpuUsage(cpu);
      const report: LoadReport = {
        deliveries,
        latencies: Array.from(latencies.subarray(0, samples)),
        disorder,
        cpuMicros: used.user + used.system,
        wallMs: Date.now() - started,
        closed,
        bytes: bytesRead() - bytesBefore,
      };
      process.send?.({ type: 'report', report });
    });
  } else if (message.type === 'close') {
    for (const socket of sockets) socket.terminate();
    for (const stream of streams) stream.destroy();
    sockets = [];
    streams = [];
    process.exit(0);
  }
});
