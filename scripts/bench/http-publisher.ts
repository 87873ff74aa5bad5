/**
 * The storm's publisher: TICKS `publishPrice` mutations over HTTP, as fast as the servers accept them,
 * from CONCURRENCY workers (each one request at a time on its own kept-alive connection), the workers
 * spread round-robin over URLS (the servers' `/graphql`). Ticks go round-robin over SYMBOLS, each
 * carrying its publish time and a per-symbol sequence number as its price. Reports over IPC how many
 * were accepted and refused, per server, and how long the storm took.
 */
import { Agent, request } from 'node:http';

const urls = (process.env.URLS ?? '').split(',').filter(Boolean);
const token = process.env.TOKEN ?? '';
const total = Number(process.env.TICKS);
const concurrency = Number(process.env.CONCURRENCY);
const symbols = (process.env.SYMBOLS ?? 'BENCH').split(',');
const MUTATION = 'mutation ($input: PriceInput!) { publishPrice(input: $input) { cursor } }';

export interface StormPublished {
  type: 'published';
  sent: number;
  failed: number;
  /** Accepted mutations per server URL. */
  perServer: Record<string, number>;
  /** Status codes of refused ones (or the error's code). */
  refusals: Record<string, number>;
  wallMs: number;
}

const agents = urls.map(() => new Agent({ keepAlive: true, maxSockets: Math.ceil(concurrency / urls.length) }));
const sequence = new Map<string, number>();
const perServer: Record<string, number> = Object.fromEntries(urls.map((url) => [url, 0]));
const refusals: Record<string, number> = {};
let next = 0;
let sent = 0;
let failed = 0;

function post(server: number, body: string): Promise<number | string> {
  const url = new URL(urls[server] as string);
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: agents[server],
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    req.end(body);
  });
}

async function worker(server: number): Promise<void> {
  while (next < total) {
    const symbol = symbols[next % symbols.length] as string;
    next += 1;
    const price = (sequence.get(symbol) ?? 0) + 1;
    sequence.set(symbol, price);
    const body = JSON.stringify({ query: MUTATION, variables: { input: { symbol, price, timestamp: new Date().toISOString() } } });
    const status = await post(server, body);
    if (status === 200) {
      sent += 1;
      perServer[urls[server] as string] = (perServer[urls[server] as string] ?? 0) + 1;
    } else {
      failed += 1;
      refusals[String(status)] = (refusals[String(status)] ?? 0) + 1;
    }
  }
}

const started = Date.now();
await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i % urls.length)));
process.send?.({ type: 'published', sent, failed, perServer, refusals, wallMs: Date.now() - started } satisfies StormPublished);
for (const agent of agents) agent.destroy();
process.exit(0);
