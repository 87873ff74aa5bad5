/**
 * WebSocket clients for the storm cells of `npm run bench`: each connects (graphql-transport-ws, JSON),
 * is acknowledged, subscribes to `price` once per symbol it is given, and then, unless told to read,
 * stops reading: its TCP socket is paused, so the kernel's receive buffer fills, then the server's
 * send buffer, and whatever the server writes after that waits in the server's memory. Driven over
 * IPC by storm.ts: `connect` → `connected`, `report` → `report`, `close`.
 */
import WebSocket from 'ws';

export interface StalledConnectCommand {
  type: 'connect';
  url: string;
  token: string;
  /** Per client, one `price` subscription per symbol listed (the same symbol may appear twice). */
  subscriptions: string[][];
  query: string;
  /** True: the clients read what they are sent (the storm's control); false: they never read. */
  read: boolean;
}

export interface StalledReport {
  /** Frames the clients received after subscribing (0 for clients that do not read). */
  frames: number;
  /** Connections the server closed. */
  closed: number;
}

let sockets: WebSocket[] = [];
let frames = 0;
let closed = 0;

function open(url: string, token: string, symbols: string[], query: string, read: boolean): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    let acknowledged = false;
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', () => {
      if (acknowledged) {
        frames += 1;
        return;
      }
      acknowledged = true;
      symbols.forEach((symbol, i) => socket.send(JSON.stringify({ id: String(i + 1), type: 'subscribe', payload: { query, variables: { symbols: [symbol] } } })));
      // Stop reading once the subscribes are written: from now on nothing is taken from the kernel.
      if (!read) socket.pause();
      resolve(socket);
    });
    socket.on('close', () => (closed += 1));
    socket.on('error', reject);
  });
}

process.on('message', async (message: { type: string } & Partial<StalledConnectCommand>) => {
  if (message.type === 'connect') {
    const { url, token, subscriptions, query, read } = message as StalledConnectCommand;
    try {
      sockets = await Promise.all(subscriptions.map((symbols) => open(url, token, symbols, query, read)));
      // Give the server a moment to start every subscription.
      setTimeout(() => process.send?.({ type: 'connected' }), 1000);
    } catch (error) {
      process.send?.({ type: 'error', message: String(error) });
    }
  } else if (message.type === 'report') {
    process.send?.({ type: 'report', report: { frames, closed } satisfies StalledReport });
  } else if (message.type === 'close') {
    for (const socket of sockets) socket.terminate();
    sockets = [];
    process.exit(0);
  }
});
