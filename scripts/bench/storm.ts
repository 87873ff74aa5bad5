/**
 * The storm cells of `npm run bench`: what a publish storm costs the memory of an instance that
 * serves clients which never read.
 *
 * Two TITAN instances on one redis-server: A (the serving instance, measured, pinned to CPU 0) and
 * B (CPU 1). N WebSocket clients connect to A, subscribe to `price` M times each, and (but for the
 * `storm-readers` control) stop reading. Then TICKS `publishPrice` mutations are sent over HTTP as
 * fast as the two instances accept them, by P concurrent publishers spread over both. Reported for
 * A: RSS at idle (before the clients), peak RSS over that idle, RSS 2 s after the storm, and from a
 * probe loaded into A (memory-probe.ts) the peaks of V8's heap (used, committed, young and old
 * generation), of memory outside the heap (external, arrayBuffers) and of the bytes waiting in its
 * sockets' userland write buffers; from `ss`, what waits in the kernel (A's send queues to the
 * clients, the clients' receive queues).
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenService } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config.js';
import type { StormPublished } from './http-publisher.js';
import type { ProbeReport } from './memory-probe.js';
import { BENCH_SECRET, benchServerEnv, message, metric, node, pidOf, productionNodeFlags, SERVER_ENTRY, startRedis, stop, waitForLine } from './processes.js';
import { cpuMicros, memory, resetPeak } from './proc-stats.js';
import type { StalledConnectCommand, StalledReport } from './stalled-clients.js';

export interface StormCell {
  name: string;
  /** WebSocket clients on the serving instance. */
  clients: number;
  /** `price` subscriptions per client, one symbol each. */
  perClient: number;
  /** Distinct symbols: subscription k of every client is on symbol k mod symbols (1: all on one). */
  symbols: number;
  /** Whether the clients read (the control) or never do. */
  read: boolean;
  /** Mutations published in all, over both instances. */
  ticks: number;
  /** Concurrent HTTP publishers, spread over both instances. */
  publishers: number;
}

export const STORM_CELLS: Record<string, StormCell> = {
  // The issue's storm: 20 never-reading clients × 10 subscriptions on 10 distinct symbols (every
  // client on the same 10: 10 groups of 20 members), 12,000 ticks from 32 publishers.
  storm: { name: 'storm', clients: 20, perClient: 10, symbols: 10, read: false, ticks: 12_000, publishers: 32 },
  // The same, every subscription on one symbol: each tick is 10 frames per socket.
  'storm-same': { name: 'storm-same', clients: 20, perClient: 10, symbols: 1, read: false, ticks: 12_000, publishers: 32 },
  // Controls: the same storm with clients that read, and with no client at all (the mutations alone).
  'storm-readers': { name: 'storm-readers', clients: 20, perClient: 10, symbols: 10, read: true, ticks: 12_000, publishers: 32 },
  'storm-idle': { name: 'storm-idle', clients: 0, perClient: 10, symbols: 10, read: false, ticks: 12_000, publishers: 32 },
};

export interface StormResult {
  cell: string;
  clients: number;
  subscriptionsPerClient: number;
  symbols: number;
  clientsRead: boolean;
  ticks: number;
  publishers: number;
  /** Mutations accepted per second, both instances together, and the share A took. */
  ticksPerSecond: number;
  ticksOnServingInstance: number;
  failed: number;
  /** How long the storm took, and the serving instance's CPU time meanwhile (1 s/s: its core was saturated). */
  stormSeconds: number;
  servingCpuSeconds: number;
  /** A's RSS before the clients connect, with them (before the storm), its peak during the storm and 2 s after it. */
  idleRssMB: number;
  withClientsRssMB: number;
  peakRssMB: number;
  peakRssOverIdleMB: number;
  afterRssMB: number;
  /** At idle (before the clients), from the probe in A: V8's heap used and committed. */
  idleHeapUsedMB: number;
  idleHeapCommittedMB: number;
  /** Peaks during the storm, from the probe in A. */
  heapUsedPeakMB: number;
  heapCommittedPeakMB: number;
  youngGenerationCommittedPeakMB: number;
  oldGenerationUsedPeakMB: number;
  externalPeakMB: number;
  arrayBuffersPeakMB: number;
  /** Bytes waiting in the userland write buffers of A's sockets (ws `bufferedAmount`): all, and the largest one. */
  socketWriteBuffersPeakMB: number;
  socketWriteBufferMaxKB: number;
  /** At the end of the storm: bytes in A's kernel send queues to the clients, and in the clients' receive queues. */
  kernelSendQueueMB: number;
  clientsReceiveQueueMB: number;
  /** Frames the clients read (readers only); connections the server closed. */
  framesRead: number;
  closedConnections: number;
  /** A's counters at the end: price frames conflated, WebSockets open. */
  conflated: number;
  wsConnections: number;
}

