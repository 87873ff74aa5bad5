/**
 * `npm run bench`: fan-out figures of TITAN Realtime against a raw `ws` broadcast on this machine.
 *
 * For each cell (N clients × R events/s for T s) and each target: start redis-server, the target
 * server pinned to CPU 0 (taskset, when present), the load generator and the publisher pinned to
 * CPU 1; connect and subscribe N clients; publish; then report deliveries/s, lost, latency
 * p50/p99/max (publish → client), server CPU µs per delivery, bytes per delivery on the wire, RSS
 * per idle subscribed connection and peak, whether the load generator saturated, and the ratios of
 * every other target to raw.
 *
 * Targets:
 * - titan: TITAN Realtime (compiled: dist/main.js, built first), clients on JSON text frames.
 * - titan-msgpack: the same server, clients on graphql-transport-ws+msgpack (binary frames).
 * - titan-sse: the same server, clients on Server-Sent Events as the web client's SSE transport
 *   (sse-clients.ts): one `POST /graphql` with `Accept: text/event-stream` per client, each on a
 *   TCP connection of its own.
 * - raw: a bare `ws` broadcast of pre-serialized JSON frames (raw-ws-server.ts), the baseline.
 * - raw-deflate: that broadcast with permessage-deflate on every frame (server and clients), to
 *   see what compression costs in CPU and saves in bytes on this stack.
 *
 * Storm cells (storm.ts; TITAN only, two instances): `storm` (20 clients that never read, each with
 * 10 price subscriptions on 10 symbols, while 12,000 ticks are published over HTTP by 32 concurrent
 * publishers), `storm-same` (every subscription on one symbol), `storm-readers` (clients that read)
 * and `storm-idle` (no clients): the serving instance's peak RSS over idle, heap, off-heap memory
 * and socket buffers. --clients, --per-client, --symbols, --ticks and --publishers override a storm
 * cell's figures.
 *
 * Ingest cells (ingest.ts; one instance): `ingest` (ticks through the Redis ingest stream, as fast as
 * the instance drains it) and `ingest-mutations` (batched `publishPrices` mutations, 64 concurrent
 * publishers of 100 ticks): 500 symbols covered by 10 WebSocket subscribers; accepted and delivered
 * ticks/s, latency, instance and Redis CPU per 1,000 ticks, peak RSS. --path=stream|mutations,
 * --rate=R (ticks/s offered, 0: as fast as taken), --batch=B (1: single `publishPrice`),
 * --concurrency=P, --symbols=K, --clients=S (subscriber sockets) and --server=<entry> (another
 * build, e.g. of the previous commit, to compare) override a cell's figures; --redis=cluster runs them on
 * a local Redis Cluster of 3 masters and 3 replicas (redis-under-test.ts) instead of one redis-server.
 *
 * Connections cell (connections.ts; one instance): `connections` holds 1,000, 10,000 and 50,000
 * subscribed WebSockets (--steps=N,N,…), each step on a fresh instance: RSS per connection, time to
 * accept them all, CPU per delivery and p99 at one tick a second to all for --seconds.
 *
 * Flags: --cells=1000x10,1000x100,5000x10,10000x5,mix (default: these five),overload,storm,storm-same,
 *        storm-readers,storm-idle,ingest,ingest-mutations,connections | --clients=N --rate=R
 *        --seconds=T (default 10) --symbols=K (symbols in all) --per-client=M (symbols per client)
 *        --ticks=N --publishers=P (storm cells)
 *        --targets=titan,titan-msgpack,titan-sse,raw,raw-deflate (default titan,raw) --out=bench-results/bench.json
 *        --fields=symbol,price,timestamp (the payload's shape: any of PriceTick's symbol, price,
 *        timestamp, bid, ask, volume, cursor; the first three always)
 * TITAN servers run with the node flags of the Dockerfile's CMD (productionNodeFlags), as in production.
 * Env: TITAN_FLAGS='--max-semi-space-size=1' adds node/V8 flags after those (to try settings; the last of
 *      a flag given twice wins: TITAN_FLAGS='--heap-growing-percent=0' is V8's own heap growth).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TokenService } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config.js';
import type { ConnectCommand, LoadReport } from './load-generator.js';
import { CONNECTION_STEPS, describeConnections, runConnections, type ConnectionsResult } from './connections.js';
import { INGEST_CELLS, runIngest, type IngestCell, type IngestResult } from './ingest.js';
import { REDIS_KINDS, type RedisKind } from './redis-under-test.js';
import { runStorm, STORM_CELLS, type StormCell, type StormResult } from './storm.js';
import { BENCH_SECRET, benchServerEnv, buildServer, hasTaskset, message, node, pidOf, productionNodeFlags, ROOT, SERVER_ENTRY, startRedis, stop, waitForLine } from './processes.js';
import { cpuMicros, memory, resetPeak } from './proc-stats.js';

interface Cell {
  name: string;
  clients: number;
  rate: number;
  symbols: number;
  perClient: number;
}

/** How each target is run: which server, and how its clients speak. */
const TARGETS = {
  titan: { server: 'titan', transport: 'ws', encoding: 'json', perMessageDeflate: false },
  'titan-msgpack': { server: 'titan', transport: 'ws', encoding: 'msgpack', perMessageDeflate: false },
  'titan-sse': { server: 'titan', transport: 'sse', encoding: 'json', perMessageDeflate: false },
  raw: { server: 'raw', transport: 'ws', encoding: 'json', perMessageDeflate: false },
  'raw-deflate': { server: 'raw', transport: 'ws', encoding: 'json', perMessageDeflate: true },
} as const satisfies Record<string, { server: 'titan' | 'raw' } & Pick<ConnectCommand, 'transport' | 'encoding' | 'perMessageDeflate'>>;
type Target = keyof typeof TARGETS;

