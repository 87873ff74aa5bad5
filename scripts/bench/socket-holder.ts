/**
 * The connections cell's socket holder (connections.ts): opens many subscribed WebSockets and keeps
 * them as cheaply as it can. Each socket speaks graphql-transport-ws in JSON from one of the given
 * loopback source addresses (127.0.0.2 and up, round-robin: one address has ~28,000 ephemeral
 * ports), with its user's token, and holds one `price` subscription. Deliveries are counted; only
 * every `sampleEvery`-th socket reads the publish time in its frames for the latency (publish →
 * receipt), so the samples are spread over the order in which the server writes to its sockets.
 *
 * A socket that the server refuses (TCP error, handshake timeout, closed before `connection_ack`) is
 * counted by reason, never retried: the cell reports where the server stopped taking them. Driven
 * over IPC: `hold` → `held`, `measure`, `stop` → `report`, `close`.
 */
import WebSocket from 'ws';

export interface HoldCommand {
  type: 'hold';
  /** `ws://…/graphql`. */
  url: string;
  /** One token per user; socket i uses `tokens[i % tokens.length]`. */
  tokens: string[];
  count: number;
  localAddresses: string[];
  query: string;
  symbols: string[];
  sampleEvery: number;
}

export interface Held {
  type: 'held';
  opened: number;
  /** Sockets that did not get to `connection_ack`, by reason (error code, close code, timeout). */
  failed: Record<string, number>;
  /** Sockets the server closed after they were opened, before measuring. */
  closed: number;
  /** From the command to the last socket's `connection_ack` or failure. */
  ms: number;
}

export interface HolderReport {
  deliveries: number;
  /** Latencies in ms, publish → receipt, on the sampled sockets. */
  latencies: number[];
  /** Sockets closed while measuring. */
  closed: number;
}

/** Handshakes in flight at once: the server's accept queue is not flooded. */
const WINDOW = 200;
/** How long a socket may take to get its `connection_ack`. */
const ACK_TIMEOUT_MS = 30_000;

const sockets: WebSocket[] = [];
const failed: Record<string, number> = {};
let measuring = false;
let deliveries = 0;
let latencies: number[] = [];
let closedBefore = 0;
let closedWhileMeasuring = 0;

/** Opens one socket; resolves once it is subscribed (true) or has failed (false). */
function open(command: HoldCommand, index: number): Promise<boolean> {
  const { url, tokens, localAddresses, query, symbols, sampleEvery } = command;
  const sampled = index % sampleEvery === 0;
  return new Promise((resolve) => {
    const socket = new WebSocket(url, 'graphql-transport-ws', {
      perMessageDeflate: false,
      localAddress: localAddresses[index % localAddresses.length],
      handshakeTimeout: ACK_TIMEOUT_MS,
    });
    let settled = false;
    const settle = (reason?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (reason !== undefined) {
        failed[reason] = (failed[reason] ?? 0) + 1;
        socket.terminate();
      } else {
        sockets.push(socket);
      }
      resolve(reason === undefined);
    };
    const timer = setTimeout(() => settle('no connection_ack'), ACK_TIMEOUT_MS);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${tokens[index % tokens.length]}` } })));
    socket.on('message', (data) => {
      if (!settled) {
        // The first message is the `connection_ack`: subscribe, and the socket is held.
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables: { symbols } } }));
        settle();
        return;
      }
      if (!measuring) return;
      deliveries += 1;
      if (!sampled) return;
      // {"id":"1","type":"next","payload":{"data":{"price":{…,"timestamp":"2026-…Z"}}}}
      const text = data.toString();
      const t = text.indexOf('"timestamp":"');
      if (t >= 0) latencies.push(Date.now() - Date.parse(text.slice(t + 13, t + 37)));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => settle(error.code ?? error.message));
    socket.on('close', (code) => {
      if (!settled) settle(`closed ${code}`);
      else if (measuring) closedWhileMeasuring += 1;
      else closedBefore += 1;
    });
  });
}

async function hold(command: HoldCommand): Promise<number> {
  let next = 0;
  let opened = 0;
  const worker = async () => {
    while (next < command.count) {
      const index = next;
      next += 1;
      if (await open(command, index)) opened += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(WINDOW, command.count) }, worker));
  return opened;
}

process.on('message', (message: { type: string } & Partial<HoldCommand>) => {
  if (message.type === 'hold') {
    const started = Date.now();
    hold(message as HoldCommand).then(
      (opened) => process.send?.({ type: 'held', opened, failed, closed: closedBefore, ms: Date.now() - started } satisfies Held),
      (error: unknown) => process.send?.({ type: 'error', message: String(error) }),
    );
  } else if (message.type === 'measure') {
    deliveries = 0;
    latencies = [];
    closedWhileMeasuring = 0;
    measuring = true;
  } else if (message.type === 'stop') {
    measuring = false;
    process.send?.({ type: 'report', report: { deliveries, latencies, closed: closedWhileMeasuring } satisfies HolderReport });
  } else if (message.type === 'close') {
    for (const socket of sockets) socket.terminate();
    process.exit(0);
  }
});
