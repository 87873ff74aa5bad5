/**
 * The ingest cell of `npm run bench`: how many ticks one instance takes in and delivers, by each way
 * in, and what each costs.
 *
 * One compiled TITAN instance (pinned to CPU 0) on one redis-server, or (`--redis=cluster`) on a local
 * Redis Cluster of 3 masters and 3 replicas (redis-under-test.ts). SOCKETS WebSocket clients (JSON)
 * subscribe to `price` and cover SYMBOLS symbols between them (each symbol on one socket), so each
 * accepted tick is delivered once. The publisher (ingest-publisher.ts, CPU 1) sends ticks for
 * SECONDS: through the Redis ingest stream (`--path=stream`), or through HTTP mutations
 * (`--path=mutations`: `publishPrice`, or `publishPrices` with `--batch` inputs), at `--rate` ticks/s
 * or as fast as the instance takes them (`--rate=0`). Reported: ticks offered, accepted (the prices the
 * instance published while publishing) and delivered per second, the backlog left in the ingest stream
 * when publishing stopped, latency publish → subscriber receipt (p50/p99/max, meaningful at a rate
 * the instance sustains), instance and Redis CPU per 1,000 ticks (/proc/<pid>/stat, while publishing
 * and the 2 s after; Redis: summed over the masters, each master's share and the replicas' apart),
 * the instance's peak RSS and order violations seen by the subscribers. Accepted ticks are counted
 * by the instance (`titan_events_published_total{topic="price"}` on its `/metrics`), so the count
 * does not depend on where the topic's keys live.
 */
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { TokenService } from '../../src/auth/tokens.js';
import { createRedisClient, isClusterUrl } from '../../src/bus/redis-connection.js';
import { loadConfig } from '../../src/config.js';
import { ingestStream } from '../../src/publish/redis-ingest.js';
import type { IngestPublished } from './ingest-publisher.js';
import type { ConnectCommand, LoadReport } from './load-generator.js';
import { BENCH_SECRET, benchServerEnv, message, metric, node, pidOf, productionNodeFlags, SERVER_ENTRY, stop, waitForLine } from './processes.js';
import { cpuMicros, memory, resetPeak } from './proc-stats.js';
import { ingestBacklog, startRedisUnderTest, type RedisKind } from './redis-under-test.js';

export interface IngestCell {
  name: string;
  path: 'stream' | 'mutations';
  /** Ticks a second offered; 0: as fast as the instance takes them. */
  rate: number;
  seconds: number;
  symbols: number;
  sockets: number;
  /** Mutations: inputs per request (1: `publishPrice`, more: `publishPrices`). */
  batch: number;
  /** Mutations: concurrent HTTP publishers. */
  concurrency: number;
  /** The server's entry (another build, to compare): @default dist/main.js */
  server?: string | undefined;
  /** One redis-server, or a local 3-master/3-replica Redis Cluster. @default single */
  redis: RedisKind;
}

export const INGEST_CELLS: Record<string, Omit<IngestCell, 'seconds' | 'server' | 'redis'>> = {
  // As fast as the instance drains the stream (the publisher keeps 20,000 entries waiting).
  ingest: { name: 'ingest', path: 'stream', rate: 0, symbols: 500, sockets: 10, batch: 1, concurrency: 64 },
  // Batched mutations, 64 concurrent publishers of 100 ticks per request.
  'ingest-mutations': { name: 'ingest-mutations', path: 'mutations', rate: 0, symbols: 500, sockets: 10, batch: 100, concurrency: 64 },
};

export interface IngestResult {
  cell: string;
  redis: RedisKind;
  path: string;
  batch: number;
  offeredPerSecond: number;
  sent: number;
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  /** Accepted in all (once drained) minus delivered: ticks subscribers did not receive. */
  lost: number;
  /** Of those, ticks the instance dropped for a subscriber because a newer one of the symbol superseded them (`titan_events_conflated_total`). */
  conflated: number;
  disorder: number;
  /** Stream entries not yet read or not yet acknowledged when publishing stopped. */
  backlogAtEnd: number;
  latencyMs: { p50: number; p99: number; max: number };
  instanceCpuMsPer1000: number;
  redisCpuMsPer1000: number;
  instanceCpuShare: number;
  /** The masters' CPU together, in cores; then each master's (how evenly the load spread). */
  redisCpuShare: number;
  redisCpuSharePerMaster: number[];
  /** Each master's CPU per 1,000 ticks: the busiest one's is the cluster's ceiling for this load. */
  redisCpuMsPer1000PerMaster: number[];
  /** Cluster: the replicas' CPU (replication), per 1,000 ticks and in cores. */
  replicaCpuMsPer1000: number;
  replicaCpuShare: number;
  /** Cluster: masters that were no longer masters at the end (a failover during the run makes its figures moot). */
  mastersLost: number;
  peakRssMB: number;
  refusals: Record<string, number>;
  /** Where Redis spent its time (INFO commandstats, scripts' inner calls included): µs per 1,000 ticks, largest first. */
  redisCommandsMicrosPer1000: Record<string, number>;
  /**
   * Of the ticks the instance handed to its transport, the share (%) more than 50 ms after their
   * publish timestamp (`titan_delivery_lag_seconds`): the part of the end-to-end tail that is the
   * instance's, not the subscribers' (the load generator shares a core with Redis and the publisher).
   */
  instanceHandOverOver50msPercent: number;
}