interface Result {
  cell: string;
  target: Target;
  clients: number;
  ratePerSecond: number;
  seconds: number;
  published: number;
  expected: number;
  deliveries: number;
  deliveriesPerSecond: number;
  lost: number;
  disorder: number;
  latencyMs: { p50: number; p99: number; max: number };
  serverCpuMicrosPerDelivery: number;
  serverCpuShare: number;
  /** Bytes the clients read from TCP while measuring (frames with headers, compressed if so) ÷ deliveries. */
  bytesPerDelivery: number;
  /** RSS growth per connection over the second half of the clients (the marginal cost of one more). */
  rssPerIdleConnectionKB: number;
  /** RSS growth per connection over all clients, one-time costs of the first ones included. */
  rssPerConnectionWithWarmUpKB: number;
  peakRssMB: number;
  loadGeneratorCpuShare: number;
  loadGeneratorSaturated: boolean;
  closedConnections: number;
}

/** PriceTick fields a delivery may carry; the load generator reads the first three. */
const FIELDS = ['symbol', 'price', 'timestamp', 'bid', 'ask', 'volume', 'cursor'] as const;

const { values: flags } = parseArgs({
  options: {
    cells: { type: 'string' },
    clients: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    symbols: { type: 'string' },
    'per-client': { type: 'string' },
    ticks: { type: 'string' },
    publishers: { type: 'string' },
    path: { type: 'string' },
    batch: { type: 'string' },
    concurrency: { type: 'string' },
    server: { type: 'string' },
    redis: { type: 'string', default: 'single' },
    steps: { type: 'string' },
    targets: { type: 'string', default: 'titan,raw' },
    fields: { type: 'string', default: 'symbol,price,timestamp' },
    out: { type: 'string', default: 'bench-results/bench.json' },
  },
});

const fields = [...new Set(['symbol', 'price', 'timestamp', ...(flags.fields ?? '').split(',').filter(Boolean)])];
const unknownField = fields.find((field) => !(FIELDS as readonly string[]).includes(field));
if (unknownField) throw new Error(`unknown field ${unknownField}; known: ${FIELDS.join(', ')}`);
const QUERY = `subscription ($symbols: [String!]!) { price(symbols: $symbols) { ${fields.join(' ')} } }`;