const QUERY = 'subscription ($symbols: [String!]!) { price(symbols: $symbols) { symbol price timestamp } }';
const MB = 2 ** 20;
const mb = (bytes: number) => Number((bytes / MB).toFixed(1));

/** Bytes queued in the kernel on TCP sockets whose local (`sport`) or remote (`dport`) port is `port`. */
function kernelQueues(port: number, side: 'sport' | 'dport'): { recv: number; send: number } {
  let output = '';
  try {
    output = execFileSync('ss', ['-tnH', `( ${side} = :${port} )`], { encoding: 'utf8' });
  } catch {
    return { recv: 0, send: 0 };
  }
  let recv = 0;
  let send = 0;
  for (const line of output.split('\n')) {
    const [state, recvQ, sendQ] = line.trim().split(/\s+/);
    if (state !== 'ESTAB') continue;
    recv += Number(recvQ);
    send += Number(sendQ);
  }
  return { recv, send };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runStorm(cell: StormCell, titanFlags: string): Promise<StormResult> {
  const redis = await startRedis();
  const probeDir = mkdtempSync(join(tmpdir(), 'titan-storm-'));
  const probeOut = join(probeDir, 'probe.json');
  const env = {
    ...benchServerEnv(redis.url),
    // The storm is as fast as the instances accept: the per-publisher rate limit is not what is measured.
    PUBLISHES_PER_SECOND: '1000000',
    NODE_FLAGS: titanFlags,
  };
  const flags = productionNodeFlags();
  const serving = node(SERVER_ENTRY, { ...env, MEMORY_PROBE_OUT: probeOut }, 0, { flags, imports: ['./scripts/bench/memory-probe.ts'] });
  // STORM_SERVER_LOG=<file>: the serving instance's stdout (its logs, and --trace-gc lines when TITAN_FLAGS asks for them).
  if (process.env.STORM_SERVER_LOG) serving.stdout?.pipe(createWriteStream(process.env.STORM_SERVER_LOG));
  const other = node(SERVER_ENTRY, env, 1, { flags });
  let clients: ChildProcess | undefined;
  let publisher: ChildProcess | undefined;
  try {
    const urlOf = async (child: ChildProcess) =>
      (JSON.parse(await waitForLine(child, 'TITAN Realtime listening')) as { url: string }).url.replace(/\/graphql$/, '');
    const [servingUrl, otherUrl] = await Promise.all([urlOf(serving), urlOf(other)]);
    const pid = pidOf(serving);
    const port = Number(new URL(servingUrl).port);
    const probe = (): ProbeReport => JSON.parse(readFileSync(probeOut, 'utf8')) as ProbeReport;
    const tokens = new TokenService(loadConfig({ JWT_SECRET: BENCH_SECRET }).auth);
    // Let start-up settle (module loading, first GCs) before taking the idle figure.
    await sleep(2000);
    const idle = memory(pid).rss;
    const idleProbe = probe().now;

    const symbols = Array.from({ length: cell.symbols }, (_, i) => `S${String(i).padStart(2, '0')}`);
    if (cell.clients > 0) {
      clients = node('scripts/bench/stalled-clients.ts', {}, null, { ipc: true });
      const connected = message(clients, 'connected');
      clients.send({
        type: 'connect',
        url: `${servingUrl.replace(/^http/, 'ws')}/graphql`,
        token: await tokens.issue('bench', ['trader'], '2h'),
        subscriptions: Array.from({ length: cell.clients }, () => Array.from({ length: cell.perClient }, (_, k) => symbols[k % symbols.length] as string)),
        query: QUERY,
        read: cell.read,
      } satisfies StalledConnectCommand);
      await connected;
    }
    const withClients = memory(pid).rss;

    resetPeak(pid);
    serving.kill('SIGUSR2');
    await sleep(200);
    publisher = node(
      'scripts/bench/http-publisher.ts',
      {
        URLS: [servingUrl, otherUrl].map((url) => `${url}/graphql`).join(','),
        TOKEN: await tokens.issue('bench-publisher', ['publisher'], '2h'),
        TICKS: String(cell.ticks),
        CONCURRENCY: String(cell.publishers),
        SYMBOLS: symbols.join(','),
      },
      null,
      { ipc: true },
    );
    const cpuBefore = cpuMicros(pid);
    const published = await message<StormPublished>(publisher, 'published');
    const servingCpu = cpuMicros(pid) - cpuBefore;
    // What the kernel holds once the storm is over (for clients that never read, it stays full).
    await sleep(500);
    const kernelSend = kernelQueues(port, 'sport').send;
    const clientsRecv = kernelQueues(port, 'dport').recv;
    const peak = memory(pid).peak;
    const peaks = probe().peak;
    await sleep(1500);
    const after = memory(pid).rss;
    let report: StalledReport = { frames: 0, closed: 0 };
    if (clients) {
      const reported = message<{ report: StalledReport }>(clients, 'report');
      clients.send({ type: 'report' });
      report = (await reported).report;
    }
    return {
      cell: cell.name,
      clients: cell.clients,
      subscriptionsPerClient: cell.perClient,
      symbols: cell.symbols,
      clientsRead: cell.read,
      ticks: cell.ticks,
      publishers: cell.publishers,
      ticksPerSecond: Math.round(published.sent / (published.wallMs / 1000)),
      ticksOnServingInstance: published.perServer[`${servingUrl}/graphql`] ?? 0,
      failed: published.failed,
      stormSeconds: Number((published.wallMs / 1000).toFixed(1)),
      servingCpuSeconds: Number((servingCpu / 1e6).toFixed(1)),
      idleRssMB: mb(idle),
      withClientsRssMB: mb(withClients),
      peakRssMB: mb(peak),
      peakRssOverIdleMB: mb(peak - idle),
      afterRssMB: mb(after),
      idleHeapUsedMB: mb(idleProbe.heapUsed),
      idleHeapCommittedMB: mb(idleProbe.heapTotal),
      heapUsedPeakMB: mb(peaks.heapUsed),
      heapCommittedPeakMB: mb(peaks.heapTotal),
      youngGenerationCommittedPeakMB: mb(peaks.youngCommitted),
      oldGenerationUsedPeakMB: mb(peaks.oldUsed),
      externalPeakMB: mb(peaks.external),
      arrayBuffersPeakMB: mb(peaks.arrayBuffers),
      socketWriteBuffersPeakMB: mb(peaks.socketWriteBuffers),
      socketWriteBufferMaxKB: Math.round(peaks.socketWriteBufferMax / 1024),
      kernelSendQueueMB: mb(kernelSend),
      clientsReceiveQueueMB: mb(clientsRecv),
      framesRead: report.frames,
      closedConnections: report.closed,
      conflated: await metric(servingUrl, 'titan_events_conflated_total'),
      wsConnections: await metric(servingUrl, 'titan_ws_connections'),
    };
  } finally {
    clients?.send({ type: 'close' });
    await Promise.all([stop(clients), stop(publisher), stop(serving), stop(other)]);
    await stop(redis.child);
    rmSync(probeDir, { recursive: true, force: true });
  }
}