const QUERY = 'subscription ($symbols: [String!]!) { price(symbols: $symbols) { symbol price timestamp } }';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** `INFO commandstats` of every master, summed, as µs per 1,000 accepted ticks per command (the top 16; `cmdstat_evalsha` includes its inner calls). */
function commandMicros(infos: string[], accepted: number): Record<string, number> {
  const usecs = new Map<string, number>();
  for (const info of infos) {
    for (const [, name = '', usec] of info.matchAll(/^cmdstat_([^:]+):calls=\d+,usec=(\d+)/gm)) usecs.set(name, (usecs.get(name) ?? 0) + Number(usec));
  }
  const rows = [...usecs];
  rows.sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(rows.slice(0, 16).map(([name, usec]) => [name, accepted > 0 ? Math.round((usec / accepted) * 1000) : 0]));
}

export async function runIngest(cell: IngestCell, titanFlags: string): Promise<IngestResult> {
  const redisUnderTest = await startRedisUnderTest(cell.redis);
  const redisUrl = redisUnderTest.url;
  // Keys through the servers' own client (it follows the cluster's slots), node statistics per node.
  const redis = createRedisClient(redisUrl, { maxRetriesPerRequest: 1 }, loadConfig({ JWT_SECRET: BENCH_SECRET }).bus.timeouts);
  const masters = redisUnderTest.masters.map((master) => ({ ...master, client: new Redis(master.url) }));
  const stream = ingestStream('titan', isClusterUrl(redisUrl));
  const backlog = () => ingestBacklog(redis, stream);
  const env = {
    ...benchServerEnv(redisUrl),
    PUBLISHES_PER_SECOND: '1000000',
    MAX_SYMBOLS_PER_SUBSCRIPTION: String(Math.max(50, Math.ceil(cell.symbols / cell.sockets))),
    NODE_FLAGS: titanFlags,
  };
  const server = node(cell.server ?? SERVER_ENTRY, env, 0, { flags: productionNodeFlags() });
  let loadGenerator: ChildProcess | undefined;
  let publisher: ChildProcess | undefined;
  try {
    const httpUrl = (JSON.parse(await waitForLine(server, 'TITAN Realtime listening')) as { url: string }).url;
    const serverPid = pidOf(server);
    const symbols = Array.from({ length: cell.symbols }, (_, i) => `S${String(i).padStart(3, '0')}`);
    const subscriptions = Array.from({ length: cell.sockets }, (_, socket) => symbols.filter((_, i) => i % cell.sockets === socket));
    const tokens = new TokenService(loadConfig({ JWT_SECRET: BENCH_SECRET }).auth);
    loadGenerator = node('scripts/bench/load-generator.ts', {}, 1, { ipc: true });
    const connected = message(loadGenerator, 'connected');
    loadGenerator.send({
      type: 'connect',
      url: httpUrl.replace(/^http/, 'ws'),
      token: await tokens.issue('bench', ['trader'], '2h'),
      subscriptions,
      query: QUERY,
      transport: 'ws',
      encoding: 'json',
      perMessageDeflate: false,
    } satisfies ConnectCommand);
    await connected;
    await sleep(1000);

    // Warm-up: 3 s of the same load, not measured (the first second runs cold code and grows the heap).
    const publisherEnv = {
      PATH_KIND: cell.path,
      RATE: String(cell.rate),
      SYMBOLS: symbols.join(','),
      REDIS_URL: redisUrl,
      URL: httpUrl,
      TOKEN: await tokens.issue('bench-publisher', ['publisher'], '2h'),
      BATCH: String(cell.batch),
      CONCURRENCY: String(cell.concurrency),
    };
    const warmUp = node('scripts/bench/ingest-publisher.ts', { ...publisherEnv, SECONDS: '3' }, 1, { ipc: true });
    await message<IngestPublished>(warmUp, 'published');
    await stop(warmUp);
    while (cell.path === 'stream' && (await backlog()) > 0) await sleep(100);
    await sleep(500);

    resetPeak(serverPid);
    await Promise.all(masters.map(({ client }) => client.config('RESETSTAT')));
    const baseUrl = httpUrl.replace(/\/graphql$/, '');
    const acceptedSoFar = () => metric(baseUrl, 'titan_events_published_total{topic="price"}');
    const conflatedSoFar = () => metric(baseUrl, 'titan_events_conflated_total');
    const handOvers = () =>
      Promise.all([metric(baseUrl, 'titan_delivery_lag_seconds_count{topic="price"}'), metric(baseUrl, 'titan_delivery_lag_seconds_bucket{le="0.05",topic="price"}')]);
    const [acceptedBefore, conflatedBefore, [handedBefore, within50Before]] = await Promise.all([acceptedSoFar(), conflatedSoFar(), handOvers()]);
    const redisCpu = () => masters.map(({ pid }) => cpuMicros(pid));
    const replicaCpu = () => redisUnderTest.replicas.reduce((sum, { pid }) => sum + cpuMicros(pid), 0);
    const cpuBefore = { instance: cpuMicros(serverPid), masters: redisCpu(), replicas: replicaCpu() };
    const wallBefore = Date.now();
    loadGenerator.send({ type: 'measure' });
    publisher = node('scripts/bench/ingest-publisher.ts', { ...publisherEnv, SECONDS: String(cell.seconds), SEQ_BASE: '100000000' }, 1, { ipc: true });
    const published = await message<IngestPublished>(publisher, 'published');
    const acceptedWhilePublishing = (await acceptedSoFar()) - acceptedBefore;
    const backlogAtEnd = cell.path === 'stream' ? await backlog() : 0;
    // Let what is in flight (and, for the stream, a backlog of up to ~20 s) arrive before the count stops.
    const publishedAt = Date.now();
    const drainUntil = publishedAt + 20_000;
    while (cell.path === 'stream' && Date.now() < drainUntil && (await backlog()) > 0) await sleep(100);
    // Delivered per second: over the publisher's time plus the backlog's drain, if any.
    const deliveringMs = published.wallMs + (Date.now() - publishedAt);
    await sleep(2000);
    await sleep(cell.path === 'stream' ? 500 : 0);
    const reporting = message<{ report: LoadReport }>(loadGenerator, 'report');
    loadGenerator.send({ type: 'stop' });
    const { report } = await reporting;
    const wall = Date.now() - wallBefore;
    const instanceCpu = cpuMicros(serverPid) - cpuBefore.instance;
    const perMasterCpu = redisCpu().map((micros, index) => micros - (cpuBefore.masters[index] ?? 0));
    const mastersCpu = perMasterCpu.reduce((sum, micros) => sum + micros, 0);
    const replicasCpu = replicaCpu() - cpuBefore.replicas;
    const acceptedAll = (await acceptedSoFar()) - acceptedBefore;
    const conflated = (await conflatedSoFar()) - conflatedBefore;
    const [handedAfter, within50After] = await handOvers();
    const handed = handedAfter - handedBefore;
    const commandStats = await Promise.all(masters.map(({ client }) => client.info('commandstats')));
    const roles = await Promise.all(masters.map(({ client }) => client.role().then(([role]) => role, () => 'gone')));
    const sorted = Float64Array.from(report.latencies).sort();
    const per1000 = (micros: number) => (acceptedAll > 0 ? Number((micros / 1000 / (acceptedAll / 1000)).toFixed(1)) : 0);
    const cores = (micros: number) => Number((micros / (wall * 1000)).toFixed(2));
    return {
      cell: cell.name,
      redis: cell.redis,
      path: cell.path === 'mutations' ? (cell.batch > 1 ? `publishPrices×${cell.batch}` : 'publishPrice') : 'stream',
      batch: cell.batch,
      offeredPerSecond: cell.rate,
      sent: published.sent,
      acceptedPerSecond: Math.round(acceptedWhilePublishing / (published.wallMs / 1000)),
      deliveredPerSecond: Math.round(report.deliveries / (deliveringMs / 1000)),
      lost: Math.max(0, acceptedAll - report.deliveries),
      conflated,
      disorder: report.disorder,
      backlogAtEnd,
      latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 },
      instanceCpuMsPer1000: per1000(instanceCpu),
      redisCpuMsPer1000: per1000(mastersCpu),
      instanceCpuShare: cores(instanceCpu),
      redisCpuShare: cores(mastersCpu),
      redisCpuSharePerMaster: perMasterCpu.map(cores),
      redisCpuMsPer1000PerMaster: perMasterCpu.map(per1000),
      replicaCpuMsPer1000: per1000(replicasCpu),
      replicaCpuShare: cores(replicasCpu),
      mastersLost: roles.filter((role) => role !== 'master').length,
      peakRssMB: Math.round(memory(serverPid).peak / 2 ** 20),
      refusals: published.refusals,
      redisCommandsMicrosPer1000: commandMicros(commandStats, acceptedAll),
      instanceHandOverOver50msPercent: handed > 0 ? Number((((handed - (within50After - within50Before)) / handed) * 100).toFixed(2)) : 0,
    };
  } finally {
    loadGenerator?.send({ type: 'close' });
    await Promise.all([stop(loadGenerator), stop(publisher)]);
    // SIGTERM first: a server run with TITAN_FLAGS=--cpu-prof writes its profile on a clean exit.
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
    }
    await stop(server);
    redis.disconnect();
    for (const { client } of masters) client.disconnect();
    await redisUnderTest.stop();
  }
}