const NAMED: Record<string, Cell> = {
  '1000x10': { name: '1000x10', clients: 1000, rate: 10, symbols: 1, perClient: 1 },
  '1000x100': { name: '1000x100', clients: 1000, rate: 100, symbols: 1, perClient: 1 },
  '5000x10': { name: '5000x10', clients: 5000, rate: 10, symbols: 1, perClient: 1 },
  '10000x5': { name: '10000x5', clients: 10000, rate: 5, symbols: 1, perClient: 1 },
  // 1,000 clients each on 5 of 50 symbols, 500 ticks/s in all (10 per symbol).
  mix: { name: 'mix', clients: 1000, rate: 500, symbols: 50, perClient: 5 },
  // 2,000,000 deliveries/s offered: more than one core can send or the load generator read. Prices
  // conflate; does memory stay bounded (peak RSS the same for 10 s and 40 s)?
  overload: { name: 'overload', clients: 1000, rate: 2000, symbols: 1, perClient: 1 },
};
const DEFAULT_CELLS = ['1000x10', '1000x100', '5000x10', '10000x5', 'mix'];

function cellsFromFlags(): { cells: Cell[]; storms: StormCell[]; ingests: IngestCell[]; connectionSteps: number[] } {
  const ingestOnly = (flags.cells ?? '').split(',').some((name) => name in INGEST_CELLS);
  if (flags.clients && flags.rate && !ingestOnly) {
    const cell = { clients: Number(flags.clients), rate: Number(flags.rate), symbols: Number(flags.symbols ?? 1), perClient: Number(flags['per-client'] ?? 1) };
    return { cells: [{ name: `${cell.clients}x${cell.rate}`, ...cell }], storms: [], ingests: [], connectionSteps: [] };
  }
  const names = flags.cells ? flags.cells.split(',') : DEFAULT_CELLS;
  const cells: Cell[] = [];
  const storms: StormCell[] = [];
  const ingests: IngestCell[] = [];
  let connectionSteps: number[] = [];
  const redis = flags.redis as RedisKind;
  if (!REDIS_KINDS.includes(redis)) throw new Error(`unknown --redis ${flags.redis}; known: ${REDIS_KINDS.join(', ')}`);
  for (const name of names) {
    if (name === 'connections') {
      connectionSteps = flags.steps ? flags.steps.split(',').map(Number) : CONNECTION_STEPS;
      continue;
    }
    const ingest = INGEST_CELLS[name];
    if (ingest) {
      const figure = (flag: string | undefined, value: number) => (flag === undefined ? value : Number(flag));
      const path = flags.path ?? ingest.path;
      if (path !== 'stream' && path !== 'mutations') throw new Error(`unknown --path ${path}; known: stream, mutations`);
      ingests.push({
        ...ingest,
        path,
        rate: figure(flags.rate, ingest.rate),
        seconds: Number(flags.seconds),
        symbols: figure(flags.symbols, ingest.symbols),
        sockets: figure(flags.clients, ingest.sockets),
        batch: figure(flags.batch, path === ingest.path ? ingest.batch : 1),
        concurrency: figure(flags.concurrency, ingest.concurrency),
        server: flags.server,
        redis,
      });
      continue;
    }
    const storm = STORM_CELLS[name];
    if (storm) {
      const figure = (flag: string | undefined, value: number) => (flag === undefined ? value : Number(flag));
      storms.push({
        ...storm,
        clients: figure(flags.clients, storm.clients),
        perClient: figure(flags['per-client'], storm.perClient),
        symbols: figure(flags.symbols, storm.symbols),
        ticks: figure(flags.ticks, storm.ticks),
        publishers: figure(flags.publishers, storm.publishers),
      });
      continue;
    }
    const cell = NAMED[name];
    if (!cell) throw new Error(`unknown cell ${name}; known: ${[...Object.keys(NAMED), ...Object.keys(STORM_CELLS), ...Object.keys(INGEST_CELLS), 'connections'].join(', ')}`);
    cells.push(cell);
  }
  return { cells, storms, ingests, connectionSteps };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function runCell(cell: Cell, target: Target, seconds: number): Promise<Result> {
  const { server: serverKind, transport, encoding, perMessageDeflate } = TARGETS[target];
  const { url: redisUrl, child: redis } = await startRedis();
  const serverEnv = benchServerEnv(redisUrl);
  const server =
    serverKind === 'titan'
      ? node(SERVER_ENTRY, { ...serverEnv, NODE_FLAGS: process.env.TITAN_FLAGS ?? '' }, 0, { flags: productionNodeFlags() })
      : node('scripts/bench/raw-ws-server.ts', { ...serverEnv, RAW_DEFLATE: perMessageDeflate ? '1' : '0', FIELDS: fields.join(',') }, 0);
  let loadGenerator: ChildProcess | undefined;
  let publisher: ChildProcess | undefined;
  try {
    const line = await waitForLine(server, serverKind === 'titan' ? 'TITAN Realtime listening' : 'raw ws listening');
    const httpUrl = (JSON.parse(line) as { url: string }).url;
    const url = transport === 'sse' ? httpUrl : httpUrl.replace(/^http/, 'ws');
    const serverPid = pidOf(server);
    const idleBefore = memory(serverPid).rss;

    const symbols = Array.from({ length: cell.symbols }, (_, i) => (cell.symbols === 1 ? 'BENCH' : `S${String(i).padStart(2, '0')}`));
    const subscriptions = Array.from({ length: cell.clients }, (_, client) =>
      Array.from({ length: cell.perClient }, (_, k) => symbols[(client * cell.perClient + k) % symbols.length] as string),
    );
    loadGenerator = node('scripts/bench/load-generator.ts', {}, 1, { ipc: true });
    const token = await new TokenService(loadConfig({ JWT_SECRET: BENCH_SECRET }).auth).issue('bench', ['trader'], '2h');
    // In two halves: the second half's growth is what one more idle connection costs, without the
    // one-time costs the first connections pay (compiled code, caches, the young generation's growth).
    const half = Math.ceil(subscriptions.length / 2);
    const connect = async (part: string[][]) => {
      const connected = message(loadGenerator as ChildProcess, 'connected');
      loadGenerator?.send({ type: 'connect', url, token, subscriptions: part, query: QUERY, transport, encoding, perMessageDeflate } satisfies ConnectCommand);
      await connected;
      return memory(serverPid).rss;
    };
    const idleHalf = await connect(subscriptions.slice(0, half));
    const idleAfter = await connect(subscriptions.slice(half));
    resetPeak(serverPid);

    publisher = node(
      'scripts/bench/publisher.ts',
      { REDIS_URL: redisUrl, RATE: String(cell.rate), SECONDS: String(seconds), SYMBOLS: symbols.join(','), FIELDS: fields.join(',') },
      1,
      { ipc: true },
    );
    const cpuBefore = cpuMicros(serverPid);
    const wallBefore = Date.now();
    loadGenerator.send({ type: 'measure' });
    const published = await message<{ sent: number; failed: number }>(publisher, 'published');
    // Let what is in flight arrive before stopping the count.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const reporting = message<{ report: LoadReport }>(loadGenerator, 'report');
    loadGenerator.send({ type: 'stop' });
    const { report } = await reporting;
    const serverCpu = cpuMicros(serverPid) - cpuBefore;
    const wall = Date.now() - wallBefore;
    const peak = memory(serverPid).peak;

    const perSymbolEvents = published.sent / symbols.length;
    const expected = Math.round(subscriptions.reduce((sum, subscribed) => sum + subscribed.length * perSymbolEvents, 0));
    const sorted = Float64Array.from(report.latencies).sort();
    const loadShare = report.cpuMicros / (report.wallMs * 1000);
    return {
      cell: cell.name,
      target,
      clients: cell.clients,
      ratePerSecond: cell.rate,
      seconds,
      published: published.sent,
      expected,
      deliveries: report.deliveries,
      deliveriesPerSecond: Math.round(report.deliveries / seconds),
      lost: Math.max(0, expected - report.deliveries),
      disorder: report.disorder,
      latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 },
      serverCpuMicrosPerDelivery: report.deliveries > 0 ? Number((serverCpu / report.deliveries).toFixed(2)) : 0,
      serverCpuShare: Number((serverCpu / (wall * 1000)).toFixed(2)),
      bytesPerDelivery: report.deliveries > 0 ? Number((report.bytes / report.deliveries).toFixed(1)) : 0,
      rssPerIdleConnectionKB: Number(((idleAfter - idleHalf) / (cell.clients - half) / 1024).toFixed(1)),
      rssPerConnectionWithWarmUpKB: Number(((idleAfter - idleBefore) / cell.clients / 1024).toFixed(1)),
      peakRssMB: Math.round(peak / 2 ** 20),
      loadGeneratorCpuShare: Number(loadShare.toFixed(2)),
      loadGeneratorSaturated: loadShare >= 0.85,
      closedConnections: report.closed,
    };
  } finally {
    loadGenerator?.send({ type: 'close' });
    await Promise.all([stop(loadGenerator), stop(publisher), stop(server)]);
    await stop(redis);
  }
}

