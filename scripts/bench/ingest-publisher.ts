/**
 * The ingest cell's publisher (ingest.ts). Ticks go round-robin over SYMBOLS, each carrying its
 * publish time as `timestamp` and a per-symbol sequence number as its price (the load generator
 * checks order and measures latency from them). PATH:
 *
 * - `stream`: `XADD <prefix>:ingest * type price data <json>` (on a cluster `<prefix>:{ingest}`),
 *   pipelined on a raw connection (resp-pipe.ts), to REDIS_URL (any form the servers take, through their own client). RATE > 0: that many ticks a second, sent every 10 ms;
 *   RATE = 0: as fast as the instance drains, keeping about BACKLOG entries not yet published (not
 *   yet read, or read and not yet acknowledged, by the servers' consumer group).
 * - `mutations`: `publishPrice` (BATCH = 1) or `publishPrices` with BATCH inputs, over HTTP to URL,
 *   from CONCURRENCY workers each one request at a time on its own kept-alive connection; RATE > 0
 *   paces them to that many ticks a second in all, RATE = 0 is as fast as the server answers.
 *
 * Runs for SECONDS, then reports over IPC how many ticks were sent (and, for mutations, accepted
 * and refused, by status or GraphQL error code).
 */
import { Agent, request } from 'node:http';
import { Cluster } from 'ioredis';
import { createRedisClient, isClusterUrl, type RedisClient } from '../../src/bus/redis-connection.js';
import { loadConfig } from '../../src/config.js';
import { ingestStream } from '../../src/publish/redis-ingest.js';
import { ingestBacklog } from './redis-under-test.js';
import { RespPipe } from './resp-pipe.js';

const path = process.env.PATH_KIND ?? 'stream';
const rate = Number(process.env.RATE ?? 0);
const seconds = Number(process.env.SECONDS ?? 10);
const symbols = (process.env.SYMBOLS ?? 'BENCH').split(',');
const prefix = process.env.PREFIX ?? 'titan';
const backlog = Number(process.env.BACKLOG ?? 20_000);
const batch = Number(process.env.BATCH ?? 1);
const concurrency = Number(process.env.CONCURRENCY ?? 64);
const token = process.env.TOKEN ?? '';
/** Where the per-symbol sequence starts (after a warm-up's, so that the subscribers see it go on increasing). */
const sequenceBase = Number(process.env.SEQ_BASE ?? 0);

export interface IngestPublished {
  type: 'published';
  sent: number;
  accepted: number;
  refusals: Record<string, number>;
  wallMs: number;
}

const sequence = new Map<string, number>();
let next = 0;
function tick(): { symbol: string; price: number; timestamp: string } {
  const symbol = symbols[next % symbols.length] as string;
  next += 1;
  const price = (sequence.get(symbol) ?? sequenceBase) + 1;
  sequence.set(symbol, price);
  return { symbol, price, timestamp: new Date().toISOString() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const started = Date.now();
const deadline = started + seconds * 1000;
let sent = 0;
let accepted = 0;
const refusals: Record<string, number> = {};

/** How many ticks are due by now at RATE (all of them at once when RATE = 0). */
const due = () => (rate > 0 ? Math.floor(((Date.now() - started) / 1000) * rate) : Infinity);

async function viaStream(): Promise<void> {
  const { timeouts } = loadConfig({}).bus;
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = createRedisClient(url, {}, timeouts);
  const stream = ingestStream(prefix, isClusterUrl(url));
  const pipe = await pipeTo(redis, stream);
  while (Date.now() < deadline) {
    const want = rate > 0 ? due() - sent : backlog - (await ingestBacklog(redis, stream));
    const count = Math.min(Math.max(0, want), 20_000);
    if (count > 0) {
      const commands = Array.from({ length: count }, () => ['XADD', stream, '*', 'type', 'price', 'data', JSON.stringify(tick())]);
      const errors = await pipe.send(commands);
      if (errors > 0) refusals.xadd_error = (refusals.xadd_error ?? 0) + errors;
      sent += count - errors;
    }
    await sleep(10);
  }
  accepted = sent;
  pipe.close();
  redis.disconnect();
}

/** A raw pipe to the Redis node that holds the stream (the master of its slot on a cluster). */
async function pipeTo(redis: RedisClient, stream: string): Promise<RespPipe> {
  if (!(redis instanceof Cluster)) return RespPipe.open(redis.options.host ?? '127.0.0.1', redis.options.port ?? 6379);
  const slot = Number(await redis.cluster('KEYSLOT', stream));
  const ranges = await redis.cluster('SLOTS');
  const master = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2];
  if (!master) throw new Error(`no master serves slot ${slot} of ${stream}`);
  return RespPipe.open(master[0], master[1]);
}

async function viaMutations(): Promise<void> {
  const url = new URL(process.env.URL ?? 'http://127.0.0.1:4000/graphql');
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const query =
    batch > 1
      ? 'mutation ($inputs: [PriceInput!]!) { publishPrices(inputs: $inputs) { published failed } }'
      : 'mutation ($input: PriceInput!) { publishPrice(input: $input) { cursor } }';
  const post = (body: string) =>
    new Promise<{ status: number | string; text: string }>((resolve) => {
      const req = request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? 'error', text: '' }));
      req.end(body);
    });
  const refuse = (reason: string, count: number) => (refusals[reason] = (refusals[reason] ?? 0) + count);
  const worker = async () => {
    while (Date.now() < deadline) {
      if (sent + batch > due()) {
        await sleep(2);
        continue;
      }
      sent += batch;
      const inputs = Array.from({ length: batch }, tick);
      const body = JSON.stringify({ query, variables: batch > 1 ? { inputs } : { input: inputs[0] } });
      const { status, text } = await post(body);
      const code = /"code":"([A-Z_]+)"/.exec(text)?.[1];
      if (status !== 200 || code) {
        refuse(code ?? String(status), batch);
        if (code === 'RATE_LIMITED') await sleep(Number(/"retryAfterMs":(\d+)/.exec(text)?.[1] ?? 10));
        continue;
      }
      const published = batch > 1 ? Number(/"published":(\d+)/.exec(text)?.[1] ?? 0) : 1;
      accepted += published;
      if (published < batch) refuse('item_failed', batch - published);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
}

await (path === 'stream' ? viaStream() : viaMutations());
process.send?.({ type: 'published', sent, accepted, refusals, wallMs: Date.now() - started } satisfies IngestPublished);
process.exit(0);
