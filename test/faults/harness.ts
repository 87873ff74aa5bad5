import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { ProtocolClient, execute, type GraphQLResponse } from '../support/protocol-client.js';
import { freePort, spawnRedis, stopChild } from '../support/redis.js';
import { startSentinel } from '../support/sentinel.js';
import { startProcess, startServer, tokenFor, type InProcessServer, type ServerProcess } from '../support/start-server.js';

/**
 * The Redis fault matrix: every phase of the API's work (phases.ts) against every way Redis fails
 * (FAULTS below), each cell on its own redis-server and server. A cell is one story: the server is
 * ready → the phase starts its work → the fault hits → the phase acts while Redis is away → Redis
 * recovers → the phase checks the outcome. Whatever the cell, the server stays up (the suite's process
 * guard fails the test on any unhandled rejection or uncaught exception), `/readyz` says 503 while
 * Redis is away and 200 after, and nothing hangs.
 */

/** Short timeouts, so a cell takes seconds: a frozen Redis is noticed after 300 ms. */
export const FAULT_ENV = {
  REDIS_COMMAND_TIMEOUT_MS: '300',
  REDIS_CONNECT_TIMEOUT_MS: '300',
  REDIS_RETRY_MAX_DELAY_MS: '200',
  // The cells count the bus channels subscriptions hold; analytics would add one per key they follow.
  ANALYTICS: '0',
  // FAULT_LOG_LEVEL=info shows what the cells' servers log.
  LOG_LEVEL: process.env.FAULT_LOG_LEVEL ?? 'silent',
};
const RETRY_AFTER_MS = Number(FAULT_ENV.REDIS_RETRY_MAX_DELAY_MS);

/** A Redis that a fault can be done to. */
export interface FaultyRedis {
  url: string;
  /** A plain client of the current master, for what a test does directly (XADD, WAIT). */
  client(): Redis;
  inject(): Promise<void>;
  recover(): Promise<void>;
  stop(): Promise<void>;
}

export interface Fault {
  name: string;
  /** Redis is unreachable (or frozen) from `inject` to `recover`: calls fail with UNAVAILABLE meanwhile. */
  down: boolean;
  /** Redis comes back by itself, without `recover` (a failover): it may be back before a slow step ends. */
  recoversByItself?: boolean;
  /** Redis has its data back after `recover`: streams resume without a gap, else with CURSOR_EXPIRED. */
  keepsData: boolean;
  deploy(): Promise<FaultyRedis>;
}

