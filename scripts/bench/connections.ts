/**
 * The connections cell of `npm run bench` (`--cells=connections`): what one instance pays to hold
 * many subscribed WebSockets, at each step of `--steps` (default 1,000, 10,000 and 50,000).
 *
 * Per step, a fresh compiled TITAN instance (pinned to CPU 0, production flags, its open-file limit
 * raised to the step plus headroom) on a fresh redis-server. Socket holders (socket-holder.ts, CPU
 * 1, at most PER_HOLDER sockets each, their open-file limits raised too) open the step's sockets at
 * once from loopback source addresses 127.0.0.2 and up (PER_ADDRESS each), PER_USER sockets per
 * user as MAX_CONNECTIONS_PER_USER's default allows, every socket with one `price` subscription on
 * BENCH. Reported: sockets held (and why the others were refused), time to accept them all (the
 * holders' first handshake to their last `connection_ack`), RSS per connection ((RSS after − before)
 * ÷ held, one-time costs of the first connections included), the server's CPU while holding them
 * idle (keep-alive pings), then with one tick a second published to BENCH for `--seconds`:
 * deliveries and lost, CPU per delivery (all of it, and over the idle cost), and latency publish →
 * receipt on about SAMPLED sockets spread over the order the server writes them in.
 */
import type { ChildProcess } from 'node:child_process';
import { TokenService } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config.js';
import { BENCH_SECRET, benchServerEnv, message, node, pidOf, productionNodeFlags, SERVER_ENTRY, startRedis, stop, waitForLine } from './processes.js';
import { cpuMicros, memory, openFiles, raiseFileLimit, resetPeak, type FileLimit } from './proc-stats.js';
import type { Held, HoldCommand, HolderReport } from './socket-holder.js';

export const CONNECTION_STEPS = [1000, 10_000, 50_000];

/** About how many sockets of a step measure latency. */
const SAMPLED = 200;
/** Sockets per holder process (each well under a 20,000 open-file limit). */
const PER_HOLDER = 15_000;
/** Sockets per loopback source address (of its ~28,000 ephemeral ports, leaving room for TIME_WAIT). */
const PER_ADDRESS = 10_000;
/** Sockets per user: MAX_CONNECTIONS_PER_USER's default. */
const PER_USER = 20;
const QUERY = 'subscription ($symbols: [String!]!) { price(symbols: $symbols) { symbol price timestamp } }';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ConnectionsResult {
  cell: 'connections';
  wanted: number;
  held: number;
  /** Sockets that did not get to `connection_ack`, by reason. */
  refused: Record<string, number>;
  serverFileLimit: FileLimit;
  /** File descriptors the server had open once every socket was in. */
  serverOpenFiles: number;
  /** The server process still ran at the end; if not, how it ended and its last error lines. */
  serverAlive: boolean;
  serverExit?: { code: number | null; signal: string | null; lastErrors: string[] };
  acceptSeconds: number;
  acceptedPerSecond: number;
  /** The server's CPU while accepting (cores), and per socket accepted (µs; refused ones included in the cost). */
  acceptCpuShare: number;
  acceptCpuMicrosPerConnection: number;
  rssBeforeMB: number;
  rssAfterMB: number;
  rssPerConnectionKB: number;
  /** Server CPU while holding the sockets, nothing published (keep-alive pings, lease renewals), in cores. */
  idleCpuShare: number;
  published: number;
  deliveries: number;
  lost: number;
  closedWhileMeasuring: number;
  cpuMicrosPerDelivery: number;
  /** The same, less what holding the sockets costs at idle over as long. */
  cpuMicrosPerDeliveryOverIdle: number;
  latencyMs: { p50: number; p99: number; max: number };
  latencySamples: number;
  peakRssMB: number;
}