const seconds = Number(flags.seconds);
const targets = (flags.targets ?? 'titan,raw').split(',').map((name) => {
  if (!(name in TARGETS)) throw new Error(`unknown target ${name}; known: ${Object.keys(TARGETS).join(', ')}`);
  return name as Target;
});
const results: Result[] = [];
const stormResults: StormResult[] = [];
const ingestResults: IngestResult[] = [];
const connectionResults: ConnectionsResult[] = [];
const { cells, storms, ingests, connectionSteps } = cellsFromFlags();
buildServer();
console.log(`bench: ${hasTaskset ? 'servers on CPU 0, load generator and publisher on CPU 1' : 'taskset not found: processes are not pinned'}`);
for (const cell of cells) {
  for (const target of targets) {
    process.stdout.write(`${cell.name} ${target} … `);
    const result = await runCell(cell, target, seconds);
    results.push(result);
    console.log(
      `${result.deliveriesPerSecond} deliveries/s, lost ${result.lost}, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, ` +
        `max ${result.latencyMs.max} ms, ${result.serverCpuMicrosPerDelivery} µs CPU/delivery, ${result.bytesPerDelivery} B/delivery, ` +
        `${result.rssPerIdleConnectionKB} KB/idle conn, ` +
        `peak ${result.peakRssMB} MB${result.loadGeneratorSaturated ? ', LOAD GENERATOR SATURATED' : ''}`,
    );
  }
}