/** One redis-server process on a fixed port, restartable with or without its append-only file. */
async function singleRedis(persistent: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'titan-fault-'));
  const args = persistent ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir] : ['--appendonly', 'no', '--dir', dir];
  const port = await freePort();
  let child: ChildProcess = await spawnRedis(port, args);
  const url = `redis://127.0.0.1:${port}`;
  const clients: Redis[] = [];
  return {
    url,
    child: () => child,
    client() {
      const client = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 2000 });
      client.on('error', () => {});
      clients.push(client);
      return client;
    },
    kill: () => stopChild(child, 'SIGKILL'),
    async start() {
      child = await spawnRedis(port, args);
    },
    async stop() {
      for (const client of clients) client.disconnect();
      child.kill('SIGCONT');
      await stopChild(child, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Redis that the fault kills and starts again at once, with or without its data. */
async function restartingRedis(persistent: boolean): Promise<FaultyRedis> {
  const redis = await singleRedis(persistent);
  return {
    ...redis,
    async inject() {
      await redis.kill();
      await redis.start();
    },
    recover: async () => {},
  };
}

/** How long a frozen Redis stays frozen at least: longer than every timeout of FAULT_ENV. */
const FROZEN_MS = 1500;

export const FAULTS: Record<string, Fault> = {
  sigkill: {
    name: 'SIGKILL (down until restarted with its AOF)',
    down: true,
    keepsData: true,
    async deploy() {
      const redis = await singleRedis(true);
      return { ...redis, inject: redis.kill, recover: redis.start };
    },
  },
  sigstop: {
    name: 'SIGSTOP longer than every timeout, then SIGCONT (frozen)',
    down: true,
    keepsData: true,
    async deploy() {
      const redis = await singleRedis(false);
      let frozenAt = 0;
      return {
        ...redis,
        async inject() {
          frozenAt = Date.now();
          redis.child().kill('SIGSTOP');
        },
        async recover() {
          await sleep(Math.max(0, frozenAt + FROZEN_MS - Date.now()));
          redis.child().kill('SIGCONT');
        },
      };
    },
  },
  restartEmpty: {
    name: 'restart empty (data lost)',
    down: false,
    keepsData: false,
    deploy: () => restartingRedis(false),
  },
  restartAof: {
    name: 'restart with AOF (data kept)',
    down: false,
    keepsData: true,
    deploy: () => restartingRedis(true),
  },
  failover: {
    name: 'Sentinel failover (master crashes, replica promoted)',
    down: true,
    recoversByItself: true,
    keepsData: true,
    async deploy() {
      const sentinel = await startSentinel();
      const clients: Redis[] = [];
      let masterPort = sentinel.master.port;
      return {
        url: sentinel.url,
        client() {
          const client = new Redis(masterPort, '127.0.0.1', { maxRetriesPerRequest: 1, commandTimeout: 2000 });
          client.on('error', () => {});
          clients.push(client);
          return client;
        },
        async inject() {
          // Everything written so far is on the replica: the failover loses nothing the test relies on.
          // WAIT counts the replicas that have this client's own last write, so it writes a fence
          // first: replication keeps order, so the fence acknowledged means every earlier write of
          // any client is there too (without one, WAIT answers at once, whatever the replica lacks).
          const deadline = Date.now() + 10_000;
          await sentinel.master.client.set('fault:replication-fence', String(Date.now()));
          while (Number(await sentinel.master.client.call('WAIT', '1', '1000')) < 1 && Date.now() < deadline);
          await sentinel.master.kill();
        },
        async recover() {
          await sentinel.promoted();
          masterPort = sentinel.replicaPort;
        },
        async stop() {
          for (const client of clients) client.disconnect();
          await sentinel.stop();
        },
      };
    },
  },
};

/** What a phase works with: the cell's server, Redis and fault, tokens, and a cleanup list. */
export class Cell {
  server!: InProcessServer | ServerProcess;
  private readonly cleanups: (() => unknown)[] = [];

  constructor(
    readonly fault: Fault,
    readonly redis: FaultyRedis,
    readonly trader: string,
    readonly publisher: string,
    readonly admin: string,
  ) {}

  static async create(fault: Fault): Promise<Cell> {
    const redis = await fault.deploy();
    const [trader, publisher, admin] = await Promise.all([
      tokenFor('trader-1', ['trader']),
      tokenFor('publisher-1', ['publisher', 'trader']),
      tokenFor('admin-1', ['admin', 'trader']),
    ]);
    return new Cell(fault, redis, trader, publisher, admin);
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return { REDIS_URL: this.redis.url, ...FAULT_ENV, ...extra };
  }

  async startInProcess(extra: Record<string, string> = {}): Promise<InProcessServer> {
    const server = await startServer(this.env(extra), { notReady: true });
    this.server = server;
    this.onCleanup(() => server.stop());
    return server;
  }

  async startProcess(extra: Record<string, string> = {}): Promise<ServerProcess> {
    const server = await startProcess('main.ts', { ...this.env(extra), LOG_LEVEL: 'info' }, { notReady: true });
    this.server = server;
    this.onCleanup(() => server.stop());
    return server;
  }

  onCleanup(cleanup: () => unknown): void {
    this.cleanups.push(cleanup);
  }

  async ws(token = this.trader): Promise<ProtocolClient> {
    const client = await ProtocolClient.connect(this.server.wsUrl, token);
    this.onCleanup(() => client.close());
    return client;
  }

  query<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, token = this.trader): Promise<GraphQLResponse<T>> {
    return execute<T>(this.server.graphqlUrl, query, variables, token);
  }

  publishSignal(symbol: string, id: string): Promise<GraphQLResponse<{ publishSignal: { id: string; cursor: string } }>> {
    return this.query(
      'mutation ($input: SignalInput!) { publishSignal(input: $input) { id cursor } }',
      { input: { id, strategyId: 'ma-crossover', symbol, side: 'BUY', price: 1, confidence: 0.5, reason: id } },
      this.publisher,
    );
  }

  publishPrice(symbol: string, price: number, id?: string): Promise<GraphQLResponse<{ publishPrice: { price: number; cursor: string } }>> {
    return this.query(
      'mutation ($input: PriceInput!) { publishPrice(input: $input) { price cursor } }',
      { input: { id, symbol, price } },
      this.publisher,
    );
  }

  /** Publishes until it succeeds (Redis may still be coming back), the same id every time. */
  async publishSignalUntilStored(symbol: string, id: string): Promise<void> {
    await poll(() => this.publishSignal(symbol, id), (result) => result.errors === undefined, `publishSignal ${id} to succeed`);
  }

  async readyz(): Promise<number> {
    return (await fetch(`${this.server.url}/readyz`)).status;
  }

  async stop(): Promise<void> {
    for (const cleanup of this.cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
    await this.redis.stop();
  }
}

/**
 * What a client may see from a call made while Redis is in trouble: an answer, or `UNAVAILABLE` with
 * `retryAfterMs`, and never anything else (no internal message, no other code). When Redis is down,
 * only the latter.
 */
export function expectAnswerOrUnavailable(result: GraphQLResponse<unknown>, down: boolean): void {
  if (result.errors === undefined && !down) return;
  expect(result.errors, JSON.stringify(result)).toBeDefined();
  for (const error of result.errors ?? []) {
    expect(error.extensions, JSON.stringify(result)).toMatchObject({ code: 'UNAVAILABLE', retryAfterMs: RETRY_AFTER_MS });
    expect(error.message).not.toMatch(/ioredis|Stream isn't writeable|Connection is closed|ECONNREFUSED|Command timed out/);
  }
}

/** Calls `read` until `until` holds (or fails with what was awaited and the last value). */
export async function poll<T>(read: () => Promise<T>, until: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read().catch(() => last);
    if (last !== undefined && until(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await sleep(50);
  }
}

/** `work`, or a failure naming `what` if it takes longer than `ms`: nothing in a cell may hang. */
export async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
