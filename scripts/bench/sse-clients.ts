/**
 * Server-Sent Events clients for the load generator, subscribing the way the web client does
 * (packages/client/src/live/sse-transport.ts): one `POST /graphql` per subscription with
 * `Accept: text/event-stream` and the token in `Authorization`, answered by a `text/event-stream`
 * of `event: next` / `data: {"data":{"price":…}}` events, `:` keep-alive comments and, at the end,
 * `event: complete`. Each stream holds a TCP connection of its own (HTTP/1.1) for as long as it lasts.
 * The events are only split, not parsed: what to read in them is the caller's business.
 */
import { Agent, request, type ClientRequest } from 'node:http';
import type { Socket } from 'node:net';

export interface EventStreamOptions {
  /** The GraphQL endpoint, `http://host:port/graphql`. */
  url: string;
  token: string;
  /** Per stream, the symbols it subscribes to. */
  subscriptions: string[][];
  query: string;
  /** Called once per stream: the function that receives each of its events' text (blank line left out). */
  listener(): (event: string) => void;
  /** The TCP connection of each stream, once answered. */
  onConnection(socket: Socket): void;
  /** A stream ended or cut after it was answered. */
  onClose(): void;
}

/** A window of requests in flight, so the server's accept queue is not flooded (as for WebSockets). */
const WINDOW = 200;

/**
 * Opens every stream; resolves once each has been answered with an event stream (Yoga answers
 * after subscribing, so the subscription exists), with the requests (to destroy them at the end).
 * Rejects on the first request refused or failed.
 */
export function openEventStreams(options: EventStreamOptions): Promise<ClientRequest[]> {
  const { url, token, subscriptions, query, listener, onConnection, onClose } = options;
  // As many sockets as streams, none kept for reuse: a stream holds its connection until it ends.
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const requests: ClientRequest[] = [];
  let answered = 0;
  let next = 0;
  return new Promise((resolve, reject) => {
    const openNext = () => {
      const symbols = subscriptions[next];
      next += 1;
      if (!symbols) return;
      const body = JSON.stringify({ query, variables: { symbols } });
      const onEvent = listener();
      const outgoing = request(url, {
        method: 'POST',
        agent,
        headers: {
          accept: 'text/event-stream',
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      });
      requests.push(outgoing);
      outgoing.on('error', reject);
      outgoing.on('response', (response) => {
        response.on('error', reject);
        if (response.statusCode !== 200 || !response.headers['content-type']?.includes('text/event-stream')) {
          response.setEncoding('utf8');
          let refusal = '';
          response.on('data', (chunk: string) => (refusal += chunk));
          response.on('end', () => reject(new Error(`SSE subscribe: HTTP ${response.statusCode} ${refusal.slice(0, 300)}`)));
          return;
        }
        onConnection(response.socket);
        response.once('close', onClose);
        response.setEncoding('utf8');
        // Yoga writes `event: next\n` and `data: …\n\n` apart: an event may come in more than one chunk.
        let pending = '';
        response.on('data', (chunk: string) => {
          pending += chunk;
          for (let end = pending.indexOf('\n\n'); end >= 0; end = pending.indexOf('\n\n')) {
            onEvent(pending.slice(0, end));
            pending = pending.slice(end + 2);
          }
        });
        answered += 1;
        if (answered === subscriptions.length) resolve(requests);
        openNext();
      });
      outgoing.end(body);
    };
    for (let i = 0; i < WINDOW; i += 1) openNext();
  });
}