for (const storm of storms) {
  process.stdout.write(`${storm.name} … `);
  const result = await runStorm(storm, process.env.TITAN_FLAGS ?? '');
  stormResults.push(result);
  console.log(
    `${result.ticksPerSecond} ticks/s accepted (${result.ticksOnServingInstance} by the serving instance, ${result.failed} refused), ` +
      `peak RSS ${result.peakRssMB} MB = idle + ${result.peakRssOverIdleMB} MB, heap used ≤ ${result.heapUsedPeakMB} MB, ` +
      `socket write buffers ≤ ${result.socketWriteBuffersPeakMB} MB`,
  );
}

for (const ingest of ingests) {
  process.stdout.write(`${ingest.name} (${ingest.redis === 'cluster' ? 'Redis Cluster, ' : ''}${ingest.path}${ingest.path === 'mutations' ? ` ×${ingest.batch}` : ''}, ${ingest.rate || 'max'} ticks/s) … `);
  const result = await runIngest(ingest, process.env.TITAN_FLAGS ?? '');
  ingestResults.push(result);
  console.log(
    `${result.acceptedPerSecond} accepted/s, ${result.deliveredPerSecond} delivered/s, lost ${result.lost} (conflated ${result.conflated}), disorder ${result.disorder}, ` +
      `backlog at end ${result.backlogAtEnd}, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms, ` +
      `instance ${result.instanceCpuMsPer1000} ms CPU/1000 ticks (${result.instanceCpuShare} core), ` +
      `Redis ${result.redisCpuMsPer1000} ms CPU/1000 ticks (${result.redisCpuShare} core` +
      (ingest.redis === 'cluster' ? ` over the masters, ${result.redisCpuSharePerMaster.join(' + ')}, ms/1000 ${result.redisCpuMsPer1000PerMaster.join(' + ')}; replicas ${result.replicaCpuMsPer1000} ms/1000, ${result.replicaCpuShare} core` : '') +
      (result.mastersLost > 0 ? `, ${result.mastersLost} MASTER(S) FAILED OVER DURING THE RUN` : '') +
      `), peak RSS ${result.peakRssMB} MB` +
      (Object.keys(result.refusals).length > 0 ? `, refused ${JSON.stringify(result.refusals)}` : '') +
      `\n  instance hand-overs over 50 ms after publish: ${result.instanceHandOverOver50msPercent} %` +
      `\n  Redis µs/1000 ticks by command: ${JSON.stringify(result.redisCommandsMicrosPer1000)}`,
  );
}