/** The last error and fatal lines of the server's log (pino level ≥ 50), to say why it stopped if it does. */
function errorLines(server: ChildProcess): string[] {
  const lines: string[] = [];
  let partial = '';
  server.stdout?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const cut = text.lastIndexOf('\n');
    partial = text.slice(cut + 1);
    for (const line of text.slice(0, cut).split('\n')) {
      if (!/"level":(5|6)\d/.test(line)) continue;
      lines.push(line.slice(0, 500));
      if (lines.length > 5) lines.shift();
    }
  });
  return lines;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function runConnections(wanted: number, seconds: number, titanFlags: string): Promise<ConnectionsResult> {
  const redis = await startRedis();
  const server = node(SERVER_ENTRY, { ...benchServerEnv(redis.url), NODE_FLAGS: titanFlags }, 0, { flags: productionNodeFlags() });
  const lastErrors = errorLines(server);
  const holderCounts = Array.from({ length: Math.ceil(wanted / PER_HOLDER) }, (_, i) => Math.min(PER_HOLDER, wanted - i * PER_HOLDER));
  const sampleEvery = Math.max(1, Math.floor(wanted / SAMPLED));
  const holders: ChildProcess[] = [];
  let publisher: ChildProcess | undefined;
  try {
    const httpUrl = (JSON.parse(await waitForLine(server, 'TITAN Realtime listening')) as { url: string }).url;
    const wsUrl = httpUrl.replace(/^http/, 'ws');
    const pid = pidOf(server);
    const serverFileLimit = raiseFileLimit(pid, wanted + 1000);
    const tokens = new TokenService(loadConfig({ JWT_SECRET: BENCH_SECRET }).auth);
    const userTokens = await Promise.all(Array.from({ length: Math.ceil(wanted / PER_USER) }, (_, i) => tokens.issue(`user-${i}`, ['trader'], '2h')));
    // Let start-up settle (module loading, first GCs) before taking the base figure.
    await sleep(2000);
    const rssBefore = memory(pid).rss;

    const acceptCpuBefore = [cpuMicros(pid), Date.now()] as const;
    let first = 0;
    const localAddresses = Array.from({ length: Math.ceil(wanted / PER_ADDRESS) }, (_, i) => `127.0.0.${i + 2}`);
    for (const count of holderCounts) {
      const holder = node('scripts/bench/socket-holder.ts', {}, 1, { ipc: true });
      holders.push(holder);
      raiseFileLimit(pidOf(holder), count + 1000);
      // Each holder takes its own users (PER_USER sockets each), and spreads over every source address.
      const users = userTokens.slice(Math.floor(first / PER_USER), Math.ceil((first + count) / PER_USER));
      first += count;
      holder.send({ type: 'hold', url: wsUrl, tokens: users, count, localAddresses, query: QUERY, symbols: ['BENCH'], sampleEvery } satisfies HoldCommand);
    }
    // The holders work at once: the slowest one's time is the time to accept them all.
    const helds = await Promise.all(holders.map((holder) => message<Held>(holder, 'held')));
    const acceptMs = Math.max(1, ...helds.map((h) => h.ms));
    const acceptCpu = cpuMicros(pid) - acceptCpuBefore[0];
    const acceptWallMs = Date.now() - acceptCpuBefore[1];
    const held = helds.reduce((sum, h) => sum + h.opened, 0);
    const refused: Record<string, number> = {};
    for (const h of helds) for (const [reason, count] of Object.entries(h.failed)) refused[reason] = (refused[reason] ?? 0) + count;
    // Let the last subscriptions start and the allocations of the burst settle.
    await sleep(2000);
    const rssAfter = memory(pid).rss;
    const serverOpenFiles = openFiles(pid);

    const idleStart = [cpuMicros(pid), Date.now()] as const;
    await sleep(seconds * 1000);
    const idleCpuPerMs = (cpuMicros(pid) - idleStart[0]) / (Date.now() - idleStart[1]);

    resetPeak(pid);
    for (const holder of holders) holder.send({ type: 'measure' });
    const cpuBefore = cpuMicros(pid);
    const wallBefore = Date.now();
    publisher = node('scripts/bench/publisher.ts', { REDIS_URL: redis.url, RATE: '1', SECONDS: String(seconds), SYMBOLS: 'BENCH', FIELDS: 'symbol,price,timestamp' }, 1, { ipc: true });
    const published = await message<{ sent: number }>(publisher, 'published');
    // Let the last tick reach every socket before the count stops.
    await sleep(3000);
    const reports = await Promise.all(
      holders.map((holder) => {
        const reported = message<{ report: HolderReport }>(holder, 'report');
        holder.send({ type: 'stop' });
        return reported;
      }),
    );
    const wall = Date.now() - wallBefore;
    // A server that died meanwhile has no /proc entry left: its figures are then 0, and serverExit says why.
    const alive = server.exitCode === null && server.signalCode === null;
    const cpu = alive ? cpuMicros(pid) - cpuBefore : 0;
    const deliveries = reports.reduce((sum, { report }) => sum + report.deliveries, 0);
    const sorted = Float64Array.from(reports.flatMap(({ report }) => report.latencies)).sort();
    const perDelivery = (micros: number) => (deliveries > 0 ? Number((micros / deliveries).toFixed(2)) : 0);
    return {
      cell: 'connections',
      wanted,
      held,
      refused,
      serverFileLimit,
      serverOpenFiles,
      serverAlive: alive,
      ...(alive ? {} : { serverExit: { code: server.exitCode, signal: server.signalCode, lastErrors } }),
      acceptSeconds: Number((acceptMs / 1000).toFixed(1)),
      acceptedPerSecond: Math.round(held / (acceptMs / 1000)),
      acceptCpuShare: Number((acceptCpu / (acceptWallMs * 1000)).toFixed(2)),
      acceptCpuMicrosPerConnection: Math.round(acceptCpu / Math.max(1, held)),
      rssBeforeMB: Math.round(rssBefore / 2 ** 20),
      rssAfterMB: Math.round(rssAfter / 2 ** 20),
      rssPerConnectionKB: Number(((rssAfter - rssBefore) / held / 1024).toFixed(1)),
      idleCpuShare: Number((idleCpuPerMs / 1000).toFixed(3)),
      published: published.sent,
      deliveries,
      lost: Math.max(0, published.sent * held - deliveries),
      closedWhileMeasuring: reports.reduce((sum, { report }) => sum + report.closed, 0),
      cpuMicrosPerDelivery: perDelivery(cpu),
      cpuMicrosPerDeliveryOverIdle: perDelivery(cpu - idleCpuPerMs * wall),
      latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 },
      latencySamples: sorted.length,
      peakRssMB: alive ? Math.round(memory(pid).peak / 2 ** 20) : 0,
    };
  } finally {
    for (const holder of holders) holder.send({ type: 'close' });
    await Promise.all([...holders, publisher, server].map((child) => stop(child)));
    await stop(redis.child);
  }
}

/** One line of the bench's output for a step. */
export function describeConnections(r: ConnectionsResult): string {
  const refused = Object.keys(r.refused).length > 0 ? `, refused ${JSON.stringify(r.refused)}` : '';
  const limit = r.serverFileLimit.refusal ? ` (server's open-file limit ${r.serverFileLimit.soft}: ${r.serverFileLimit.refusal})` : '';
  return (
    `${r.held} of ${r.wanted} held${refused}${limit}, ${r.serverOpenFiles} fds open, accepted in ${r.acceptSeconds} s (${r.acceptedPerSecond}/s, server ${r.acceptCpuShare} core, ${r.acceptCpuMicrosPerConnection} µs CPU/conn), ` +
    `RSS ${r.rssBeforeMB} → ${r.rssAfterMB} MB = ${r.rssPerConnectionKB} KB/conn, idle ${r.idleCpuShare} core; ` +
    `1 tick/s: ${r.deliveries} deliveries, lost ${r.lost}, ${r.cpuMicrosPerDelivery} µs CPU/delivery (${r.cpuMicrosPerDeliveryOverIdle} over idle), ` +
    `p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms, peak ${r.peakRssMB} MB${r.serverExit ? `; SERVER DOWN ${JSON.stringify(r.serverExit)}` : ''}`
  );
}