for (const step of connectionSteps) {
  process.stdout.write(`connections ${step} … `);
  const result = await runConnections(step, seconds, process.env.TITAN_FLAGS ?? '');
  connectionResults.push(result);
  console.log(describeConnections(result));
}

const ratios = results
  .filter((r) => r.target !== 'raw')
  .map((other) => {
    const raw = results.find((r) => r.target === 'raw' && r.cell === other.cell);
    const ratio = (value: number, base: number | undefined) => (base ? Number((value / base).toFixed(2)) : null);
    return {
      cell: other.cell,
      target: other.target,
      cpuPerDeliveryVsRaw: ratio(other.serverCpuMicrosPerDelivery, raw?.serverCpuMicrosPerDelivery),
      p99VsRaw: ratio(other.latencyMs.p99, raw?.latencyMs.p99),
      bytesPerDeliveryVsRaw: ratio(other.bytesPerDelivery, raw?.bytesPerDelivery),
    };
  });
if (results.length > 0) console.table(
  results.map((r) => ({
    cell: r.cell,
    target: r.target,
    'deliv/s': r.deliveriesPerSecond,
    lost: r.lost,
    'p50 ms': r.latencyMs.p50,
    'p99 ms': r.latencyMs.p99,
    'max ms': r.latencyMs.max,
    'µs/deliv': r.serverCpuMicrosPerDelivery,
    'B/deliv': r.bytesPerDelivery,
    'KB/idle conn': r.rssPerIdleConnectionKB,
    'peak MB': r.peakRssMB,
    'loadgen sat.': r.loadGeneratorSaturated,
  })),
);
if (results.length > 0) console.table(ratios);
if (stormResults.length > 0) {
  console.table(
    stormResults.map((r) => ({
      cell: r.cell,
      'clients×subs': `${r.clients}×${r.subscriptionsPerClient}${r.clientsRead ? ' reading' : ''}`,
      'ticks/s': r.ticksPerSecond,
      'idle MB': r.idleRssMB,
      'idle heap MB': `${r.idleHeapUsedMB}/${r.idleHeapCommittedMB}`,
      'peak MB': r.peakRssMB,
      'over idle MB': r.peakRssOverIdleMB,
      'after MB': r.afterRssMB,
      'heap used MB': r.heapUsedPeakMB,
      'heap comm. MB': r.heapCommittedPeakMB,
      'young MB': r.youngGenerationCommittedPeakMB,
      'old used MB': r.oldGenerationUsedPeakMB,
      'external MB': r.externalPeakMB,
      'arrayBuf MB': r.arrayBuffersPeakMB,
      'sock buf MB': r.socketWriteBuffersPeakMB,
      'max sock KB': r.socketWriteBufferMaxKB,
      'kernel MB': r.kernelSendQueueMB,
    })),
  );
}
const out = resolve(ROOT, flags.out ?? 'bench-results/bench.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ machine: { cpus: 2, node: process.version }, results, ratios, storms: stormResults, ingest: ingestResults, connections: connectionResults }, null, 2));
console.log(`written: ${flags.out}`);
